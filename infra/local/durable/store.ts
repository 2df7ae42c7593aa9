/**
 * The task hub's state: instances (metadata, history, inbox of undelivered messages), pending activity work
 * items and durable timers. Every change is a batch of operations applied in memory and, with a data
 * directory, appended to a journal and fsync'ed before the caller acts on it (runs the activity, answers 202).
 *
 * Why a journal of our own rather than Azurite tables/queues like the Azure Storage provider: Azurite keeps its
 * metadata in LokiJS and only autosaves every 5 s, so a SIGKILL loses acknowledged writes; one append-only
 * file with group-committed fsyncs is durable at every acknowledgement and costs one write per batch.
 * On open the snapshot plus the journal are replayed (a torn last line from a kill mid-write is dropped), a
 * fresh snapshot is written and the journal restarts empty; it is also compacted when it grows large.
 * A second process on the same directory is refused (`owner.pid`): it would run the same instances.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { HistoryEvent, TaskFailure } from './history';
import type { OrchestratorAction, RetryOptions } from './orchestrator-state';

export type RuntimeStatus =
  'Pending' | 'Running' | 'Completed' | 'ContinuedAsNew' | 'Failed' | 'Canceled' | 'Terminated' | 'Suspended';

export const terminalStatuses: ReadonlySet<RuntimeStatus> = new Set([
  'Completed',
  'Failed',
  'Canceled',
  'Terminated',
]);

/** One position in the execution's flattened action list and what the engine did for it. */
export interface ActionSlot {
  readonly actionType: number;
  readonly name: string | undefined;
  /** Sequence id given when it was scheduled (absent for event waits and continue-as-new). */
  readonly taskId?: number;
  /** Set once a timer slot is reported cancelled, so its timer is dropped. */
  canceled?: boolean;
  /**
   * The slot of the same task when a still-pending task was passed into a later `Task.any`/`Task.all`: the SDK
   * repeats its action there but keeps its id, so nothing was scheduled for this slot.
   */
  readonly reuseOf?: number;
}

/** A call with retry in flight, keyed in `retries` by the id the SDK awaits next (an attempt, then its timer). */
export interface RetryState {
  readonly phase: 'attempt' | 'timer';
  /** Position of the call in the action list. */
  readonly slot: number;
  readonly options: RetryOptions;
  readonly callAction: OrchestratorAction;
  /** The attempt awaited (phase `attempt`) or the attempts made so far (phase `timer`). */
  readonly attempt: number;
  readonly firstAttemptAt: number;
  readonly lastFailure?: TaskFailure;
  /** Set when a failure came after the retry timeout: no further attempt runs. */
  readonly timedOut?: boolean;
}

export interface ParentLink {
  readonly instanceId: string;
  readonly executionId: string;
  readonly taskId: number;
}

export interface InstanceMeta {
  readonly instanceId: string;
  readonly name: string;
  readonly executionId: string;
  /** Orchestration input as JSON text; null when started without one. */
  readonly inputJson: string | null;
  readonly status: RuntimeStatus;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly customStatusJson: string | null;
  /** Output as JSON text (for Failed/Terminated the message as a JSON string). */
  readonly outputJson: string | null;
  readonly parent?: ParentLink;
  readonly nextId: number;
  readonly slots: readonly ActionSlot[];
  /** Retries in flight keyed by the id the SDK will next complete for them (the timer, then the new attempt). */
  readonly retries: Readonly<Record<string, RetryState>>;
}

export type MessageKind = 'start' | 'event' | 'terminate' | 'suspend' | 'resume';

export interface InstanceMessage {
  readonly id: string;
  readonly instanceId: string;
  /** Completions belong to one execution; events from clients (undefined) reach whichever is current. */
  readonly executionId?: string;
  readonly kind: MessageKind;
  readonly event?: HistoryEvent;
  readonly reason?: string;
}

export interface ActivityWorkItem {
  readonly id: string;
  readonly instanceId: string;
  readonly executionId: string;
  readonly taskId: number;
  readonly name: string;
  readonly inputJson: string;
}

export interface TimerItem {
  readonly id: string;
  readonly instanceId: string;
  readonly executionId: string;
  readonly timerId: number;
  readonly fireAt: number;
}

export interface StoredInstance {
  meta: InstanceMeta;
  history: HistoryEvent[];
  /** History events before this index are from earlier episodes and carry IsPlayed=true. */
  playedUpTo: number;
  inbox: InstanceMessage[];
}

export type StoreOp =
  | { readonly op: 'instance'; readonly meta: InstanceMeta }
  | {
      readonly op: 'history';
      readonly instanceId: string;
      readonly events: readonly HistoryEvent[];
      readonly reset?: boolean;
    }
  /** `front` puts the message ahead of everything queued (a continue-as-new's start). */
  | { readonly op: 'enqueue'; readonly message: InstanceMessage; readonly front?: boolean }
  | { readonly op: 'dequeue'; readonly instanceId: string; readonly messageId: string }
  | { readonly op: 'work'; readonly item: ActivityWorkItem }
  | { readonly op: 'workDone'; readonly id: string }
  | { readonly op: 'timer'; readonly timer: TimerItem }
  | { readonly op: 'timerDone'; readonly id: string }
  | { readonly op: 'purge'; readonly instanceId: string };

