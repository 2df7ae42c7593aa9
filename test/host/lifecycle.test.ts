import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { HostContext, HostExtension } from '../../infra/local/host';
import { startFixture } from './fixtures';

async function waitForLog(logs: string[], text: string): Promise<void> {
  for (let attempt = 0; attempt < 200 && !logs.some((line) => line.includes(text)); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  expect(logs.some((line) => line.includes(text))).toBe(true);
}

describe('start and shutdown', () => {
  it('refuses a second app in the same process while one runs', async () => {
    const first = await startFixture('http-routes');
    try {
      await expect(startFixture('alt-app')).rejects.toThrow(/already running in this process/);
      // The first host is unaffected.
      expect((await first.fetch('/api/items/1')).status).toBe(200);
    } finally {
      await first.host.close();
    }
  });

  it('finishes an in-flight request during close, then refuses connections and restores the environment', async () => {
    const app = await startFixture('http-routes');
    expect(process.env.FIXTURE_FROM_SETTINGS).toBe('settings');
    const slow = app.fetch('/api/slow/300');
    await waitForLog(app.logs, "Executing 'Functions.slow'");
    const closed = app.host.close();
    const response = await slow;
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('finished');
    await closed;
    expect(app.logs.at(-1)).toMatch(/Host stopped$/);
    await expect(app.fetch('/api/items/1')).rejects.toThrow();
    expect(process.env.FIXTURE_FROM_SETTINGS).toBeUndefined();
    // close is idempotent.
    await app.host.close();
  });

  it('fails clearly when main matches no file, and can start another app afterwards', async () => {
    await expect(startFixture('broken-main')).rejects.toThrow(
      'Worker was unable to load entry point "lib/*.js": Found zero files matching the supplied pattern',
    );
    const app = await startFixture('alt-app');
    await app.host.close();
  });

  it('fails naming the settings file and the bad setting', async () => {
    await expect(startFixture('bad-settings')).rejects.toThrow(
      /local\.settings\.example\.json: Values\.NESTED/,
    );
  });
});

describe('another app folder (--app): glob main, empty route prefix, local.settings.json', () => {
  it('loads every file the glob matches and serves routes at the root', async () => {
    const app = await startFixture('alt-app');
    try {
      expect(await (await app.fetch('/hello/ada')).json()).toEqual({
        greeting: 'hello ada',
        source: 'local.settings.json',
      });
      expect(await (await app.fetch('/')).text()).toBe('root of the alt app');
      expect(await (await app.fetch('/ping')).text()).toBe('pong');
      expect((await app.fetch('/api/ping')).status).toBe(404);
      expect(app.logs).toContain(`        hello: [GET] ${app.host.url}/hello/{name?}`);
      expect(app.logs).toContain(`        root: [GET] ${app.host.url}/`);
    } finally {
      await app.host.close();
    }
  });

  it('answers CORS "*" with a wildcard origin', async () => {
    const app = await startFixture('alt-app');
    try {
      const response = await app.fetch('/ping', { headers: { origin: 'https://anywhere.example' } });
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
      expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    } finally {
      await app.host.close();
    }
  });
});

describe('extensions', () => {
  it('drive the triggers they claim, supply input bindings and answer their own HTTP paths', async () => {
    const calls: string[] = [];
    let context: HostContext | undefined;
    const extension: HostExtension = {
      name: 'test-queue',
      triggerTypes: ['queueTrigger'],
      inputBindings: { testClient: (binding) => ({ string: JSON.stringify({ supplied: binding.type }) }) },
      httpPathPrefixes: ['/runtime/webhooks/test/'],
      async handleHttp(request: IncomingMessage, body: Buffer, response: ServerResponse) {
        const outcome = await context!.invoke(
          'queueWorker',
          [{ name: 'item', data: { string: body.toString('utf8') } }],
          {},
          { reason: 'New queue message' },
        );
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify(outcome.ok ? outcome.response.returnValue : { error: outcome.error.message }),
        );
      },
      async start(host) {
        context = host;
        calls.push(
          `start:${host.functions.has('queueWorker')}:${host.baseUrl.startsWith('http://127.0.0.1:')}`,
        );
      },
      async stop() {
        calls.push('stop');
      },
    };
    const app = await startFixture('http-routes', { extensions: [extension] });
    try {
      expect(calls).toEqual(['start:true:true']);
      expect(app.logs).toContain('        queueWorker: queueTrigger');
      expect(await (await app.fetch('/api/client')).json()).toEqual({ supplied: 'testClient' });

      const response = await app.fetch('/runtime/webhooks/test/enqueue', { method: 'POST', body: '{"n":1}' });
      expect(await response.json()).toEqual({ json: JSON.stringify({ handled: { n: 1 } }) });
      expect(
        app.logs.some((line) =>
          /Executing 'Functions\.queueWorker' \(Reason='New queue message', Id=/.test(line),
        ),
      ).toBe(true);

      const unknown = await context!.invoke('nope', []);
      expect(unknown.ok).toBe(false);
    } finally {
      await app.host.close();
    }
    expect(calls).toEqual(['start:true:true', 'stop']);
  });
});
