/**
 * A task still pending after one `Task.any` and passed into the next one (a deadline shared by several waits,
 * a 'Withdrawn' wait in every race, an activity or a child that outlives the first race). The SDK keeps the
 * task's id and repeats its action inside the new WhenAny, so the engine must not schedule it a second time:
 * one TimerCreated / TaskScheduled / SubOrchestrationInstanceCreated per task, and the ids of everything
 * scheduled afterwards still match the SDK's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../infra/local/durable/history';
import { startDurableHost, type DurableTestHost } from './support';

let t: DurableTestHost;

beforeAll(async () => {
  t = await startDurableHost();
});

afterAll(async () => {
  await t?.close();
});

const hour = 3600_000;

function history(instanceId: string): readonly HistoryEvent[] {
  const events = t.durable.history(instanceId);
  if (!events) throw new Error(`no history for ${instanceId}`);
  return events;
}

/** `[type, id]` of the scheduling and completion events, in history order. */
function idTrail(instanceId: string): string[] {
  const names: Record<number, string> = {
    4: 'TaskScheduled',
    5: 'TaskCompleted',
    6: 'TaskFailed',
    7: 'SubOrchestrationInstanceCreated',
    8: 'SubOrchestrationInstanceCompleted',
    9: 'SubOrchestrationInstanceFailed',
    10: 'TimerCreated',
    11: 'TimerFired',
  };
  return history(instanceId).flatMap((event) => {
    const name = names[event.EventType];
    if (name === undefined) return [];
    const id =
      event.EventType === 11
        ? event.TimerId
        : 'TaskScheduledId' in event
          ? event.TaskScheduledId
          : event.EventId;
    return [`${name} ${String(id)}`];
  });
}

/** Waits until the instance has recorded `count` events named `name` (an episode has handled them). */
async function handled(instanceId: string, name: string, count = 1): Promise<void> {
  await expect
    .poll(() => history(instanceId).filter((event) => event.EventType === 15 && event.Name === name).length)
    .toBe(count);
  await expect.poll(() => history(instanceId).at(-1)?.EventType, { message: 'episode finished' }).toBe(13);
}

async function raise(instanceId: string, name: string, data?: unknown): Promise<void> {
  expect((await t.raise(instanceId, name, data)).status).toBe(202);
  await handled(instanceId, name);
}

describe('a pending timer carried into a second Task.any', () => {
  it('is created once; either wait can win; it fires once later and events are still delivered', async () => {
    const id = await t.start('sharedDeadline', 1);
    await expect.poll(() => idTrail(id)).toEqual(['TimerCreated 0']);
    await raise(id, 'A', 'a');
    await raise(id, 'B', 'b');
    await t.waitFor(id, 'Running');
    await expect.poll(() => idTrail(id)).toEqual(['TimerCreated 0', 'TaskScheduled 1', 'TaskCompleted 1']);

    // The deadline passes while the orchestrator waits for C: the timer fires once, resolving nothing new.
    await t.clock.advance(hour);
    await expect.poll(() => idTrail(id).at(-1)).toBe('TimerFired 0');
    await t.clock.advance(10 * hour);
    expect((await t.status(id)).runtimeStatus).toBe('Running');

    await raise(id, 'C', 'c');
    const done = await t.waitFor(id, 'Completed');
    expect(done.output).toEqual({ echoed: { a: 'a', b: 'b' }, c: 'c' });
    expect(idTrail(id)).toEqual(['TimerCreated 0', 'TaskScheduled 1', 'TaskCompleted 1', 'TimerFired 0']);
  });

  it('wins the second race at its own time', async () => {
    const id = await t.start('sharedDeadline', 2);
    await expect.poll(() => idTrail(id)).toEqual(['TimerCreated 0']);
    const fireAt = Date.parse(String(history(id).find((event) => event.EventType === 10)!.FireAt));
    await raise(id, 'A', 'a');
    await t.clock.advance(fireAt - t.clock.now() - 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await t.status(id)).runtimeStatus).toBe('Running');
    await t.clock.advance(1);
    const done = await t.waitFor(id, 'Completed');
    expect(done.output).toEqual({ a: 'a', timedOut: 'B', at: new Date(fireAt).toISOString() });
    expect(idTrail(id)).toEqual(['TimerCreated 0', 'TimerFired 0']);
  });

  it('still wins the first race', async () => {
    const id = await t.start('sharedDeadline', 1);
    await expect.poll(() => idTrail(id)).toEqual(['TimerCreated 0']);
    await t.clock.advance(hour);
    const done = await t.waitFor(id, 'Completed');
    expect(done.output).toEqual({ timedOut: 'A' });
  });
});

