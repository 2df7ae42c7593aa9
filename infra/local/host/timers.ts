import { z } from 'zod';
import type { Clock } from '../clock';
import { resolveSettingReferences } from './app-config';
import type { RegisteredFunction } from './extension';
import type { Invoker } from './invoker';
import type { HostLogger } from './logger';
import { parseSchedule, type Schedule } from './ncrontab';
import type { RpcTypedData } from './rpc-types';

/**
 * Timer triggers on the injected clock, like the Functions host's TimerListener: each occurrence of the
 * schedule invokes the function with the host's timer payload; occurrences of one timer run one after the
 * other, never overlapping; `runOnStartup` fires once when the host starts.
 */

const timerTriggerSchema = z
  .object({
    schedule: z.string(),
    runOnStartup: z.boolean().optional(),
    useMonitor: z.boolean().optional(),
  })
  .loose();

/** The payload the Functions host sends a Node timer trigger (a JSON string, PascalCase). */
export function timerPayload(status: {
  last: number | undefined;
  next: number | undefined;
  now: number;
  isPastDue: boolean;
}): RpcTypedData {
  const iso = (ms: number | undefined): string =>
    ms === undefined ? '0001-01-01T00:00:00.000Z' : new Date(ms).toISOString();
  return {
    string: JSON.stringify({
      Schedule: { AdjustForDST: true },
      ScheduleStatus: { Last: iso(status.last), Next: iso(status.next), LastUpdated: iso(status.now) },
      IsPastDue: status.isPastDue,
    }),
  };
}

/** Occurrences later than this after their due time are reported as past due. */
const pastDueThresholdMs = 1000;

interface ScheduledTimer {
  readonly fn: RegisteredFunction;
  readonly schedule: Schedule;
  last: number | undefined;
  cancel: (() => void) | undefined;
  /** The chain of this timer's invocations, so occurrences never overlap. */
  running: Promise<unknown>;
}

export class TimerScheduler {
  private readonly timers = new Map<string, ScheduledTimer>();
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly invoker: Invoker,
    private readonly logger: HostLogger,
  ) {}

  /** Validates and arms every timer function; a bad schedule fails that function only (logged). */
  start(functions: readonly RegisteredFunction[]): void {
    for (const fn of functions) {
      let timer: ScheduledTimer;
      let runOnStartup: boolean;
      try {
        const trigger = timerTriggerSchema.parse(fn.trigger.info);
        const schedule = parseSchedule(
          resolveSettingReferences(trigger.schedule, `The schedule of '${fn.name}'`),
        );
        timer = { fn, schedule, last: undefined, cancel: undefined, running: Promise.resolve() };
        runOnStartup = trigger.runOnStartup === true;
      } catch (error) {
        const message =
          error instanceof z.ZodError ? 'its timer trigger has no schedule' : (error as Error).message;
        this.logger.write('error', `The timer function '${fn.name}' is not scheduled: ${message}`);
        continue;
      }
      this.timers.set(fn.name, timer);
      const now = this.clock.now();
      if (runOnStartup) this.fire(timer, now);
      this.arm(timer, now);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) timer.cancel?.();
  }

  /** The payload for an on-demand (admin API) run of a timer function. */
  payloadFor(fn: RegisteredFunction): RpcTypedData {
    const timer = this.timers.get(fn.name);
    const now = this.clock.now();
    return timerPayload({ last: timer?.last, next: timer?.schedule.next(now), now, isPastDue: false });
  }

  private arm(timer: ScheduledTimer, after: number): void {
    if (this.stopped) return;
    const due = timer.schedule.next(after);
    if (due === undefined) {
      this.logger.write(
        'warn',
        `The timer '${timer.fn.name}' (${timer.schedule.expression}) never fires again`,
      );
      return;
    }
    timer.cancel = this.clock.schedule(due, () => {
      timer.cancel = undefined;
      this.fire(timer, due);
      this.arm(timer, due);
    });
  }

  private fire(timer: ScheduledTimer, due: number): void {
    // The payload is fixed when the timer fires, even if an earlier occurrence is still running.
    const firedAt = this.clock.now();
    const data = timerPayload({
      last: timer.last,
      next: timer.schedule.next(due),
      now: firedAt,
      isPastDue: firedAt - due > pastDueThresholdMs,
    });
    timer.last = due;
    timer.running = timer.running.then(async () => {
      if (this.stopped) return;
      await this.invoker.invoke(
        timer.fn.name,
        [{ name: timer.fn.trigger.name, data }],
        {},
        {
          reason: `Timer fired at ${new Date(firedAt).toISOString()}`,
        },
      );
    });
  }
}
