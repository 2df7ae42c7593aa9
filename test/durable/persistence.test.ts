/**
 * Persistence under `<dataDir>/durable/<taskHub>/`: instances, queued events and timers survive a host
 * restart; a torn last journal line (a kill mid-append) is dropped; a corrupt journal fails loudly.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../infra/local/clock';
import { readPersistedInstances } from '../../infra/local/durable';
import { startDurableHost } from './support';

let dataDir: string;
const hubDir = () => path.join(dataDir, 'durable', 'ConformanceHub');

beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'durable-persist-'));
});

afterEach(() => {
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('restart', () => {
  it('continues instances, delivers queued events and fires timers created before the restart', async () => {
    const clock = new VirtualClock(Date.parse('2030-06-01T00:00:00Z'));
    const first = await startDurableHost({ dataDir, clock });
    const race = await first.start('approval', 24);
    const waiter = await first.start('waiter', undefined, 'waits-across-restart');
    const chain = await first.start('helloCities');
    const collector = await first.start('collectEvents', 2);
    await first.waitFor(chain, 'Completed');
    await expect.poll(() => first.durable.history(race)?.some((event) => event.EventType === 10)).toBe(true);
    await first.waitFor(waiter, 'Running');
    await first.raise(collector, 'Item', 'one');
    // Inspection reads the persisted state while the host keeps running.
    const persisted = await readPersistedInstances(dataDir, 'ConformanceHub');
    expect(persisted.find((entry) => entry.instanceId === chain)).toMatchObject({
      name: 'helloCities',
      runtimeStatus: 'Completed',
    });
    expect(persisted.find((entry) => entry.instanceId === waiter)?.runtimeStatus).toBe('Running');
    await first.close();

    const second = await startDurableHost({ dataDir, clock });
    try {
      expect(second.durable.listInstances().map((entry) => entry.instanceId)).toEqual(
        expect.arrayContaining([race, waiter, chain, collector]),
      );
      expect((await second.status(chain)).output).toEqual([
        'Hello Tokyo!',
        'Hello Seattle!',
        'Hello London!',
      ]);
      await second.raise(waiter, 'Go', 'after restart');
      await second.raise(collector, 'Item', 'two');
      expect((await second.waitFor(waiter, 'Completed')).output).toBe('after restart');
      expect((await second.waitFor(collector, 'Completed')).output).toEqual(['one', 'two']);
      await clock.advance(24 * 3600_000);
      expect((await second.waitFor(race, 'Completed')).output).toMatchObject({ approved: false });
    } finally {
      await second.close();
    }
  });

  it('drops a torn last journal line and refuses a corrupt journal', async () => {
    const first = await startDurableHost({ dataDir });
    const id = await first.start('waiter', undefined, 'survivor');
    await first.waitFor(id, 'Running');
    await first.raise(id, 'Go', 'kept');
    await first.waitFor(id, 'Completed');
    await first.close();

    const journal = path.join(hubDir(), 'journal.ndjson');
    fs.appendFileSync(journal, '[{"op":"purge","instanceId":"surv');
    const second = await startDurableHost({ dataDir });
    expect((await second.status(id)).output).toBe('kept');
    await second.close();

    fs.appendFileSync(journal, 'not json\n[]\n');
    await expect(startDurableHost({ dataDir })).rejects.toThrow(/journal .* is corrupt at line 2/);
  });

  it('folds the journal into the snapshot on start, and ignores a journal already folded before a crash', async () => {
    const first = await startDurableHost({ dataDir });
    const id = await first.start('fanOutFanIn', 10);
    await first.waitFor(id, 'Completed');
    await first.close();
    expect(fs.statSync(path.join(hubDir(), 'journal.ndjson')).size).toBeGreaterThan(0);

    const second = await startDurableHost({ dataDir });
    expect(fs.readFileSync(path.join(hubDir(), 'journal.ndjson'), 'utf8')).toMatch(
      /^\{"generation":\d+\}\n$/,
    );
    expect((await second.status(id)).output).toBe(110);
    await second.close();

    // A crash right after the snapshot of generation N+1 was renamed into place, before the journal of
    // generation N was reset: replaying that journal again would duplicate its history.
    const journal = path.join(hubDir(), 'journal.ndjson');
    const snapshot = JSON.parse(fs.readFileSync(path.join(hubDir(), 'snapshot.json'), 'utf8')) as {
      generation: number;
    };
    const staleOps = [
      {
        op: 'history',
        instanceId: id,
        events: [
          { EventType: 15, EventId: -1, IsPlayed: false, Timestamp: '2030-01-01T00:00:00Z', Name: 'dup' },
        ],
      },
    ];
    fs.writeFileSync(journal, `{"generation":${snapshot.generation - 1}}\n${JSON.stringify(staleOps)}\n`);
    const third = await startDurableHost({ dataDir });
    expect(third.durable.history(id)?.some((event) => event.Name === 'dup')).toBe(false);
    await third.close();
  });
});

describe('npm run durable (the instance list command)', () => {
  const listInstances = (...args: string[]) =>
    promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'infra/local/durable/cli.ts', '--data-dir', dataDir, ...args],
      {
        cwd: path.resolve(__dirname, '..', '..'),
      },
    );

  it('lists the instances of a running host by status, and says when there is no task hub', async () => {
    expect((await listInstances()).stdout).toContain(
      `No durable task hubs under ${path.join(dataDir, 'durable')}`,
    );
    const host = await startDurableHost({ dataDir });
    try {
      const waiting = await host.start('waiter', undefined, 'listed-while-running');
      const done = await host.start('helloCities', undefined, 'listed-when-done');
      await host.waitFor(waiting, 'Running');
      await host.waitFor(done, 'Completed');
      const running = (await listInstances('--status', 'Running')).stdout;
      expect(running).toContain('Task hub ConformanceHub: 1 instance(s)');
      expect(running).toContain('listed-while-running');
      expect(running).not.toContain('listed-when-done');
      const all = (await listInstances('--task-hub', 'ConformanceHub')).stdout;
      expect(all).toContain('Task hub ConformanceHub: 2 instance(s)');
      expect(all).toMatch(/listed-when-done.*helloCities.*Completed/);
    } finally {
      await host.close();
    }
  });
});
