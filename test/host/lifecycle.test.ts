import fs from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startHost, type HostContext, type HostExtension } from '../../infra/local/host';
import { startFixture } from './fixtures';

/** Polls by time, not by attempts: on a loaded machine 200 quick attempts can pass before the line comes. */
async function waitForLog(logs: string[], text: string): Promise<void> {
  await expect
    .poll(() => logs.some((line) => line.includes(text)), { timeout: 20_000, interval: 10 })
    .toBe(true);
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

  it('forgets a client that disconnects mid-body, so close does not wait for it', async () => {
    const app = await startFixture('http-routes');
    const { hostname, port } = new URL(app.host.url);
    await new Promise<void>((resolve) => {
      const request = http.request({
        hostname,
        port,
        path: '/api/body/text',
        method: 'POST',
        headers: { 'content-length': '1000' },
      });
      request.on('error', () => resolve());
      request.write('only a little', () =>
        setTimeout(() => {
          request.destroy();
          resolve();
        }, 50),
      );
    });
    // Waiting for the lost body would never end; the bound only has to tell "finished" from "hangs".
    const started = Date.now();
    await app.host.close();
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('does not wait at close for a client that stalls mid-body, and closes its connection', async () => {
    const app = await startFixture('http-routes');
    const { hostname, port } = new URL(app.host.url);
    const request = http.request({
      hostname,
      port,
      path: '/api/body/text',
      method: 'POST',
      // The host's 100 Continue says the request reached it: it is reading the body from then on.
      headers: { 'content-length': '1000', expect: '100-continue' },
    });
    const ended = new Promise<string>((resolve) => {
      request.on('error', (error) => resolve(error.message));
      request.on('response', (response) => resolve(`status ${response.statusCode}`));
    });
    request.flushHeaders();
    await new Promise<void>((resolve) => request.once('continue', () => resolve()));
    await new Promise<void>((resolve) => request.write('a part of the body', () => resolve()));
    // The body is never finished; Node's own request timeout would hold close() for minutes.
    const started = Date.now();
    await app.host.close();
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(await ended).toMatch(/socket hang up|ECONNRESET/);
  });

  it('does not wait at close for a client that stalls mid-headers', async () => {
    const app = await startFixture('http-routes');
    const { hostname, port } = new URL(app.host.url);
    const socket = net.connect(Number(port), hostname);
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    await new Promise<void>((resolve) =>
      socket.write('GET /api/items/1 HTTP/1.1\r\nHost: x\r\n', () => resolve()),
    );
    // Node's headers timeout would hold close() for a minute.
    const started = Date.now();
    await app.host.close();
    expect(Date.now() - started).toBeLessThan(15_000);
    await closed;
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

describe('settings files', () => {
  /** A throwaway app with no functions, so it needs no node_modules: only settings matter here. */
  function emptyApp(settings: object): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'host-settings-'));
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ main: 'index.js' }));
    fs.writeFileSync(path.join(dir, 'index.js'), '');
    fs.writeFileSync(path.join(dir, 'local.settings.json'), JSON.stringify(settings));
    return dir;
  }

  async function freePort(): Promise<number> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    return port;
  }

  it('listens on Host.LocalHttpPort when no port is given, on loopback only', async () => {
    const port = await freePort();
    const appDir = emptyApp({ Values: {}, Host: { LocalHttpPort: port } });
    const host = await startHost({ appDir, log: () => undefined });
    try {
      expect(host.url).toBe(`http://127.0.0.1:${port}`);
      expect((await fetch(`${host.url}/api/anything`)).status).toBe(404);
    } finally {
      await host.close();
      fs.rmSync(appDir, { recursive: true });
    }
  });

  it('overwrites an empty real variable but keeps a set one, and says so', async () => {
    const appDir = emptyApp({
      Values: { SETTINGS_EMPTY_IN_ENV: 'from file', SETTINGS_SET_IN_ENV: 'from file' },
    });
    process.env.SETTINGS_EMPTY_IN_ENV = '';
    process.env.SETTINGS_SET_IN_ENV = 'real';
    const logs: string[] = [];
    const host = await startHost({ appDir, port: 0, log: (line) => logs.push(line) });
    try {
      expect(process.env.SETTINGS_EMPTY_IN_ENV).toBe('from file');
      expect(process.env.SETTINGS_SET_IN_ENV).toBe('real');
      expect(logs.some((line) => line.includes("Skipping 'SETTINGS_SET_IN_ENV' from local settings"))).toBe(
        true,
      );
    } finally {
      await host.close();
      fs.rmSync(appDir, { recursive: true });
    }
    expect(process.env.SETTINGS_EMPTY_IN_ENV).toBe('');
  });

  it('takes the request size limit from FUNCTIONS_REQUEST_BODY_SIZE_LIMIT, as the host does', async () => {
    const app = await startFixture('http-routes', { env: { FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: '10' } });
    try {
      expect((await app.fetch('/api/body/text', { method: 'POST', body: 'ten bytes!' })).status).toBe(200);
      expect((await app.fetch('/api/body/text', { method: 'POST', body: 'eleven byte' })).status).toBe(413);
    } finally {
      await app.host.close();
    }
  });

  it('refuses CORS "*" together with credentials, as ASP.NET does', async () => {
    const appDir = emptyApp({ Values: {}, Host: { CORS: '*', CORSCredentials: true } });
    try {
      await expect(startHost({ appDir, port: 0, log: () => undefined })).rejects.toThrow(
        /cannot be combined/,
      );
    } finally {
      fs.rmSync(appDir, { recursive: true });
    }
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

  it('fails an invocation that outlives host.json functionTimeout with a 500', async () => {
    const app = await startFixture('alt-app');
    try {
      const response = await app.fetch('/sleep');
      expect(response.status).toBe(500);
      expect(
        app.logs.some((line) =>
          line.includes('Timeout value of 00:00:01 was exceeded by function: Functions.sleep'),
        ),
      ).toBe(true);
    } finally {
      await app.host.close();
    }
  });

  it('refuses routes that shadow the admin API and warns about two functions on one route', async () => {
    const app = await startFixture('alt-app', { masterKey: 'k' });
    try {
      expect(app.logs.join('\n')).toMatch(
        /shadowsAdmin: httpTrigger \(not served: the route conflicts with the host's built-in \/admin routes\)/,
      );
      expect(
        app.logs.some((line) =>
          line.includes("Functions 'firstDuplicate' and 'secondDuplicate' both answer route 'dup'"),
        ),
      ).toBe(true);
      expect(await (await app.fetch('/dup')).text()).toBe('first');
      expect(await (await app.fetch('/dup', { method: 'POST' })).text()).toBe('second');
      const admin = await app.fetch('/admin/functions/sleep', {
        method: 'POST',
        headers: { 'x-functions-key': 'k' },
      });
      expect(admin.status).toBe(400);
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
  it('are reached from origins Host.CORS lists by name, not from others, nor from any origin under CORS "*"', async () => {
    const echo: HostExtension = {
      name: 'echo',
      triggerTypes: [],
      httpPathPrefixes: ['/runtime/webhooks/echo/'],
      handleHttp: (_request, _body, response) => Promise.resolve(void response.end('reached')),
      start: () => Promise.resolve(),
      stop: () => Promise.resolve(),
    };
    const call = (app: { fetch: (path: string, init?: RequestInit) => Promise<Response> }, origin: string) =>
      app.fetch('/runtime/webhooks/echo/x', { method: 'POST', headers: { origin } });
    const listed = await startFixture('http-routes', { extensions: [echo] });
    try {
      expect((await call(listed, 'https://app.example.org')).status).toBe(200);
      expect((await call(listed, 'https://evil.example')).status).toBe(403);
    } finally {
      await listed.host.close();
    }
    const wildcard = await startFixture('alt-app', { extensions: [echo] });
    try {
      expect((await call(wildcard, 'https://evil.example')).status).toBe(403);
      expect((await call(wildcard, wildcard.host.url)).status).toBe(200);
    } finally {
      await wildcard.host.close();
    }
  });

  it('whose stop fails still leave a closed server and a restored environment, and close reports the failure', async () => {
    const stuck: HostExtension = {
      name: 'stuck',
      triggerTypes: [],
      start: () => Promise.resolve(),
      stop: () => Promise.reject(new Error('the extension could not stop')),
    };
    const app = await startFixture('http-routes', { extensions: [stuck] });
    expect(process.env.FIXTURE_FROM_SETTINGS).toBe('settings');
    await expect(app.host.close()).rejects.toThrow('the extension could not stop');
    await expect(app.fetch('/api/items/1')).rejects.toThrow();
    expect(process.env.FIXTURE_FROM_SETTINGS).toBeUndefined();
  });

  it('answer 500 when their handler throws, logging the failure without the key from ?code=', async () => {
    const failing: HostExtension = {
      name: 'failing',
      triggerTypes: [],
      httpPathPrefixes: ['/runtime/webhooks/failing/'],
      handleHttp: () => Promise.reject(new Error('the extension broke')),
      start: () => Promise.resolve(),
      stop: () => Promise.resolve(),
    };
    const app = await startFixture('http-routes', { extensions: [failing] });
    try {
      const response = await app.fetch(
        `/runtime/webhooks/failing/x?code=${app.host.masterKey}&other=1&CODE=${app.host.masterKey}`,
      );
      expect(response.status).toBe(500);
      expect(await response.text()).toBe('');
      const failure = app.logs.find((line) => line.includes('The host failed to answer GET'));
      expect(failure).toContain('the extension broke');
      expect(failure).toContain('code=[redacted]&other=1');
      // The start-up banner is the one place that shows the key, on purpose.
      const withKey = app.logs.filter((line) => line.includes(app.host.masterKey));
      expect(withKey).toEqual([expect.stringMatching(/^Master key /)]);
      // The host keeps serving.
      expect((await app.fetch('/api/items/1')).status).toBe(200);
    } finally {
      await app.host.close();
    }
  });

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
    const afterClose = await context!.invoke('queueWorker', [{ name: 'item', data: { string: '1' } }]);
    expect(afterClose.ok).toBe(false);
  });
});
