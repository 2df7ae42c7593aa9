import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFixture, type FixtureHost } from './fixtures';

const terminateFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'host-hooks-')), 'events.json');
let app: FixtureHost;

beforeAll(async () => {
  app = await startFixture('hooks', { env: { HOOKS_TERMINATE_FILE: terminateFile } });
});

afterAll(() => {
  fs.rmSync(path.dirname(terminateFile), { recursive: true, force: true });
});

describe('invocation hooks in the worker order', () => {
  it('runs preInvocation, the handler, then postInvocation with shared hookData', async () => {
    expect(await (await app.fetch('/api/plain')).text()).toBe('plain');
    const events = (await (await app.fetch('/api/events')).json()) as string[];
    // The response is built after postInvocation, so the events function's own post hook is in its answer.
    expect(events).toEqual([
      'appStart',
      'pre:plain:1',
      'handler:plain',
      'post:plain:ok:true',
      'pre:events:2',
      'post:events:ok:true',
    ]);
  });

  it('lets preInvocation replace the handler and the inputs', async () => {
    expect(await (await app.fetch('/api/replaced')).text()).toBe('from the replacement handler');
    expect(await (await app.fetch('/api/inputs')).text()).toBe('added by preInvocation');
  });

  it('shows postInvocation the error, and lets it replace the error with a result', async () => {
    expect((await app.fetch('/api/failing')).status).toBe(500);
    const recovered = await app.fetch('/api/recovered');
    expect(recovered.status).toBe(200);
    expect(await recovered.text()).toBe('recovered by postInvocation');
    const events = (await (await app.fetch('/api/events')).json()) as string[];
    expect(events).toContain('post:failing:error:true');
    expect(events).toContain('post:recovered:error:true');
  });

  it('passes log lines through log hooks, which may rewrite them', () => {
    expect(app.logs.some((line) => line.includes('redacted'))).toBe(true);
    expect(app.logs.some((line) => line.includes('a secret value'))).toBe(false);
  });

  it('reports an async log hook that rejects, and keeps serving', async () => {
    const response = await app.fetch('/api/asyncLogHook');
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('logged');
    await expect
      .poll(() => app.logs.some((line) => line.includes('A log hook failed: async log hook failed')), {
        timeout: 20_000,
      })
      .toBe(true);
    expect((await app.fetch('/api/events')).status).toBe(200);
  });

  it('runs appTerminate at close with the hookData appStart set, and shuts down when one of them throws', async () => {
    expect(process.env.HOOKS_TERMINATE_FILE).toBe(terminateFile);
    await app.host.close();
    expect(app.logs.some((line) => line.includes('appTerminate hook failed'))).toBe(true);
    // The rest of the shutdown ran: the environment is restored and the port is closed.
    expect(process.env.HOOKS_TERMINATE_FILE).toBeUndefined();
    await expect(app.fetch('/api/plain')).rejects.toThrow();
    const events = JSON.parse(fs.readFileSync(terminateFile, 'utf8')) as string[];
    expect(events.at(-1)).toBe('appTerminate:appStart');
    expect(events.filter((event) => event.startsWith('pre:'))).toHaveLength(9);
    expect(events.at(-2)).toBe('post:events:ok:true');
  });
});
