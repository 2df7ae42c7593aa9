/**
 * The local clock of `npm start`: real time plus an offset that `npm run clock -- advance 30d` grows through
 * the host's local-only endpoint; callbacks that fall due run at once, in time order; the offset survives a
 * restart on the same data folder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AdjustableClock } from '../../infra/local/clock';
import { parseDuration } from '../../infra/local/clock-endpoint';
import { startLocalEnvironment } from '../../infra/local/environment';
import { DAY_MS } from './support';

const dataDir = mkdtempSync(path.join(tmpdir(), 'clock-'));

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('the adjustable clock', () => {
  it('runs callbacks that an advance makes due, earliest first, and keeps later ones waiting', async () => {
    const file = path.join(dataDir, 'unit-clock.json');
    const clock = new AdjustableClock(file);
    const fired: string[] = [];
    const start = clock.now();
    clock.schedule(start + 2 * DAY_MS, () => fired.push('two days'));
    clock.schedule(start + DAY_MS, () => fired.push('one day'));
    clock.schedule(start + 10 * DAY_MS, () => fired.push('ten days'));
    clock.advance(3 * DAY_MS);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fired).toEqual(['one day', 'two days']);
    expect(clock.now() - Date.now()).toBeGreaterThanOrEqual(3 * DAY_MS - 1000);
    expect(new AdjustableClock(file).offset).toBe(3 * DAY_MS);
    expect(() => clock.advance(-1)).toThrow(RangeError);
  });

  it('reads durations', () => {
    expect(parseDuration('30d')).toBe(30 * DAY_MS);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('250')).toBe(250);
    expect(parseDuration('soon')).toBeUndefined();
    expect(parseDuration('-1d')).toBeUndefined();
  });

  it('is moved through the local host endpoint that npm start lists, and survives a restart', async () => {
    const environmentDir = path.join(dataDir, 'env');
    let environment = await startLocalEnvironment({
      dataDir: environmentDir,
      freePorts: true,
      log: () => undefined,
    });
    try {
      const endpoint = environment.endpoints.clock!;
      expect(endpoint).toBe(`${environment.host.url}/runtime/local/clock`);
      const moved = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ advance: '30d' }),
      });
      expect(moved.status).toBe(200);
      expect(await moved.json()).toMatchObject({ offsetDays: 30 });
      const bad = await fetch(endpoint, { method: 'POST', body: JSON.stringify({ advance: 'later' }) });
      expect(bad.status).toBe(400);
      // The function app has no such route.
      expect((await fetch(`${environment.host.url}/api/runtime/local/clock`)).status).toBe(404);
    } finally {
      await environment.close();
    }
    environment = await startLocalEnvironment({
      dataDir: environmentDir,
      freePorts: true,
      log: () => undefined,
    });
    try {
      const state = (await (await fetch(environment.endpoints.clock!)).json()) as { offsetDays: number };
      expect(state.offsetDays).toBe(30);
    } finally {
      await environment.close();
    }
  });
});
