import { z } from 'zod';
import type { Clock } from '../clock';
import { resolveSettingReferences } from './app-config';
import type { RegisteredFunction } from './extension';
import type { Invoker } from './invoker';
import type { HostLogger } from './logger';
import { parseSchedule, type Schedule } from './ncrontab';
import type { RpcTypedData } from './rpc-types';

/**
 * Timer triggers on the injected clock, like WebJobs' TimerListener: each occurrence of the schedule invokes
 * the function with the host's TimerInfo; occurrences of one timer run one after the other, never
 * overlapping; `runOnStartup` fires once when the host starts. The ScheduleStatus a run sees is the one the
 * previous run left (Last = previous run, Next = this occurrence), or null when `useMonitor` is false.
 */

const timerTriggerSchema = z
  .object({
    schedule: z.string(),
    runOnStartup: z.boolean().optional(),
    useMonitor: z.boolean().optional(),
  })
  .loose();

interface ScheduleStatus {
  readonly last: number | undefined;
  readonly next: number | undefined;
  readonly lastUpdated: number | undefined;
}

/** .NET's default(DateTime), which the host reports before a timer has ever run. */
const neverIso = '0001-01-01T00:00:00.000Z';

/** The TimerInfo the Functions host sends a Node timer trigger: a JSON string, PascalCase. */
export function timerPayload(status: ScheduleStatus | null, isPastDue: boolean): RpcTypedData {
  const iso = (ms: number | undefined): string => (ms === undefined ? neverIso : new Date(ms).toISOString());
  return {
    string: JSON.stringify({
      Schedule: { AdjustForDST: true },
      ScheduleStatus:
        status === null
          ? null
          : { Last: iso(status.last), Next: iso(status.next), LastUpdated: iso(status.lastUpdated) },
      IsPastDue: isPastDue,
    }),
  };
}

/** Occurrences later than this after their due time are reported as past due. */
const pastDueThresholdMs = 1000;

interface ScheduledTimer {
  readonly fn: RegisteredFunction;
  readonly schedule: Schedule;
  readonly useMonitor: boolean;
  status: ScheduleStatus;
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
        const now = this.clock.now();
        timer = {
          fn,
          schedule,
          useMonitor: trigger.useMonitor !== false,
          status: { last: undefined, next: schedule.next(now), lastUpdated: undefined },
          cancel: undefined,
          running: Promise.resolve(),
        };
        runOnStartup = trigger.runOnStartup === true;
      } catch (error) {
        const message =
          error instanceof z.ZodError ? 'its timer trigger has no schedule' : (error as Error).message;
        this.logger.write('error', `The timer function '${fn.name}' is not scheduled: ${message}`);
        continue;
      }
      this.timers.set(fn.name, timer);
      if (runOnStartup) this.fire(timer, this.clock.now(), 'startup');
      this.arm(timer);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) timer.cancel?.();
  }

  /** The TimerInfo for an on-demand (admin API) run of a timer function; it leaves the schedule alone. */
  payloadFor(fn: RegisteredFunction): RpcTypedData {
    const timer = this.timers.get(fn.name);
    return timerPayload(timer === undefined || !timer.useMonitor ? null : timer.status, false);
  }

  private arm(timer: ScheduledTimer): void {
    if (this.stopped) return;
    const due = timer.status.next;
    if (due === undefined) {
      this.logger.write(
        'warn',
        `The timer '${timer.fn.name}' (${timer.schedule.expression}) never fires again`,
      );
      return;
    }
    timer.cancel = this.clock.schedule(due, () => {
      timer.cancel = undefined;
      this.fire(timer, due, 'schedule');
      this.arm(timer);
    });
  }

  /** Builds the payload now, updates the status as the run will leave it, and queues the invocation. */
  private fire(timer: ScheduledTimer, due: number, cause: 'schedule' | 'startup'): void {
    const firedAt = this.clock.now();
    const data = timerPayload(timer.useMonitor ? timer.status : null, firedAt - due > pastDueThresholdMs);
    // A scheduled run counts from its due time, a start-up run from now (TimerListener's adjustedInvocationTime).
    const ranAt = cause === 'schedule' ? due : firedAt;
    timer.status = { last: ranAt, next: timer.schedule.next(ranAt), lastUpdated: ranAt };
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
