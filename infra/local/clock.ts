/**
 * Time for the local host: real time normally, a virtual clock in tests so that a one-year durable timer or a
 * daily NCRONTAB schedule can be exercised in milliseconds. Everything in infra/local that waits uses this.
 */
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