const snapshotFile = 'snapshot.json';
const journalFile = 'journal.ndjson';

interface Snapshot {
  readonly generation: number;
  readonly instances: readonly StoredInstance[];
  readonly work: readonly ActivityWorkItem[];
  readonly timers: readonly TimerItem[];
}

/** Compact the journal into a snapshot once it passes this size. */
const defaultCompactAfterBytes = 64 * 1024 * 1024;

export class DurableStore {
  readonly instances = new Map<string, StoredInstance>();
  readonly work = new Map<string, ActivityWorkItem>();
  readonly timers = new Map<string, TimerItem>();
  private journal: Journal | undefined;

  private constructor(private readonly directory: string | undefined) {}

  /** Opens (and recovers) the store in `directory`, or an in-memory one when it is undefined. */
  static async open(
    directory: string | undefined,
    options: { compactAfterBytes?: number } = {},
  ): Promise<DurableStore> {
    const store = new DurableStore(directory);
    if (directory !== undefined) {
      await fs.promises.mkdir(directory, { recursive: true });
      acquireLock(directory);
      const generation = await store.recover(directory);
      store.journal = await Journal.start(
        directory,
        generation,
        (next) => store.snapshotText(next),
        options.compactAfterBytes ?? defaultCompactAfterBytes,
      );
    }
    return store;
  }

  /** Loads a task hub's persisted state read-only (no lock, nothing rewritten): for inspection tools. */
  static async read(directory: string): Promise<DurableStore> {
    const store = new DurableStore(undefined);
    await store.recover(directory);
    return store;
  }

  /** Applies the batch now; resolves once it is durable (at once in memory). */
  commit(ops: readonly StoreOp[]): Promise<void> {
    if (ops.length === 0) return Promise.resolve();
    for (const op of ops) this.apply(op);
    return this.journal?.append(JSON.stringify(ops)) ?? Promise.resolve();
  }

  async close(): Promise<void> {
    await this.journal?.close();
    if (this.directory !== undefined) releaseLock(this.directory);
  }

  private apply(op: StoreOp): void {
    switch (op.op) {
      case 'instance': {
        const existing = this.instances.get(op.meta.instanceId);
        if (existing) existing.meta = op.meta;
        else this.instances.set(op.meta.instanceId, { meta: op.meta, history: [], playedUpTo: 0, inbox: [] });
        break;
      }
      case 'history': {
        const instance = this.instances.get(op.instanceId);
        if (!instance) break;
        if (op.reset === true) {
          instance.history = [];
          instance.playedUpTo = 0;
        }
        // Everything already recorded now belongs to an earlier episode.
        for (let i = instance.playedUpTo; i < instance.history.length; i++)
          instance.history[i]!.IsPlayed = true;
        instance.history.push(...op.events.map((event) => ({ ...event })));
        instance.playedUpTo = instance.history.length - op.events.length;
        break;
      }
      case 'enqueue': {
        const inbox = this.instances.get(op.message.instanceId)?.inbox;
        if (op.front === true) inbox?.unshift(op.message);
        else inbox?.push(op.message);
        break;
      }
      case 'dequeue': {
        const instance = this.instances.get(op.instanceId);
        if (instance) instance.inbox = instance.inbox.filter((message) => message.id !== op.messageId);
        break;
      }
      case 'work':
        this.work.set(op.item.id, op.item);
        break;
      case 'workDone':
        this.work.delete(op.id);
        break;
      case 'timer':
        this.timers.set(op.timer.id, op.timer);
        break;
      case 'timerDone':
        this.timers.delete(op.id);
        break;
      case 'purge':
        this.instances.delete(op.instanceId);
        for (const [id, item] of this.work) if (item.instanceId === op.instanceId) this.work.delete(id);
        for (const [id, timer] of this.timers) if (timer.instanceId === op.instanceId) this.timers.delete(id);
        break;
    }
  }

  private snapshotText(generation: number): string {
    const snapshot: Snapshot = {
      generation,
      instances: [...this.instances.values()],
      work: [...this.work.values()],
      timers: [...this.timers.values()],
    };
    return JSON.stringify(snapshot);
  }

