/**
 * The SDK falls back to older replay schemas when the host advertises them (V1: one action array per yield
 * with compound tasks flattened; V2: one cumulative array; V3: long timers). The same scenarios must give the
 * same results on each; the default run (V4) is covered by orchestrations.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { ReplaySchema } from '../../infra/local/durable';
import { startDurableHost } from './support';

describe.each([
  ['V1', ReplaySchema.V1],
  ['V2', ReplaySchema.V2],
  ['V3', ReplaySchema.V3],
])('replay schema %s', (_label, schema) => {
  it('runs chains, fan-out, retries, races, sub-orchestrations and continue-as-new', async () => {
    const t = await startDurableHost({ durable: { schema } });
    try {
      const probe = await t.start('schemaProbe');
      expect((await t.waitFor(probe, 'Completed')).output).toBe(schema);

      const chain = await t.start('helloCities');
      const fanOut = await t.start('fanOutFanIn', 20);
      const retry = await t.start('withRetry', {
        key: `s${schema}`,
        failures: 1,
        options: { first: 1000, attempts: 2 },
      });
      const race = await t.start('approval', 5);
      const parent = await t.start('parent', { childId: `child-v${schema}` });
      const loop = await t.start('counter', { n: 0, until: 2, listen: true, seen: [] });
      await t.raise(loop, 'Tick', 1);
      await t.raise(loop, 'Tick', 2);
      await expect.poll(() => t.durable.history(race)?.some((event) => event.EventType === 10)).toBe(true);
      await t.raise(race, 'Approval', 'yes');

      expect((await t.waitFor(chain, 'Completed')).output).toEqual([
        'Hello Tokyo!',
        'Hello Seattle!',
        'Hello London!',
      ]);
      expect((await t.waitFor(fanOut, 'Completed')).output).toBe(420);
      expect((await t.waitFor(retry, 'Completed', { advanceMs: 1000 })).output).toEqual({
        key: `s${schema}`,
        attempt: 2,
      });
      expect((await t.waitFor(race, 'Completed')).output).toEqual({ approved: 'yes' });
      expect((await t.waitFor(parent, 'Completed')).output).toMatchObject({ doubled: [12, 20] });
      expect((await t.waitFor(loop, 'Completed', { advanceMs: 1000 })).output).toEqual({
        n: 2,
        seen: [1, 2],
      });
    } finally {
      await t.close();
    }
  });

  it('schedules a pending timer passed into a second Task.any only once', async () => {
    const t = await startDurableHost({ durable: { schema } });
    try {
      const id = await t.start('sharedDeadline', 1);
      const events = () => t.durable.history(id) ?? [];
      const handled = (name: string) =>
        expect.poll(() => events().some((event) => event.EventType === 15 && event.Name === name)).toBe(true);
      await t.raise(id, 'A', 'a');
      await handled('A');
      await t.raise(id, 'B', 'b');
      await handled('B');
      await expect.poll(() => events().some((event) => event.EventType === 5)).toBe(true);
      await t.raise(id, 'C', 'c');
      expect((await t.waitFor(id, 'Completed')).output).toEqual({ echoed: { a: 'a', b: 'b' }, c: 'c' });
      expect(events().filter((event) => event.EventType === 10)).toHaveLength(1);
      expect(events().find((event) => event.EventType === 4)).toMatchObject({ EventId: 1 });
    } finally {
      await t.close();
    }
  });
});
