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

interface Snapshot {
  readonly instances: readonly StoredInstance[];
  readonly work: readonly ActivityWorkItem[];
  readonly timers: readonly TimerItem[];
}

/** Compact the journal into a snapshot once it passes this size. */
const compactAfterBytes = 64 * 1024 * 1024;

export class DurableStore {
  readonly instances = new Map<string, StoredInstance>();
  readonly work = new Map<string, ActivityWorkItem>();
  readonly timers = new Map<string, TimerItem>();
  private journal: Journal | undefined;

  private constructor(private readonly directory: string | undefined) {}

  /** Opens (and recovers) the store in `directory`, or an in-memory one when it is undefined. */
  static async open(directory: string | undefined): Promise<DurableStore> {
    const store = new DurableStore(directory);
    if (directory !== undefined) {
      await fs.promises.mkdir(directory, { recursive: true });
      acquireLock(directory);
      await store.recover(directory);
      store.journal = await Journal.open(path.join(directory, 'journal.ndjson'), () => store.snapshotText());
    }
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

  private snapshotText(): string {
    const snapshot: Snapshot = {
      instances: [...this.instances.values()],
      work: [...this.work.values()],
      timers: [...this.timers.values()],
    };
    return JSON.stringify(snapshot);
  }

  private async recover(directory: string): Promise<void> {
    const snapshotPath = path.join(directory, 'snapshot.json');
    const journalPath = path.join(directory, 'journal.ndjson');
    const snapshotText = await readIfExists(snapshotPath);
    if (snapshotText !== undefined) {
      const snapshot = JSON.parse(snapshotText) as Snapshot;
      for (const instance of snapshot.instances) this.instances.set(instance.meta.instanceId, instance);
      for (const item of snapshot.work) this.work.set(item.id, item);
      for (const timer of snapshot.timers) this.timers.set(timer.id, timer);
    }
    const journalText = (await readIfExists(journalPath)) ?? '';
    const lines = journalText.split('\n');
    lines.forEach((line, index) => {
      if (line === '') return;
      let ops: StoreOp[];
      try {
        ops = JSON.parse(line) as StoreOp[];
      } catch (error) {
        // Only the last line can be torn (killed mid-append); its batch was never acknowledged.
        if (index >= lines.length - 2) return;
        throw new Error(`Durable journal ${journalPath} is corrupt at line ${index + 1}`, { cause: error });
      }
      for (const op of ops) this.apply(op);
    });
    await writeFileDurably(snapshotPath, this.snapshotText());
    await fs.promises.writeFile(journalPath, '');
  }
}

/** Append-only file with group commit: appends made while a write+fsync is under way share the next one. */
class Journal {
  private pending: { line: string; resolve: () => void; reject: (error: Error) => void }[] = [];
  private flushing: Promise<void> | undefined;
  private size = 0;

  private constructor(
    private readonly filePath: string,
    private handle: fs.promises.FileHandle,
    private readonly snapshot: () => string,
  ) {}

  static async open(filePath: string, snapshot: () => string): Promise<Journal> {
    return new Journal(filePath, await fs.promises.open(filePath, 'a'), snapshot);
  }

  append(line: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ line, resolve, reject });
      this.flushing ??= this.flush().finally(() => {
        this.flushing = undefined;
      });
    });
  }

  async close(): Promise<void> {
    while (this.flushing) await this.flushing;
    await this.handle.close();
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      if (this.size > compactAfterBytes) await this.compact();
      const batch = this.pending;
      this.pending = [];
      const text = batch.map((entry) => entry.line + '\n').join('');
      try {
        await this.handle.write(text);
        await this.handle.datasync();
        this.size += Buffer.byteLength(text);
        for (const entry of batch) entry.resolve();
      } catch (error) {
        for (const entry of batch) entry.reject(error as Error);
      }
    }
  }

  /**
   * Called between flushes with nothing pending: the in-memory state then equals the durable state, so its
   * snapshot (taken synchronously, before anything else can apply) replaces the journal.
   */
  private async compact(): Promise<void> {
    const text = this.snapshot();
    await writeFileDurably(path.join(path.dirname(this.filePath), 'snapshot.json'), text);
    await this.handle.close();
    this.handle = await fs.promises.open(this.filePath, 'w');
    this.size = 0;
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
    await handle.write(text);
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
