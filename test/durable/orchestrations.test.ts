/**
 * The orchestration scenarios of the durable-functions SDK's own tests (TestOrchestrations / testhistories /
 * orchestrator-spec), each run end to end: the local host invokes the real SDK with the histories this engine
 * builds, and the results and the raw histories are checked.
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

function history(instanceId: string): readonly HistoryEvent[] {
  const events = t.durable.history(instanceId);
  if (!events) throw new Error(`no history for ${instanceId}`);
  return events;
}

/** `[type, id]` pairs of the scheduling and completion events, the way the SDK test histories read. */
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

/** Advances the virtual clock exactly to each pending timer in turn until the instance is done. */
async function driveTimers(instanceId: string) {
  for (;;) {
    const current = await t.status(instanceId);
    if (current.runtimeStatus !== 'Running' && current.runtimeStatus !== 'Pending') return current;
    const events = history(instanceId);
    const created = events.filter((event) => event.EventType === 10);
    const fired = events.filter((event) => event.EventType === 11).length;
    const next = created[fired];
    if (next !== undefined) {
      const wait = Date.parse(String(next.FireAt)) - t.clock.now();
      if (wait > 0) await t.clock.advance(wait);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('activity chains', () => {
  it('runs activities in sequence and marks earlier episodes as played', async () => {
    const id = await t.start('helloCities');
    const done = await t.waitFor(id, 'Completed');
    expect(done.output).toEqual(['Hello Tokyo!', 'Hello Seattle!', 'Hello London!']);
    expect(idTrail(id)).toEqual([
      'TaskScheduled 0',
      'TaskCompleted 0',
      'TaskScheduled 1',
      'TaskCompleted 1',
      'TaskScheduled 2',
      'TaskCompleted 2',
    ]);
    const events = history(id);
    const lastStart = events.map((event) => event.EventType).lastIndexOf(12);
    expect(events.slice(0, lastStart).every((event) => event.IsPlayed)).toBe(true);
    expect(events.slice(lastStart).some((event) => event.IsPlayed)).toBe(false);
    expect(events[1]).toMatchObject({
      EventType: 0,
      Name: 'helloCities',
      OrchestrationInstance: { InstanceId: id },
    });
  });

  it('fans out to 100 activities and fans in their results', async () => {
    const id = await t.start('fanOutFanIn', 100);
    const done = await t.waitFor(id, 'Completed');
    expect(done.output).toBe(10_100);
    const scheduled = history(id).filter((event) => event.EventType === 4);
    expect(scheduled.map((event) => event.EventId)).toEqual([...Array(100).keys()]);
    expect(scheduled[41]).toMatchObject({ Name: 'double', Input: '42' });
  });

  it('runs at most maxConcurrentActivityFunctions activities at once', async () => {
    const id = await t.start('slowFanOut', { count: 12, ms: 100 });
    await t.waitFor(id, 'Completed');
    const stats = (await (await t.fetch('/api/stats')).json()) as { maxRunning: number };
    expect(stats.maxRunning).toBe(4);
  });
});

describe('orchestrator episodes', () => {
  it('run through the host invocation path, at most maxConcurrentOrchestratorFunctions at once, one per instance', async () => {
    const setDelay = (ms: number) => t.fetch(`/api/stats?episodeDelayMs=${ms}`, { method: 'POST' });
    await setDelay(15);
    try {
      const ids = await Promise.all(Array.from({ length: 6 }, () => t.start('fanOutFanIn', 8)));
      for (const id of ids) expect((await t.waitFor(id, 'Completed')).output).toBe(72);
    } finally {
      await setDelay(0);
    }
    const stats = (await (await t.fetch('/api/stats')).json()) as {
      episodes: { maxRunning: number; maxPerInstance: number; seen: number };
    };
    // 6 instances × (1 start + 8 completions) episodes, each seen by the app's preInvocation hook.
    expect(stats.episodes.seen).toBeGreaterThanOrEqual(54);
    expect(stats.episodes.maxRunning).toBe(4);
    expect(stats.episodes.maxPerInstance).toBe(1);
  });
});

describe('retries', () => {
  const retry = (key: string, failures: number, options: Record<string, number>) =>
    t.start('withRetry', { key, failures, options });

  it('retries a failing activity until it succeeds, with a timer between attempts', async () => {
    const id = await retry('succeeds', 2, { first: 1000, attempts: 3 });
    const done = await t.waitFor(id, 'Completed', { advanceMs: 1000 });
    expect(done.output).toEqual({ key: 'succeeds', attempt: 3 });
    expect(idTrail(id)).toEqual([
      'TaskScheduled 0',
      'TaskFailed 0',
      'TimerCreated 1',
      'TimerFired 1',
      'TaskScheduled 2',
      'TaskFailed 2',
      'TimerCreated 3',
      'TimerFired 3',
      'TaskScheduled 4',
      'TaskCompleted 4',
    ]);
  });

  it('gives up after maxNumberOfAttempts and surfaces the last failure after the final retry timer', async () => {
    const id = await retry('gives-up', 5, { first: 1000, attempts: 2 });
    const done = await t.waitFor(id, 'Completed', { advanceMs: 1000 });
    expect(String((done.output as { gaveUp: string }).gaveUp)).toContain(
      "Activity function 'flaky' failed: flaky attempt 2 failed",
    );
    expect(idTrail(id)).toEqual([
      'TaskScheduled 0',
      'TaskFailed 0',
      'TimerCreated 1',
      'TimerFired 1',
      'TaskScheduled 2',
      'TaskFailed 2',
      'TimerCreated 3',
      'TimerFired 3',
    ]);
    const failure = history(id).find((event) => event.EventType === 6);
    expect(failure).toMatchObject({ Reason: "Activity function 'flaky' failed: flaky attempt 1 failed" });
    expect(typeof failure?.Details).toBe('string');
  });

  it('keeps ids aligned when retries interleave with other tasks of a fan-out', async () => {
    const id = await t.start('retryInFanOut', 'mixed');
    const done = await driveTimers(id);
    expect(done.output).toEqual([{ key: 'mixed', attempt: 2 }, 42, { key: 'mixed-b', attempt: 3 }]);
    const ids = history(id)
      .filter((event) => event.EventType === 4 || event.EventType === 10)
      .map((event) => event.EventId);
    // 0–2 scheduled together; every failure then takes a timer id and every retry a new task id, in order.
    expect(ids).toEqual([...Array(ids.length).keys()]);
    expect(ids).toHaveLength(9);
  });

  it('backs off by the coefficient, capped by the max retry interval', async () => {
    const id = await retry('backoff', 3, { first: 1000, attempts: 4, backoff: 2, maxInterval: 3000 });
    expect((await driveTimers(id)).runtimeStatus).toBe('Completed');
    const delays = history(id)
      .filter((event) => event.EventType === 10)
      .map((event) => Date.parse(String(event.FireAt)) - Date.parse(event.Timestamp));
    expect(delays).toEqual([1000, 2000, 3000]);
  });

  it('stops running attempts once the retry timeout has passed', async () => {
    const id = await retry('timeout', 10, { first: 1000, attempts: 5, timeout: 1500 });
    const done = await driveTimers(id);
    expect(String((done.output as { gaveUp: string }).gaveUp)).toContain('flaky attempt 3 failed');
    const reasons = history(id)
      .filter((event) => event.EventType === 6)
      .map((event) => event.Reason);
    // The SDK counts five attempts; only the three inside the timeout ran the activity.
    expect(reasons).toHaveLength(5);
    expect(new Set(reasons).size).toBe(3);
  });
});

describe('timers and external events', () => {
  it('lets an event win the race against a timer and cancels the timer', async () => {
    const id = await t.start('approval', 72);
    await t.waitFor(id, 'Running');
    await expect.poll(() => history(id).some((event) => event.EventType === 10)).toBe(true);
    expect((await t.raise(id, 'Approval', { by: 'alice' })).status).toBe(202);
    const done = await t.waitFor(id, 'Completed');
    expect(done.output).toEqual({ approved: { by: 'alice' } });
    await t.clock.advance(100 * 3600_000);
    expect(history(id).some((event) => event.EventType === 11)).toBe(false);
  });

  it('lets the timer win the race and then refuses late events with 410', async () => {
    const id = await t.start('approval', 1);
    await expect.poll(() => history(id).some((event) => event.EventType === 10)).toBe(true);
    await t.clock.advance(3600_000);
    const done = await t.waitFor(id, 'Completed');
    expect(done.output).toMatchObject({ approved: false });
    expect((await t.raise(id, 'Approval', true)).status).toBe(410);
  });

  it('buffers events raised before the wait and delivers same-name events in order', async () => {
    const id = await t.start('collectEvents', 3);
    for (const item of ['a', 'b', 'c']) expect((await t.raise(id, 'Item', item)).status).toBe(202);
    const done = await t.waitFor(id, 'Completed');
    expect(done.output).toEqual(['a', 'b', 'c']);
  });

  it('sleeps a one-year durable timer in virtual time', async () => {
    const id = await t.start('longSleep');
    await expect.poll(() => history(id).some((event) => event.EventType === 10)).toBe(true);
    await t.clock.advance(364 * 24 * 3600_000);
    expect((await t.status(id)).runtimeStatus).toBe('Running');
    await t.clock.advance(24 * 3600_000);
    const done = await t.waitFor(id, 'Completed');
    expect(Date.parse(String(done.output)) - Date.parse(done.createdTime)).toBeGreaterThanOrEqual(
      365 * 24 * 3600_000,
    );
  });
});

describe('sub-orchestrations', () => {
  it('runs children with an explicit and with generated instance ids', async () => {
    const id = await t.start('parent', { childId: 'child-of-parent' });
    const done = await t.waitFor(id, 'Completed');
    expect(done.output).toEqual({
      greetings: ['Hello Tokyo!', 'Hello Seattle!', 'Hello London!'],
      doubled: [12, 20],
    });
    const child = await t.status('child-of-parent');
    expect(child).toMatchObject({ name: 'helloCities', runtimeStatus: 'Completed' });
    expect(idTrail(id)).toEqual([
      'SubOrchestrationInstanceCreated 0',
      'SubOrchestrationInstanceCompleted 0',
      'SubOrchestrationInstanceCreated 1',
      'SubOrchestrationInstanceCreated 2',
      expect.stringMatching(/^SubOrchestrationInstanceCompleted [12]$/),
      expect.stringMatching(/^SubOrchestrationInstanceCompleted [12]$/),
    ]);
  });

  it('retries a failed sub-orchestration under the same instance id', async () => {
    const id = await t.start('parentWithRetry', {
      key: 'c1',
      failures: 1,
      attempts: 2,
      childId: 'retried-child',
    });
    const done = await t.waitFor(id, 'Completed', { advanceMs: 500 });
    expect(done.output).toBe('child c1 ok');
    expect(idTrail(id)).toEqual([
      'SubOrchestrationInstanceCreated 0',
      'SubOrchestrationInstanceFailed 0',
      'TimerCreated 1',
      'TimerFired 1',
      'SubOrchestrationInstanceCreated 2',
      'SubOrchestrationInstanceCompleted 2',
    ]);
  });

  it('gives up on a sub-orchestration that keeps failing', async () => {
    const id = await t.start('parentWithRetry', { key: 'c2', failures: 5, attempts: 2 });
    const done = await t.waitFor(id, 'Completed', { advanceMs: 500 });
    expect(String((done.output as { gaveUp: string }).gaveUp)).toContain('child c2 failed on attempt 2');
  });
});

describe('sub-orchestration termination', () => {
  it('fails the parent task when its child is terminated', async () => {
    const id = await t.start('parentOfWaiter', 'terminated-child');
    await t.waitFor('terminated-child', 'Running');
    const terminated = await t.fetch(
      '/runtime/webhooks/durabletask/instances/terminated-child/terminate?reason=cancelled',
      {
        method: 'POST',
      },
    );
    expect(terminated.status).toBe(202);
    const done = await t.waitFor(id, 'Completed');
    expect(String((done.output as { childFailed: string }).childFailed)).toContain(
      "Orchestration 'waiter' was terminated: cancelled",
    );
  });
});

describe('continueAsNew', () => {
  it('loops with a fresh history per execution', async () => {
    const id = await t.start('counter', { n: 0, until: 3, listen: false, seen: [] });
    const done = await t.waitFor(id, 'Completed', { advanceMs: 1000 });
    expect(done.output).toEqual({ n: 3, seen: [] });
    expect(history(id).filter((event) => event.EventType === 0)).toHaveLength(1);
    expect(done.input).toEqual({ n: 3, until: 3, listen: false, seen: [] });
  });

  it('carries events not yet consumed into the next execution', async () => {
    const id = await t.start('counter', { n: 0, until: 2, listen: true, seen: [] });
    expect((await t.raise(id, 'Tick', 'a')).status).toBe(202);
    expect((await t.raise(id, 'Tick', 'b')).status).toBe(202);
    const done = await t.waitFor(id, 'Completed', { advanceMs: 1000 });
    expect(done.output).toEqual({ n: 2, seen: ['a', 'b'] });
  });
});

describe('custom status and failures', () => {
  it('reports the custom status while running and after completion', async () => {
    const id = await t.start('statusReporter');
    await expect.poll(async () => (await t.status(id)).customStatus).toEqual({ stage: 'waiting' });
    await t.raise(id, 'Go', 'yes');
    const done = await t.waitFor(id, 'Completed');
    expect(done).toMatchObject({ output: 'yes', customStatus: { stage: 'done', go: 'yes' } });
  });

  it('fails the instance when the orchestrator throws', async () => {
    const id = await t.start('thrower');
    const failed = await t.waitFor(id, ['Failed', 'Completed']);
    expect(failed.runtimeStatus).toBe('Failed');
    expect(failed.output).toContain("Orchestrator function 'thrower' failed: orchestrator boom");
    expect(history(id).at(-2)).toMatchObject({ EventType: 1, OrchestrationStatus: 3 });
  });

  it('fails the instance with the activity failure when it is not caught', async () => {
    const id = await t.start('activityFailure', 'x');
    const failed = await t.waitFor(id, 'Failed');
    expect(failed.output).toContain("Activity function 'boom' failed: activity boom: x");
  });

  it('detects an orchestrator that schedules different actions on replay', async () => {
    const id = await t.start('nondeterministic');
    const failed = await t.waitFor(id, ['Failed', 'Completed']);
    expect(failed.runtimeStatus).toBe('Failed');
    expect(failed.output).toMatch(/Non-deterministic workflow detected .*'hello'.*'double'/);
  });

  it('detects an orchestrator that no longer schedules an action recorded in history', async () => {
    const id = await t.start('shrinking');
    const failed = await t.waitFor(id, ['Failed', 'Completed']);
    expect(failed.runtimeStatus).toBe('Failed');
    expect(failed.output).toMatch(
      /Non-deterministic workflow detected .*'echo' but the orchestrator no longer schedules it/,
    );
  });

  it.each([
    ['usesEntity', 'durable entities (CallEntity) are not supported by the local durable engine'],
    ['usesHttp', 'callHttp is not supported by the local durable engine'],
  ])('fails %s clearly instead of hanging', async (name, message) => {
    const id = await t.start(name);
    const failed = await t.waitFor(id, ['Failed', 'Completed']);
    expect(failed.runtimeStatus).toBe('Failed');
    expect(failed.output).toContain(message);
  });
});
