/**
 * Crash-safe persistence for an in-memory store: a write-ahead journal plus a compacted snapshot.
 *
 * - `append` records a mutation (synchronously, in the order the store applied it) and gives it a sequence
 *   number; `commit` resolves once every record appended so far is on disk (written and fdatasync'ed).
 *   Concurrent commits share one write + fdatasync (group commit), so durability costs little under load.
 * - `compact` writes the store's whole state as a new snapshot (temp file, fsync, rename, directory fsync)
 *   and then empties the journal. The snapshot names the last sequence number it contains, so a crash
 *   between the rename and the truncation replays nothing twice.
 * - On open, the snapshot is loaded, then every journal record newer than it. A torn last line (a crash
 *   in the middle of a write) is dropped; damage anywhere else stops the start with the file and line.
 */
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { syncDirectory } from './sync-directory';

export interface JournalOptions {
  /** Compact once the journal has grown past this many bytes (default 64 MiB). */
  readonly compactAfterBytes?: number;
  /** Produces the current state as records, synchronously, so the snapshot is one consistent point in time. */
  readonly capture: () => readonly unknown[];
}

interface Waiter {
  readonly seq: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

const snapshotFile = 'snapshot.ndjson';
const journalFile = 'journal.ndjson';
const snapshotFormat = 'standin-snapshot/1';
const defaultCompactAfterBytes = 64 * 1024 * 1024;

export class Journal {
  private readonly pending: string[] = [];
  private readonly waiters: Waiter[] = [];
  private flushing: Promise<void> | undefined;
  private compactionRequested = false;
  private failure: Error | undefined;
  private closed = false;

  private constructor(
    private readonly dir: string,
    private readonly options: JournalOptions,
    private handle: fs.FileHandle,
    private journalBytes: number,
    /** Highest sequence number appended. */
    private seq: number,
    /** Highest sequence number known to be on disk. */
    private durableSeq: number,
  ) {}

  /**
   * Loads the persisted state of `dir` (created if missing), handing each record to `apply` in order, and
   * returns the journal ready for new records.
   */
  static async open(
    dir: string,
    apply: (record: unknown) => void,
    options: JournalOptions,
  ): Promise<Journal> {
    await fs.mkdir(dir, { recursive: true });
    const snapshotSeq = await loadSnapshot(path.join(dir, snapshotFile), apply);
    const journalPath = path.join(dir, journalFile);
    const { lastSeq, validBytes } = await replayJournal(journalPath, snapshotSeq, apply);
    const handle = await fs.open(journalPath, 'a+');
    const { size } = await handle.stat();
    if (size > validBytes) await handle.truncate(validBytes); // drop a torn last line before appending
    const seq = Math.max(snapshotSeq, lastSeq);
    return new Journal(dir, options, handle, validBytes, seq, seq);
  }

  /** Records one mutation; it becomes durable with the next `commit`. */
  append(record: Record<string, unknown>): void {
    if (this.closed) throw new Error('journal is closed');
    this.seq += 1;
    this.pending.push(JSON.stringify({ ...record, seq: this.seq }) + '\n');
  }

