import { describe, expect, it } from 'vitest';
import { parseSchedule, ScheduleError } from '../../infra/local/host/ncrontab';

const at = (iso: string): number => Date.parse(iso);

/** The next `count` occurrences after `from`, as ISO strings. */
function occurrences(expression: string, from: string, count: number): string[] {
  const schedule = parseSchedule(expression);
  const result: string[] = [];
  let cursor = at(from);
  for (let i = 0; i < count; i++) {
    const next = schedule.next(cursor);
    if (next === undefined) break;
    result.push(new Date(next).toISOString());
    cursor = next;
  }
  return result;
}

describe('NCRONTAB schedules', () => {
  it.each([
    [
      'every second',
      '* * * * * *',
      '2026-01-01T00:00:00.000Z',
      ['2026-01-01T00:00:01.000Z', '2026-01-01T00:00:02.000Z'],
    ],
    [
      'every five minutes',
      '0 */5 * * * *',
      '2026-01-01T00:03:10.000Z',
      ['2026-01-01T00:05:00.000Z', '2026-01-01T00:10:00.000Z'],
    ],
    [
      'every hour on the hour',
      '0 0 * * * *',
      '2026-01-01T10:00:00.000Z',
      ['2026-01-01T11:00:00.000Z', '2026-01-01T12:00:00.000Z'],
    ],
    [
      'daily at 02:30',
      '0 30 2 * * *',
      '2026-01-01T02:30:00.000Z',
      ['2026-01-02T02:30:00.000Z', '2026-01-03T02:30:00.000Z'],
    ],
    [
      'a list of seconds',
      '5,10,15 * * * * *',
      '2026-01-01T00:00:12.000Z',
      ['2026-01-01T00:00:15.000Z', '2026-01-01T00:01:05.000Z'],
    ],
    [
      'a range with a step',
      '0 0 8-18/4 * * *',
      '2026-01-01T09:00:00.000Z',
      ['2026-01-01T12:00:00.000Z', '2026-01-01T16:00:00.000Z', '2026-01-02T08:00:00.000Z'],
    ],
    [
      'a start with a step (n/step)',
      '0 10/20 * * * *',
      '2026-01-01T00:00:00.000Z',
      [
        '2026-01-01T00:10:00.000Z',
        '2026-01-01T00:30:00.000Z',
        '2026-01-01T00:50:00.000Z',
        '2026-01-01T01:10:00.000Z',
      ],
    ],
    [
      'weekdays at nine by name',
      '0 0 9 * * Mon-Fri',
      '2026-01-02T10:00:00.000Z',
      ['2026-01-05T09:00:00.000Z', '2026-01-06T09:00:00.000Z'],
    ],
    [
      'sundays by number',
      '0 0 0 * * 0',
      '2026-01-01T00:00:00.000Z',
      ['2026-01-04T00:00:00.000Z', '2026-01-11T00:00:00.000Z'],
    ],
    [
      'month names',
      '0 0 0 1 jan,JULY *',
      '2026-02-01T00:00:00.000Z',
      ['2026-07-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
    ],
    [
      'the last day of February in a leap year',
      '0 0 12 29 2 *',
      '2026-01-01T00:00:00.000Z',
      ['2028-02-29T12:00:00.000Z', '2032-02-29T12:00:00.000Z'],
    ],
    [
      'day of month AND day of week (Friday the 13th)',
      '0 0 0 13 * FRI',
      '2026-01-01T00:00:00.000Z',
      ['2026-02-13T00:00:00.000Z', '2026-03-13T00:00:00.000Z', '2026-11-13T00:00:00.000Z'],
    ],
    [
      'five fields meaning no seconds',
      '*/15 9 * * *',
      '2026-01-01T09:20:00.000Z',
      ['2026-01-01T09:30:00.000Z', '2026-01-01T09:45:00.000Z', '2026-01-02T09:00:00.000Z'],
    ],
    ['year rollover', '0 0 0 1 1 *', '2026-12-31T23:59:59.500Z', ['2027-01-01T00:00:00.000Z']],
    [
      'month-end skipping short months',
      '0 0 0 31 * *',
      '2026-03-31T00:00:00.000Z',
      ['2026-05-31T00:00:00.000Z', '2026-07-31T00:00:00.000Z'],
    ],
  ])('%s: %s', (_name, expression, from, expected) => {
    expect(occurrences(expression, from, expected.length)).toEqual(expected);
  });

  it('never fires an impossible date (30 February) and says so with undefined', () => {
    expect(parseSchedule('0 0 0 30 2 *').next(at('2026-01-01T00:00:00Z'))).toBeUndefined();
  });

  it('returns strictly later times even from the middle of a second', () => {
    expect(occurrences('* * * * * *', '2026-01-01T00:00:00.999Z', 1)).toEqual(['2026-01-01T00:00:01.000Z']);
  });

  it.each([
    ['four fields', '* * * *'],
    ['seven fields', '0 0 0 * * * 2026'],
    ['an empty schedule', '   '],
    ['a second of 60', '60 * * * * *'],
    ['an hour of 24', '0 0 24 * * *'],
    ['a day of 0', '0 0 0 0 * *'],
    ['a month of 13', '0 0 0 1 13 *'],
    ['a day of week of 7', '0 0 0 * * 7'],
    ['a backwards range', '0 0 5-1 * * *'],
    ['a zero step', '*/0 * * * * *'],
    ['a non-numeric step', '*/x * * * * *'],
    ['an unknown name', '0 0 0 * * Funday'],
    ['a name too short to be sure', '0 0 0 * * mo'],
    ['an empty list item', '1,,2 * * * * *'],
    ['garbage', 'every day at noon please'],
    ['a Quartz question mark', '0 0 12 ? * *'],
    ['a negative number', '-1 * * * * *'],
  ])('rejects %s', (_name, expression) => {
    expect(() => parseSchedule(expression)).toThrow(ScheduleError);
  });
});

describe('TimeSpan schedules', () => {
  it('fires every interval', () => {
    expect(occurrences('00:05:00', '2026-01-01T00:00:07.000Z', 2)).toEqual([
      '2026-01-01T00:05:07.000Z',
      '2026-01-01T00:10:07.000Z',
    ]);
    expect(occurrences('1.00:00:00', '2026-01-01T00:00:00.000Z', 1)).toEqual(['2026-01-02T00:00:00.000Z']);
  });

  it.each(['00:00:00', '25:00:00', '00:60:00'])('rejects %s', (expression) => {
    expect(() => parseSchedule(expression)).toThrow(ScheduleError);
  });
});
