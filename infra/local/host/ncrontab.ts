/**
 * Timer schedules as the Functions host reads them: NCRONTAB with seconds (`sec min hour day month
 * day-of-week`: `*`, values, ranges, lists, `/` steps, month and day names; five fields mean no seconds, as
 * WebJobs' `CronSchedule.HasSeconds` decides) or a TimeSpan (`hh:mm:ss`, `d.hh:mm:ss`) meaning "every
 * interval". Day-of-month and day-of-week must both match (NCrontab ANDs them,
 * unlike Vixie cron). Times are UTC, the default of Azure (WEBSITE_TIME_ZONE unset).
 */

export interface Schedule {
  readonly expression: string;
  /** The first occurrence strictly after `after` (epoch ms); undefined if there is none within 10 years. */
  next(after: number): number | undefined;
}

export class ScheduleError extends Error {}

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const fields: readonly FieldSpec[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day', min: 1, max: 31 },
  {
    name: 'month',
    min: 1,
    max: 12,
    names: [
      'JANUARY',
      'FEBRUARY',
      'MARCH',
      'APRIL',
      'MAY',
      'JUNE',
      'JULY',
      'AUGUST',
      'SEPTEMBER',
      'OCTOBER',
      'NOVEMBER',
      'DECEMBER',
    ],
  },
  {
    name: 'day-of-week',
    min: 0,
    max: 6,
    names: ['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'],
  },
];

/** A number, or a name given by at least its first three letters ("Mon", "monday", "JAN"). */
function parseValue(text: string, spec: FieldSpec, expression: string): number {
  let value: number;
  if (spec.names !== undefined && /^[a-z]{3,}$/i.test(text)) {
    const index = spec.names.findIndex((name) => name.startsWith(text.toUpperCase()));
    if (index === -1)
      throw new ScheduleError(`'${text}' is not a ${spec.name} name in schedule '${expression}'`);
    value = index + spec.min;
  } else if (/^\d+$/.test(text)) {
    value = Number(text);
  } else {
    throw new ScheduleError(`'${text}' is not a valid ${spec.name} in schedule '${expression}'`);
  }
  if (value < spec.min || value > spec.max) {
    throw new ScheduleError(
      `${spec.name} ${value} is outside ${spec.min}-${spec.max} in schedule '${expression}'`,
    );
  }
  return value;
}

function parseField(text: string, spec: FieldSpec, expression: string): boolean[] {
  const allowed: boolean[] = new Array<boolean>(spec.max + 1).fill(false);
  for (const item of text.split(',')) {
    const match = /^([^/]+)(?:\/(.*))?$/.exec(item);
    if (match === null) throw new ScheduleError(`Empty ${spec.name} item in schedule '${expression}'`);
    const [, rangeText, stepText] = match as unknown as [string, string, string | undefined];
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) === 0) {
        throw new ScheduleError(`'${stepText}' is not a valid ${spec.name} step in schedule '${expression}'`);
      }
      step = Number(stepText);
    }
    let low: number;
    let high: number;
    if (rangeText === '*') {
      [low, high] = [spec.min, spec.max];
    } else if (rangeText.includes('-')) {
      const [from, to, ...extra] = rangeText.split('-');
      if (extra.length > 0 || from === undefined || to === undefined) {
        throw new ScheduleError(
          `'${rangeText}' is not a valid ${spec.name} range in schedule '${expression}'`,
        );
      }
      [low, high] = [parseValue(from, spec, expression), parseValue(to, spec, expression)];
      if (low > high) {
        throw new ScheduleError(
          `The ${spec.name} range '${rangeText}' runs backwards in schedule '${expression}'`,
        );
      }
    } else {
      low = parseValue(rangeText, spec, expression);
      // `n/step` means from n to the end of the field.
      high = stepText === undefined ? low : spec.max;
    }
    for (let value = low; value <= high; value += step) allowed[value] = true;
  }
  return allowed;
}

const maxSearchMs = 10 * 366 * 24 * 3600 * 1000;

function cronSchedule(expression: string): Schedule {
  const written = expression.trim().split(/\s+/);
  if (written.length !== 5 && written.length !== 6) {
    throw new ScheduleError(
      `Schedule '${expression}' has ${written.length} fields; NCRONTAB needs 6 (second minute hour day month day-of-week) or 5 (no seconds)`,
    );
  }
  const parts = written.length === 5 ? ['0', ...written] : written;
  const [second, minute, hour, day, month, weekday] = parts.map((part, index) =>
    parseField(part, fields[index]!, expression),
  ) as [boolean[], boolean[], boolean[], boolean[], boolean[], boolean[]];
  return {
    expression,
    next(after) {
      let t = Math.floor(after / 1000) * 1000 + 1000;
      const limit = after + maxSearchMs;
      while (t <= limit) {
        const d = new Date(t);
        const [y, mo, da, h, mi, s] = [
          d.getUTCFullYear(),
          d.getUTCMonth(),
          d.getUTCDate(),
          d.getUTCHours(),
          d.getUTCMinutes(),
          d.getUTCSeconds(),
        ];
        if (!month[mo + 1]) t = Date.UTC(y, mo + 1, 1);
        else if (!day[da] || !weekday[d.getUTCDay()]) t = Date.UTC(y, mo, da + 1);
        else if (!hour[h]) t = Date.UTC(y, mo, da, h + 1);
        else if (!minute[mi]) t = Date.UTC(y, mo, da, h, mi + 1);
        else if (!second[s]) t = Date.UTC(y, mo, da, h, mi, s + 1);
        else return t;
      }
      return undefined;
    },
  };
}

const timeSpanPattern = /^(?:(\d+)\.)?(\d{1,2}):(\d{2})(?::(\d{2}))?$/;

/** A .NET TimeSpan (`hh:mm:ss`, `d.hh:mm:ss`) in milliseconds; undefined if the text is not one. */
export function parseTimeSpan(text: string): number | undefined {
  const match = timeSpanPattern.exec(text.trim());
  if (match === null) return undefined;
  const [, days, hours, minutes, seconds] = match;
  if (Number(hours) > 23 || Number(minutes) > 59 || Number(seconds ?? 0) > 59) return undefined;
  return (
    ((Number(days ?? 0) * 24 + Number(hours)) * 60 + Number(minutes)) * 60_000 + Number(seconds ?? 0) * 1000
  );
}

function timeSpanSchedule(expression: string): Schedule {
  const interval = parseTimeSpan(expression);
  if (interval === undefined || interval === 0) {
    throw new ScheduleError(`'${expression}' is not a valid TimeSpan schedule`);
  }
  return { expression, next: (after) => after + interval };
}

export function parseSchedule(expression: string): Schedule {
  const trimmed = expression.trim();
  if (trimmed === '') throw new ScheduleError('The timer schedule is empty');
  return timeSpanPattern.test(trimmed) ? timeSpanSchedule(trimmed) : cronSchedule(trimmed);
}
