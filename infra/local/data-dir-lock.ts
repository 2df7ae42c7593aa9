/**
 * One process per local data folder. `npm start` takes this lock before any stand-in opens anything under the
 * folder (Cosmos journal, Azurite, the dev issuer's key, the Durable journal): a second copy on the same folder
 * would otherwise overwrite the first one's issuer metadata and compact the Cosmos journal under it.
 *
 * The lock is `<dataDir>/owner.lock`, created atomically (a hard link of a complete temporary file, so a reader
 * never sees it half written) with the owner's pid, start time and command. A lock whose process is gone (a
 * crash, `kill -9`) is stale and taken over.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const lockFileName = 'owner.lock';

const lockOwnerSchema = z.object({
  pid: z.number().int().positive(),
  /** When the owner process started (ISO); with the pid it names the process even if the pid is reused. */
  startedAt: z.iso.datetime(),
  /** Linux only: the process start time in clock ticks since boot (`/proc/<pid>/stat`), to detect pid reuse. */
  startTicks: z.string().optional(),
  command: z.string(),
});

export type LockOwner = z.infer<typeof lockOwnerSchema>;

export class DataDirInUse extends Error {
  constructor(
    readonly dataDir: string,
    readonly owner: LockOwner,
  ) {
    super(
      `The data folder ${dataDir} is in use by process ${owner.pid} (${owner.command}, started ${owner.startedAt}).\n` +
        'Stop that process first, or run a second copy beside it on a data folder of its own: ' +
        'npm start -- --free-ports --data-dir DIR',
    );
    this.name = 'DataDirInUse';
  }
}

export interface DataDirLock {
  /** Removes the lock (idempotent); also done at process exit. */
  release(): void;
}

/** Takes the folder's lock, or throws `DataDirInUse` naming the live owner. */
export function lockDataDir(dataDir: string): DataDirLock {
  fs.mkdirSync(dataDir, { recursive: true });
  const lockPath = path.join(dataDir, lockFileName);
  const me = currentOwner();
  const temporary = `${lockPath}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, JSON.stringify(me));
  try {
    for (;;) {
      try {
        fs.linkSync(temporary, lockPath);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const owner = readOwner(lockPath);
      if (owner !== undefined && isRunning(owner)) throw new DataDirInUse(dataDir, owner);
      takeOverStale(lockPath);
    }
  } finally {
    fs.rmSync(temporary, { force: true });
  }
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    process.off('exit', release);
    // Only our own lock: never remove one another process took over after us.
    if (readOwner(lockPath)?.pid === me.pid) fs.rmSync(lockPath, { force: true });
  };
  process.on('exit', release);
  return { release };
}

/** The live process holding the folder's lock, if any (local tools use it to trust `endpoints.json`). */
export function runningOwner(dataDir: string): LockOwner | undefined {
  const owner = readOwner(path.join(dataDir, lockFileName));
  return owner !== undefined && isRunning(owner) ? owner : undefined;
}

/**
 * Moves the stale lock aside under a unique name, so that of two processes taking it over at once only one
 * removes it; if what was moved turns out to be a live lock (another process won the race), it is put back.
 */
function takeOverStale(lockPath: string): void {
  const aside = `${lockPath}.stale.${process.pid}`;
  try {
    fs.renameSync(lockPath, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const moved = readOwner(aside);
  if (moved !== undefined && isRunning(moved)) {
    try {
      fs.linkSync(aside, lockPath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  fs.rmSync(aside, { force: true });
}

function readOwner(lockPath: string): LockOwner | undefined {
  let text: string;
  try {
    text = fs.readFileSync(lockPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return lockOwnerSchema.parse(JSON.parse(text));
  } catch {
    // Written by something else, or damaged: nothing names a live owner, so it is stale.
    return undefined;
  }
}

function currentOwner(): LockOwner {
  const ticks = startTicksOf(process.pid);
  return {
    pid: process.pid,
    startedAt: new Date(Date.now() - process.uptime() * 1000).toISOString(),
    ...(ticks === undefined ? {} : { startTicks: ticks }),
    command: [path.basename(process.argv[1] ?? process.argv0), ...process.argv.slice(2)]
      .join(' ')
      .slice(0, 300),
  };
}

function isRunning(owner: LockOwner): boolean {
  if (owner.pid === process.pid) return true;
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // Alive; on Linux make sure it is the same process, not a later one that got the pid.
  const ticks = owner.startTicks === undefined ? undefined : startTicksOf(owner.pid);
  return ticks === undefined || ticks === owner.startTicks;
}

/** Field 22 of `/proc/<pid>/stat` (after the parenthesised command name, which may hold spaces). */
function startTicksOf(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}
