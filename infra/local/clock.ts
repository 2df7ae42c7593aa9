/**
 * Time for the local host: real time normally, a virtual clock in tests so that a one-year durable timer or a
 * daily NCRONTAB schedule can be exercised in milliseconds. Everything in infra/local that waits uses this.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `callback` once the clock reaches `at` (epoch ms). Returns a function that cancels it. */
  schedule(at: number, callback: () => void): () => void;
}

/** setTimeout caps delays at 2^31-1 ms (~24.8 days); longer waits are chained. */
const maxTimeoutMs = 2_147_483_647;

export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  schedule(at: number, callback: () => void): () => void {
    let handle: NodeJS.Timeout;
    const arm = (): void => {
      const delay = at - Date.now();
      if (delay > maxTimeoutMs) {
        handle = setTimeout(arm, maxTimeoutMs);
      } else {
        handle = setTimeout(callback, Math.max(0, delay));
      }
      handle.unref();
    };
    arm();
    return () => clearTimeout(handle);
  }
}

interface PendingTimer {
  readonly at: number;
  readonly sequence: number;
  readonly callback: () => void;
}

/** A clock that only moves when told to; due callbacks run in time order (then scheduling order). */
export class VirtualClock implements Clock {
  private current: number;
  private sequence = 0;
  private readonly pending = new Set<PendingTimer>();

  constructor(start: number | Date = Date.now()) {
    this.current = typeof start === 'number' ? start : start.getTime();
  }

  now(): number {
    return this.current;
  }

  schedule(at: number, callback: () => void): () => void {
    const timer: PendingTimer = { at, sequence: this.sequence++, callback };
    if (at <= this.current) {
      // Already due: run on the next turn, as a zero-delay timer would.
      setImmediate(() => {
        if (this.pending.delete(timer)) callback();
      });
    }
    this.pending.add(timer);
    return () => {
      this.pending.delete(timer);
    };
  }

  /** Moves time forward by `ms`, running every callback that falls due, each at its own instant. */
  async advance(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`Cannot advance the clock by ${ms} ms`);
    const target = this.current + ms;
    for (;;) {
      const next = this.nextDue(target);
      if (next === undefined) break;
      this.pending.delete(next);
      this.current = Math.max(this.current, next.at);
      next.callback();
      // Let the callback's own work (and the timers it schedules) settle before the next one.
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.current = target;
  }

  private nextDue(limit: number): PendingTimer | undefined {
    let best: PendingTimer | undefined;
    for (const timer of this.pending) {
      if (timer.at > limit) continue;
      if (
        best === undefined ||
        timer.at < best.at ||
        (timer.at === best.at && timer.sequence < best.sequence)
      ) {
        best = timer;
      }
    }
    return best;
  }
}

/**
 * Real time plus an offset that only ever grows (`npm run clock -- advance 30d`): what `npm start` runs on, so
 * a person can watch a reminder, an expiry and a deletion happen without waiting a year. Moving it re-arms
 * every pending callback; those now due run at once, in time order. The offset is kept in a file under the
 * data folder (when given), so a restart stays in the future it was moved to.
 */
export class AdjustableClock implements Clock {
  private offsetMs: number;
  private sequence = 0;
  private readonly pending = new Map<number, { at: number; callback: () => void; disarm: () => void }>();
  private readonly real = new SystemClock();

  constructor(private readonly stateFile?: string) {
    this.offsetMs = stateFile === undefined ? 0 : readOffset(stateFile);
  }

  now(): number {
    return Date.now() + this.offsetMs;
  }

  /** How far ahead of real time this clock runs. */
  get offset(): number {
    return this.offsetMs;
  }

  schedule(at: number, callback: () => void): () => void {
    const id = this.sequence++;
    const entry = { at, callback, disarm: () => undefined };
    this.pending.set(id, entry);
    this.arm(id);
    return () => {
      this.pending.get(id)?.disarm();
      this.pending.delete(id);
    };
  }

  /** Moves the clock forward by `ms`; what falls due runs now, earliest first. */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`Cannot advance the clock by ${ms} ms`);
    this.offsetMs += ms;
    if (this.stateFile !== undefined) writeOffset(this.stateFile, this.offsetMs);
    const ids = [...this.pending.keys()].sort((a, b) => this.pending.get(a)!.at - this.pending.get(b)!.at);
    for (const id of ids) {
      this.pending.get(id)!.disarm();
      this.arm(id);
    }
  }

  private arm(id: number): void {
    const entry = this.pending.get(id);
    if (entry === undefined) return;
    // Real-time delay to the virtual instant; chained setTimeouts handle long waits (SystemClock).
    entry.disarm = this.real.schedule(entry.at - this.offsetMs, () => {
      if (this.pending.delete(id)) entry.callback();
    });
  }
}

function readOffset(file: string): number {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { offsetMs?: unknown };
    return typeof parsed.offsetMs === 'number' && parsed.offsetMs >= 0 ? parsed.offsetMs : 0;
  } catch {
    return 0;
  }
}

function writeOffset(file: string, offsetMs: number): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify({ offsetMs })}\n`);
  renameSync(temporary, file);
}