describe('a pending external-event wait carried into later Task.any calls', () => {
  it('lets the other waits win and keeps delivering events', async () => {
    const id = await t.start('sharedWithdrawn');
    await raise(id, 'Step1', 1);
    await raise(id, 'Step2', 2);
    const done = await t.waitFor(id, 'Completed');
    expect(done.output).toEqual({ steps: [1, 2] });
    expect(idTrail(id)).toEqual([
      'TimerCreated 0',
      'TaskScheduled 1',
      'TaskCompleted 1',
      'TimerCreated 2',
      'TaskScheduled 3',
      'TaskCompleted 3',
    ]);
  });

  it('wins the second race', async () => {
    const id = await t.start('sharedWithdrawn');
    await raise(id, 'Step1', 1);
    await raise(id, 'Withdrawn', { by: 'alice' });
    const done = await t.waitFor(id, 'Completed');
    expect(done.output).toEqual({ steps: [1], withdrawn: { by: 'alice' } });
  });

  it('leaves the timer of the second race to fire', async () => {
    const id = await t.start('sharedWithdrawn');
    await raise(id, 'Step1', 1);
    await expect.poll(() => idTrail(id).at(-1)).toBe('TimerCreated 2');
    await t.clock.advance(hour);
    const done = await t.waitFor(id, 'Completed');
    expect(done.output).toEqual({ steps: [1], timedOut: 'Step2' });
    expect(idTrail(id).slice(-1)).toEqual(['TimerFired 2']);
  });
});

describe('a pending activity carried into a second Task.any', () => {
  it('runs once and wins the second race; later tasks keep their ids', async () => {
    const key = 'reuse-activity';
    const id = await t.start('sharedActivity', key);
    await expect.poll(() => idTrail(id)).toEqual(['TaskScheduled 0']);
    await raise(id, 'Ping');
    expect(idTrail(id)).toEqual(['TaskScheduled 0']);
    expect((await t.fetch(`/api/gate/${key}`, { method: 'POST' })).status).toBe(200);
    const done = await t.waitFor(id, 'Completed');
    expect(done.output).toEqual({
      first: 'ping',
      second: 'work',
      work: `opened ${key}`,
      pair: ['same', 'same'],
    });
    expect(idTrail(id)).toEqual([
      'TaskScheduled 0',
      'TaskCompleted 0',
      'TaskScheduled 1',
      'TaskScheduled 2',
      expect.stringMatching(/^TaskCompleted [12]$/),
      expect.stringMatching(/^TaskCompleted [12]$/),
    ]);
    expect(((await (await t.fetch(`/api/gate/${key}`)).json()) as { calls: number }).calls).toBe(1);
  });

  it('lets a new wait win the second race', async () => {
    const key = 'reuse-activity-2';
    const id = await t.start('sharedActivity', key);
    await raise(id, 'Ping');
    expect((await t.raise(id, 'Ping')).status).toBe(202);
    await handled(id, 'Ping', 2);
    await expect
      .poll(() => idTrail(id).slice(0, 3))
      .toEqual(['TaskScheduled 0', 'TaskScheduled 1', 'TaskScheduled 2']);
    // The activity completes after the orchestrator moved on: its result is recorded and ignored.
    await t.fetch(`/api/gate/${key}`, { method: 'POST' });
    const done = await t.waitFor(id, 'Completed');
    expect(done.output).toMatchObject({ first: 'ping', second: 'ping', pair: ['same', 'same'] });
  });
});

describe('a pending sub-orchestration carried into a second Task.any', () => {
  it('is created once and completes the second race', async () => {
    const childId = 'reused-child';
    const id = await t.start('sharedChild', childId);
    await t.waitFor(childId, 'Running');
    await raise(id, 'Ping');
    expect((await t.raise(childId, 'Go', 'go')).status).toBe(202);
    const done = await t.waitFor(id, 'Completed');
    expect(done.output).toEqual({ first: 'ping', second: 'child', child: 'go', after: 'after' });
    expect(idTrail(id)).toEqual([
      'SubOrchestrationInstanceCreated 0',
      'SubOrchestrationInstanceCompleted 0',
      'TaskScheduled 1',
      'TaskCompleted 1',
    ]);
  });
});

describe('the non-determinism check with reused tasks', () => {
  it.each([
    ['activity', "history has timer but the orchestrator now schedules CallActivity 'echo'"],
    [
      'timer',
      'history has the pending timer of action #1 here, but the orchestrator now schedules a different one',
    ],
  ])('still fails an orchestrator that races a new %s where it reused the timer', async (input, message) => {
    const id = await t.start('reuseThenChange', input);
    await raise(id, 'A');
    expect(idTrail(id)).toEqual(['TimerCreated 0']);
    expect((await t.raise(id, 'B')).status).toBe(202);
    const failed = await t.waitFor(id, ['Failed', 'Completed']);
    expect(failed.runtimeStatus).toBe('Failed');
    expect(failed.output).toContain(`action #3: ${message}`);
  });
});
