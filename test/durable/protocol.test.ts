/**
 * The pure parts of the engine against the real SDK: the action lists durable-functions 3.5.0 emits for
 * each replay schema flatten to the same slots; the failure payload it throws parses; plus the store's
 * journal, its process lock and the concurrency limiter.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as df from 'durable-functions';
import { afterEach, describe, expect, it } from 'vitest';
import { EventType, historyEvent, type HistoryEvent } from '../../infra/local/durable/history';
import { ConcurrencyLimiter } from '../../infra/local/durable/limiter';
import {
  flattenActions,
  idsConsumed,
  orchestratorStateSchema,
  parseOutOfProcFailure,
  ReplaySchema,
  type ReplaySchemaVersion,
} from '../../infra/local/durable/orchestrator-state';
import { DurableStore, type InstanceMeta } from '../../infra/local/durable/store';

type Handler = (binding: unknown, context: Record<string, unknown>) => Promise<unknown>;
// The SDK's own orchestrator shim: what `df.app.orchestration` registers as the function handler.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Orchestrator } = require('durable-functions/lib/src/orchestrations/Orchestrator') as {
  Orchestrator: new (fn: (context: df.OrchestrationContext) => Generator) => { listen(): Handler };
};

const t0 = Date.parse('2030-01-01T00:00:00Z');

function* sample(context: df.OrchestrationContext): Generator<df.Task, string, unknown> {
  yield context.df.callActivity('a', 'one');
  yield context.df.Task.all([context.df.callActivity('b', { n: 2 }), context.df.callActivity('c')]);
  const timer = context.df.createTimer(new Date(t0 + 60_000));
  const event = context.df.waitForExternalEvent('Go');
  yield context.df.Task.any([timer, event]);
  timer.cancel();
  throw new Error('sample done');
}

function binding(schema: ReplaySchemaVersion, history: HistoryEvent[]) {
  return {
    history,
    input: null,
    instanceId: 'unit',
    isReplaying: false,
    parentInstanceId: null,
    upperSchemaVersion: Math.min(schema, ReplaySchema.V2),
    upperSchemaVersionNew: schema,
    longRunningTimerIntervalDuration: '3.00:00:00',
    maximumShortTimerDuration: '36500.00:00:00',
    defaultHttpAsyncRequestSleepTimeMillseconds: 30000,
  };
}

/** A history in which a, b and c have completed and the event has arrived (ids 0, 1, 2; timer 3). */
function completedHistory(): HistoryEvent[] {
  const played = (events: HistoryEvent[]) => events.map((event) => ({ ...event, IsPlayed: true }));
  return [
    ...played([
      historyEvent(EventType.OrchestratorStarted, t0),
      historyEvent(EventType.ExecutionStarted, t0, { Name: 'sample', Version: '', Input: null }),
      historyEvent(EventType.OrchestratorStarted, t0 + 1),
      historyEvent(EventType.TaskCompleted, t0 + 1, { TaskScheduledId: 0, Result: '"A"' }),
      historyEvent(EventType.OrchestratorStarted, t0 + 2),
      historyEvent(EventType.TaskCompleted, t0 + 2, { TaskScheduledId: 2, Result: '"C"' }),
      historyEvent(EventType.OrchestratorStarted, t0 + 3),
      historyEvent(EventType.TaskCompleted, t0 + 3, { TaskScheduledId: 1, Result: '"B"' }),
    ]),
    historyEvent(EventType.OrchestratorStarted, t0 + 4),
    historyEvent(EventType.EventRaised, t0 + 4, { Name: 'Go', Input: '1' }),
  ];
}

async function runSample(schema: ReplaySchemaVersion) {
  const handler = new Orchestrator(sample).listen();
  try {
    await handler(binding(schema, completedHistory()), {});
  } catch (error) {
    return { message: (error as Error).message, state: parseOutOfProcFailure((error as Error).message) };
  }
  throw new Error('the sample orchestrator should have thrown');
}

