import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../infra/local/clock';
import { startFixture, type FixtureHost } from './fixtures';

interface Run {
  name: string;
  invocationId: string;
  item?: unknown;
  timer?: {
    schedule: { adjustForDST: boolean };
    scheduleStatus: { last: string; next: string; lastUpdated: string } | null;
    isPastDue: boolean;
  };
}

const start = Date.parse('2026-01-05T08:58:00.000Z'); // a Monday
const clock = new VirtualClock(start);
let app: FixtureHost;

async function runs(): Promise<Run[]> {
  return (await (await app.fetch('/api/runs')).json()) as Run[];
}

/** Polls by time, not by attempts: a loaded machine may need seconds for the invocations to finish. */
async function runsOf(name: string, count: number): Promise<Run[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const matching = (await runs()).filter((run) => run.name === name);
    if (matching.length >= count) return matching;
    if (Date.now() > deadline) {
      throw new Error(`${name} did not run ${count} times: ${JSON.stringify(await runs())}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

beforeAll(async () => {
  app = await startFixture('timers', { clock, masterKey: 'timer-key' });
});

afterAll(async () => {
  await app?.host.close();
});

describe('timer triggers on the injected clock', () => {
  it('runs a runOnStartup timer once at start, before its schedule is due', async () => {
    const [run] = await runsOf('onStartup', 1);
    expect(run?.timer).toEqual({
      schedule: { adjustForDST: true },
      scheduleStatus: {
        last: '0001-01-01T00:00:00.000Z',
        next: '2027-01-01T00:00:00.000Z',
        lastUpdated: '0001-01-01T00:00:00.000Z',
      },
      isPastDue: false,
    });
  });

  it('fires nothing until the clock reaches the schedule', async () => {
    await clock.advance(60_000); // 08:59
    expect((await runs()).filter((run) => run.name !== 'onStartup')).toEqual([]);
  });

  it('fires each occurrence with the TimerInfo the previous run left, as the worker camel-cases it', async () => {
    await clock.advance(9 * 60_000); // 09:08
    const fiveMinutes = await runsOf('everyFiveMinutes', 2);
    expect(fiveMinutes).toHaveLength(2);
    expect(fiveMinutes[0]?.timer?.scheduleStatus).toEqual({
      last: '0001-01-01T00:00:00.000Z',
      next: '2026-01-05T09:00:00.000Z',
      lastUpdated: '0001-01-01T00:00:00.000Z',
    });
    expect(fiveMinutes[1]?.timer).toEqual({
      schedule: { adjustForDST: true },
      scheduleStatus: {
        last: '2026-01-05T09:00:00.000Z',
        next: '2026-01-05T09:05:00.000Z',
        lastUpdated: '2026-01-05T09:00:00.000Z',
      },
      isPastDue: false,
    });
    const [unmonitored] = await runsOf('unmonitored', 1);
    expect(unmonitored?.timer?.scheduleStatus).toBeNull();
    expect(await runsOf('weekdaysAtNine', 1)).toHaveLength(1);
    expect(
      app.logs.some((line) =>
        line.includes(
          "Executing 'Functions.everyFiveMinutes' (Reason='Timer fired at 2026-01-05T09:05:00.000Z'",
        ),
      ),
    ).toBe(true);
  });

  it('reads a %SETTING% schedule and keeps firing across days', async () => {
    await clock.advance(24 * 3600_000); // 2026-01-06T09:08
    expect(await runsOf('nightly', 1)).toHaveLength(1);
    // A five-field schedule has no seconds field: 09:30 once, on the first day.
    expect(await runsOf('fiveFields', 1)).toHaveLength(1);
    expect(await runsOf('weekdaysAtNine', 2)).toHaveLength(2);
    // 09:00 and 09:05 yesterday, then every five minutes for 24 hours.
    expect(await runsOf('everyFiveMinutes', 2 + 288)).toHaveLength(2 + 288);
  });

  it('does not schedule a timer with an invalid schedule, and says why', async () => {
    expect((await runs()).some((run) => run.name === 'badSchedule')).toBe(false);
    expect(app.logs.some((line) => line.includes("The timer function 'badSchedule' is not scheduled"))).toBe(
      true,
    );
  });

  it('lists timer functions with their trigger type', () => {
    expect(app.logs).toContain('        everyFiveMinutes: timerTrigger');
  });
});

describe('POST /admin/functions/{name}', () => {
  const admin = (name: string, init: RequestInit = {}): Promise<Response> =>
    app.fetch(`/admin/functions/${name}`, { method: 'POST', ...init });

  it('runs a non-HTTP function on demand with the posted input and answers 202', async () => {
    const response = await admin('queueWorker', {
      headers: { 'x-functions-key': 'timer-key', 'content-type': 'application/json' },
      body: JSON.stringify({ input: '{"job":42}' }),
    });
    expect(response.status).toBe(202);
    const [run] = await runsOf('queueWorker', 1);
    expect(run?.item).toEqual({ job: 42 });
  });

  it('runs a timer function on demand with a timer payload', async () => {
    const before = (await runs()).filter((run) => run.name === 'nightly').length;
    const response = await admin('nightly', { headers: { 'x-functions-key': 'timer-key' }, body: '{}' });
    expect(response.status).toBe(202);
    const nightly = await runsOf('nightly', before + 1);
    expect(nightly[before]?.timer?.isPastDue).toBe(false);
  });

  it('needs the master key', async () => {
    expect((await admin('queueWorker', { body: '{}' })).status).toBe(401);
    expect((await admin('queueWorker', { headers: { 'x-functions-key': 'nope' }, body: '{}' })).status).toBe(
      401,
    );
  });

  it('answers 404 for an unknown function, 400 for an HTTP function or a missing or bad body, 405 for GET', async () => {
    const key = { 'x-functions-key': 'timer-key' };
    expect((await admin('missing', { headers: key, body: '{}' })).status).toBe(404);
    expect((await admin('runs', { headers: key, body: '{}' })).status).toBe(400);
    expect((await admin('queueWorker', { headers: key, body: '{"input":' })).status).toBe(400);
    expect((await admin('queueWorker', { headers: key })).status).toBe(400);
    expect((await app.fetch('/admin/functions/queueWorker', { headers: key })).status).toBe(405);
  });
});