  /** Loads snapshot + journal and returns the snapshot's generation. */
  private async recover(directory: string): Promise<number> {
    const journalPath = path.join(directory, journalFile);
    const snapshotText = await readIfExists(path.join(directory, snapshotFile));
    let generation = 0;
    if (snapshotText !== undefined) {
      const snapshot = JSON.parse(snapshotText) as Snapshot;
      generation = snapshot.generation;
      for (const instance of snapshot.instances) this.instances.set(instance.meta.instanceId, instance);
      for (const item of snapshot.work) this.work.set(item.id, item);
      for (const timer of snapshot.timers) this.timers.set(timer.id, timer);
    }
    const lines = ((await readIfExists(journalPath)) ?? '').split('\n');
    let journalGeneration: number | undefined;
    for (const [index, line] of lines.entries()) {
      if (line === '') continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch (error) {
        // Only the last line can be torn (killed mid-append); its batch was never acknowledged.
        if (index >= lines.length - 2) break;
        throw new Error(`Durable journal ${journalPath} is corrupt at line ${index + 1}`, { cause: error });
      }
      if (journalGeneration === undefined) {
        const header = parsed as Partial<JournalHeader>;
        if (typeof header.generation !== 'number') {
          throw new Error(`Durable journal ${journalPath} has no generation header`);
        }
        journalGeneration = header.generation;
        if (journalGeneration > generation) {
          throw new Error(
            `Durable journal ${journalPath} is newer than its snapshot: the snapshot is missing`,
          );
        }
        // A journal of an older generation was folded into the snapshot just before a crash.
        if (journalGeneration < generation) break;
        continue;
      }
      for (const op of parsed as StoreOp[]) this.apply(op);
    }
    return generation;
  }
}

interface JournalHeader {
  readonly generation: number;
}

/**
 * Append-only file with group commit: appends made while a write+fsync is under way share the next one.
 * Its first line names its generation; compaction writes the state as snapshot generation N+1 (atomically,
 * by rename), then restarts the journal with header N+1. A crash in between leaves a journal of generation N
 * beside snapshot N+1, which recovery skips because the snapshot already holds it.
 */
class Journal {
  private pending: { line: string; resolve: () => void; reject: (error: Error) => void }[] = [];
  private flushing: Promise<void> | undefined;
  private size = 0;

  private constructor(
    private readonly directory: string,
    private readonly handle: fs.promises.FileHandle,
    private generation: number,
    private readonly snapshot: (generation: number) => string,
    private readonly compactAfterBytes: number,
  ) {}

  /** Writes the current state as a new generation and starts its empty journal. */
  static async start(
    directory: string,
    previousGeneration: number,
    snapshot: (generation: number) => string,
    compactAfterBytes: number,
  ): Promise<Journal> {
    const handle = await fs.promises.open(path.join(directory, journalFile), 'a');
    const journal = new Journal(directory, handle, previousGeneration, snapshot, compactAfterBytes);
    await journal.compact();
    return journal;
  }

  append(line: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ line, resolve, reject });
      this.flushing ??= this.flush();
    });
  }

  async close(): Promise<void> {
    while (this.flushing) await this.flushing;
    await this.handle.close();
  }

  /**
   * Writes pending batches until none is left. `flushing` is cleared in the same synchronous step that finds
   * the queue empty, so an append arriving a moment later always starts a new flush.
   */
  private async flush(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const batch = this.pending;
        this.pending = [];
        try {
          const text = batch.map((entry) => entry.line + '\n').join('');
          await this.handle.writeFile(text);
          await this.handle.datasync();
          this.size += Buffer.byteLength(text);
          for (const entry of batch) entry.resolve();
          // Nothing pending means every applied batch is on disk: the in-memory state is the durable state.
          if (this.size > this.compactAfterBytes && this.pending.length === 0) await this.compact();
        } catch (error) {
          for (const entry of [...batch, ...this.pending]) entry.reject(error as Error);
          this.pending = [];
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }

  private async compact(): Promise<void> {
    const next = this.generation + 1;
    await writeFileDurably(path.join(this.directory, snapshotFile), this.snapshot(next));
    await this.handle.truncate(0);
    const header = JSON.stringify({ generation: next } satisfies JournalHeader) + '\n';
    await this.handle.writeFile(header);
    await this.handle.datasync();
    this.generation = next;
    this.size = Buffer.byteLength(header);
  }
}

async function readIfExists(filePath: string): Promise<string | undefined> {
  try {
    return await fs.promises.readFile(filePath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Write to a temporary file, fsync, rename over the target, fsync the directory. */
async function writeFileDurably(filePath: string, text: string): Promise<void> {
  const temporary = `${filePath}.tmp`;
  const handle = await fs.promises.open(temporary, 'w');
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.promises.rename(temporary, filePath);
  const directory = await fs.promises.open(path.dirname(filePath), 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}

/** One process per task hub directory: two would run episodes of the same instance at once. */
function acquireLock(directory: string): void {
  const lockPath = path.join(directory, 'owner.pid');
  try {
    const owner = Number(fs.readFileSync(lockPath, 'utf8'));
    if (owner !== process.pid && Number.isInteger(owner) && owner > 0 && isAlive(owner)) {
      throw new Error(`Durable task hub ${directory} is in use by process ${owner}`);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  fs.writeFileSync(lockPath, String(process.pid));
}

function releaseLock(directory: string): void {
  fs.rmSync(path.join(directory, 'owner.pid'), { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