describe('action lists from the SDK', () => {
  it.each([ReplaySchema.V1, ReplaySchema.V2, ReplaySchema.V3, ReplaySchema.V4])(
    'schema %i flattens to one slot per scheduled task, in id order',
    async (schema) => {
      const { state } = await runSample(schema);
      expect(state).toBeDefined();
      expect(state!.schemaVersion).toBe(schema);
      const flat = flattenActions(state!.actions);
      expect(
        flat.map((action) => [action.actionType, action.functionName ?? action.externalEventName ?? 'timer']),
      ).toEqual([
        [0, 'a'],
        [0, 'b'],
        [0, 'c'],
        [5, 'timer'],
        [6, 'Go'],
      ]);
      expect(flat.map(idsConsumed)).toEqual([1, 1, 1, 1, 0]);
      expect(flat[0]?.input).toBe('"one"');
      expect(flat[3]?.isCanceled).toBe(true);
      // V1 has one inner array per yield (compound tasks flattened into theirs); V2+ one cumulative array.
      expect(state!.actions.length).toBe(schema === ReplaySchema.V1 ? 3 : 1);
    },
  );

  it('parses the failure payload the SDK throws ($OutOfProcData$)', async () => {
    const { message, state } = await runSample(ReplaySchema.V4);
    expect(message).toMatch(/^false\n\n\$OutOfProcData\$:\{/);
    expect(state).toMatchObject({ isDone: false, error: 'sample done' });
  });

  it('rejects payloads that are not orchestrator state', () => {
    expect(parseOutOfProcFailure('plain error')).toBeUndefined();
    expect(parseOutOfProcFailure('x\n\n$OutOfProcData$:{"isDone":"no"}')).toBeUndefined();
    expect(
      orchestratorStateSchema.safeParse({ isDone: true, actions: [[{ actionType: 'x' }]] }).success,
    ).toBe(false);
  });
});

describe('store', () => {
  let directory: string | undefined;
  afterEach(() => {
    if (directory) fs.rmSync(directory, { recursive: true, force: true });
  });

  const meta = (instanceId: string): InstanceMeta => ({
    instanceId,
    name: 'orchestrator',
    executionId: 'e1',
    inputJson: null,
    status: 'Running',
    createdAt: t0,
    updatedAt: t0,
    customStatusJson: null,
    outputJson: null,
    nextId: 0,
    slots: [],
    retries: {},
  });

  it('makes concurrent commits durable and replays them in order on reopen', async () => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'durable-store-'));
    const store = await DurableStore.open(directory);
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        store.commit([
          { op: 'instance', meta: meta(`i${i}`) },
          { op: 'history', instanceId: `i${i}`, events: [historyEvent(EventType.OrchestratorStarted, t0)] },
          { op: 'enqueue', message: { id: `m${i}`, instanceId: `i${i}`, kind: 'event' } },
        ]),
      ),
    );
    await store.commit([
      { op: 'dequeue', instanceId: 'i7', messageId: 'm7' },
      { op: 'purge', instanceId: 'i8' },
    ]);
    await store.close();

    const reopened = await DurableStore.open(directory);
    expect(reopened.instances.size).toBe(49);
    expect(reopened.instances.get('i7')?.inbox).toEqual([]);
    expect(reopened.instances.get('i9')?.inbox.map((message) => message.id)).toEqual(['m9']);
    expect(reopened.instances.get('i9')?.history).toHaveLength(1);
    await reopened.close();
  });

  it('compacts the journal into a snapshot while commits keep arriving, losing none', async () => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'durable-compact-'));
    const store = await DurableStore.open(directory, { compactAfterBytes: 2048 });
    await store.commit([{ op: 'instance', meta: meta('busy') }]);
    const commits = Array.from({ length: 200 }, (_, i) =>
      store.commit([
        {
          op: 'history',
          instanceId: 'busy',
          events: [historyEvent(EventType.EventRaised, t0 + i, { Name: `e${i}` })],
        },
      ]),
    );
    await Promise.all(commits);
    await store.close();
    expect(fs.statSync(path.join(directory, 'journal.ndjson')).size).toBeLessThan(4096);
    expect(fs.statSync(path.join(directory, 'snapshot.json')).size).toBeGreaterThan(2048);

    const reopened = await DurableStore.open(directory);
    const names = reopened.instances.get('busy')?.history.map((event) => event.Name);
    expect(names).toEqual(Array.from({ length: 200 }, (_, i) => `e${i}`));
    await reopened.close();
  });

  it('refuses a task hub directory owned by another live process, and takes over a dead owner', async () => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'durable-lock-'));
    fs.writeFileSync(path.join(directory, 'owner.pid'), String(process.ppid));
    await expect(DurableStore.open(directory)).rejects.toThrow(`in use by process ${process.ppid}`);
    fs.writeFileSync(path.join(directory, 'owner.pid'), '2147483646');
    const store = await DurableStore.open(directory);
    expect(fs.readFileSync(path.join(directory, 'owner.pid'), 'utf8')).toBe(String(process.pid));
    await store.close();
  });
});

describe('concurrency limiter', () => {
  it('never runs more than the limit and starts waiters in arrival order', async () => {
    const limiter = new ConcurrencyLimiter(3);
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        limiter.run(async () => {
          started.push(i);
          running++;
          peak = Math.max(peak, running);
          await new Promise((resolve) => setTimeout(resolve, 5));
          running--;
        }),
      ),
    );
    expect(peak).toBe(3);
    expect(started).toEqual([...Array(10).keys()]);
    expect(() => new ConcurrencyLimiter(0)).toThrow(RangeError);
  });
});