  /** Resolves once every record appended before this call is on disk. */
  commit(): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const target = this.seq;
    if (this.durableSeq >= target) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ seq: target, resolve, reject });
      this.startFlushing();
    });
  }

  /** Writes a snapshot of the current state and empties the journal. */
  async compact(): Promise<void> {
    this.compactionRequested = true;
    this.startFlushing();
    await this.flushing;
    if (this.failure !== undefined) throw this.failure;
  }

  /** Resolves once no write or compaction is running (background compaction included). */
  async settled(): Promise<void> {
    while (this.flushing !== undefined) await this.flushing;
  }

  /** Compacts (so the next start loads one snapshot) and closes the files. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.failure === undefined) await this.compact();
    this.closed = true;
    await this.handle.close();
  }

  private startFlushing(): void {
    this.flushing ??= this.flush().finally(() => {
      this.flushing = undefined;
      // Records appended while the last write was finishing.
      if (this.failure === undefined && (this.pending.length > 0 || this.compactionRequested))
        this.startFlushing();
    });
  }

  private async flush(): Promise<void> {
    try {
      while (this.pending.length > 0 || this.compactionRequested) {
        if (this.compactionRequested) {
          this.compactionRequested = false;
          await this.writeSnapshot();
          continue;
        }
        const upTo = this.seq; // every pending record has a sequence number <= seq
        const text = this.pending.splice(0).join('');
        await this.handle.write(text);
        await this.handle.datasync();
        this.journalBytes += Buffer.byteLength(text);
        this.markDurable(upTo);
        if (this.journalBytes >= (this.options.compactAfterBytes ?? defaultCompactAfterBytes)) {
          this.compactionRequested = true;
        }
      }
    } catch (error) {
      this.failure = error instanceof Error ? error : new Error(String(error));
      for (const waiter of this.waiters.splice(0)) waiter.reject(this.failure);
    }
  }

  private async writeSnapshot(): Promise<void> {
    // Pending records are already applied in memory, so the captured state contains them.
    const upTo = this.seq;
    this.pending.length = 0;
    const records = this.options.capture();
    const finalPath = path.join(this.dir, snapshotFile);
    const tempPath = `${finalPath}.tmp`;
    const out = await fs.open(tempPath, 'w');
    try {
      await out.write(JSON.stringify({ format: snapshotFormat, seq: upTo, records: records.length }) + '\n');
      // Write in chunks: one string for the whole state could exceed V8's string limit.
      const chunk: string[] = [];
      for (const record of records) {
        chunk.push(JSON.stringify(record));
        if (chunk.length === 1000) await out.write(chunk.splice(0).join('\n') + '\n');
      }
      if (chunk.length > 0) await out.write(chunk.join('\n') + '\n');
      await out.sync();
    } finally {
      await out.close();
    }
    await fs.rename(tempPath, finalPath);
    await syncDirectory(this.dir);
    await this.handle.truncate(0);
    await this.handle.datasync();
    this.journalBytes = 0;
    this.markDurable(upTo);
  }

  private markDurable(seq: number): void {
    this.durableSeq = Math.max(this.durableSeq, seq);
    for (let i = this.waiters.length - 1; i >= 0; i -= 1) {
      const waiter = this.waiters[i]!;
      if (waiter.seq <= this.durableSeq) {
        this.waiters.splice(i, 1);
        waiter.resolve();
      }
    }
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

function lines(file: string): AsyncIterable<string> {
  return createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
}

/** Applies the snapshot's records; returns the sequence number it covers (0 when there is none). */
async function loadSnapshot(file: string, apply: (record: unknown) => void): Promise<number> {
  if (!(await exists(file))) return 0;
  let seq: number | undefined;
  let lineNumber = 0;
  for await (const line of lines(file)) {
    lineNumber += 1;
    if (line === '') continue;
    const value: unknown = parseLine(line, file, lineNumber);
    if (seq === undefined) {
      const header = value as { format?: unknown; seq?: unknown };
      if (header.format !== snapshotFormat || typeof header.seq !== 'number') {
        throw new Error(`${file}: not a ${snapshotFormat} snapshot`);
      }
      seq = header.seq;
      continue;
    }
    apply(value);
  }
  if (seq === undefined) throw new Error(`${file}: empty snapshot`);
  return seq;
}

/** Applies journal records newer than the snapshot; returns the last sequence number and the intact length. */
async function replayJournal(
  file: string,
  afterSeq: number,
  apply: (record: unknown) => void,
): Promise<{ lastSeq: number; validBytes: number }> {
  if (!(await exists(file))) return { lastSeq: afterSeq, validBytes: 0 };
  const text = await fs.readFile(file, 'utf8');
  let lastSeq = afterSeq;
  let offset = 0;
  let lineNumber = 0;
  while (offset < text.length) {
    const end = text.indexOf('\n', offset);
    lineNumber += 1;
    if (end === -1) break; // torn last line: never acknowledged, drop it
    const record = parseLine(text.slice(offset, end), file, lineNumber) as { seq?: unknown };
    if (typeof record.seq !== 'number')
      throw new Error(`${file}:${lineNumber}: record without a sequence number`);
    if (record.seq > afterSeq) {
      apply(record);
      lastSeq = record.seq;
    }
    offset = end + 1;
  }
  return { lastSeq, validBytes: Buffer.byteLength(text.slice(0, offset)) };
}

function parseLine(line: string, file: string, lineNumber: number): unknown {
  try {
    return JSON.parse(line);
  } catch {
    throw new Error(`${file}:${lineNumber}: damaged record (delete the folder or start with --fresh)`);
  }
}
