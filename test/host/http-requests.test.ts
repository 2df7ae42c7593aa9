import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFixture, type FixtureHost } from './fixtures';
import { rawRequest } from '../support/raw-request';

const maxRequestBodyBytes = 64 * 1024;
let app: FixtureHost;

beforeAll(async () => {
  process.env.FIXTURE_ALREADY_IN_ENV = 'real environment';
  app = await startFixture('http-routes', {
    env: { FIXTURE_OVERRIDDEN_BY_OPTIONS: 'options.env' },
    maxRequestBodyBytes,
    masterKey: 'test-master-key',
  });
});

afterAll(async () => {
  await app?.host.close();
});

describe('authorization levels', () => {
  it('lets anonymous routes through without a key', async () => {
    expect((await app.fetch('/api/items/1')).status).toBe(200);
  });

  it('answers 401 to function and admin routes without a key or with a wrong one', async () => {
    for (const route of ['/api/secure/function', '/api/secure/admin']) {
      expect((await app.fetch(route)).status).toBe(401);
      expect((await app.fetch(route, { headers: { 'x-functions-key': 'wrong' } })).status).toBe(401);
      expect((await app.fetch(`${route}?code=wrong`)).status).toBe(401);
      expect((await app.fetch(route, { headers: { 'x-functions-key': '' } })).status).toBe(401);
    }
  });

  it('accepts the master key in the x-functions-key header or the code query parameter', async () => {
    for (const route of ['/api/secure/function', '/api/secure/admin']) {
      const byHeader = await app.fetch(route, { headers: { 'x-functions-key': 'test-master-key' } });
      expect(byHeader.status).toBe(200);
      expect((await app.fetch(`${route}?code=test-master-key`)).status).toBe(200);
    }
  });

  it('checks the route before the key: an unknown route is 404 even without a key', async () => {
    expect((await app.fetch('/api/secure/unknown')).status).toBe(404);
  });
});

describe('request bodies', () => {
  it('passes text bodies', async () => {
    const response = await app.fetch('/api/body/text', { method: 'POST', body: 'héllo wörld' });
    expect(await response.text()).toBe('text:héllo wörld');
  });

  it('passes JSON bodies', async () => {
    const response = await app.fetch('/api/body/json', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ nested: { list: [1, 2, 3] }, unicode: 'π' }),
    });
    expect(await response.json()).toEqual({ received: { nested: { list: [1, 2, 3] }, unicode: 'π' } });
  });

  it('lets the handler decide about invalid JSON', async () => {
    const response = await app.fetch('/api/body/json', { method: 'POST', body: '{"broken": ' });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'invalid json', name: 'SyntaxError' });
  });

  it('turns an unhandled JSON parse error into a 500 without a stack, and keeps serving', async () => {
    const response = await app.fetch('/api/body/json-unchecked', { method: 'POST', body: 'not json' });
    expect(response.status).toBe(500);
    expect(await response.text()).toBe('');
    expect((await app.fetch('/api/items/1')).status).toBe(200);
  });

  it('passes url-encoded and multipart form bodies', async () => {
    const urlEncoded = await app.fetch('/api/body/form', {
      method: 'POST',
      body: new URLSearchParams({ a: '1', b: 'two words' }),
    });
    expect(await urlEncoded.json()).toEqual({ a: '1', b: 'two words' });

    const form = new FormData();
    form.append('title', 'report');
    form.append('file', new Blob(['file content'], { type: 'text/plain' }), 'report.txt');
    const multipart = await app.fetch('/api/body/form', { method: 'POST', body: form });
    expect(await multipart.json()).toEqual({
      title: 'report',
      file: { fileName: 'report.txt', size: 12, text: 'file content' },
    });
  });

  it('passes binary bodies unchanged, all 256 byte values', async () => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const response = await app.fetch('/api/body/binary', { method: 'PUT', body: bytes });
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    expect(Buffer.from(await response.arrayBuffer())).toEqual(Buffer.from(bytes).reverse());
  });

  it('refuses a body over the cap with 413 problem+json, declared or streamed', async () => {
    const declared = await app.fetch('/api/body/binary', {
      method: 'POST',
      body: Buffer.alloc(maxRequestBodyBytes + 1, 1),
    });
    expect(declared.status).toBe(413);
    expect(declared.headers.get('content-type')).toBe('application/problem+json');
    expect(await declared.json()).toMatchObject({ status: 413, title: 'Payload Too Large' });

    const chunk = new Uint8Array(16 * 1024);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > maxRequestBodyBytes * 2) controller.close();
        else {
          sent += chunk.length;
          controller.enqueue(chunk);
        }
      },
    });
    const streamed = await app.fetch('/api/body/binary', {
      method: 'POST',
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(((await streamed.json()) as { status: number }).status).toBe(413);
  });

  it('accepts a body exactly at the cap', async () => {
    const response = await app.fetch('/api/body/binary', {
      method: 'POST',
      body: Buffer.alloc(maxRequestBodyBytes, 7),
    });
    expect(response.status).toBe(200);
    expect((await response.arrayBuffer()).byteLength).toBe(maxRequestBodyBytes);
  });
});

describe('responses', () => {
  it('sends status, headers and cookies', async () => {
    const response = await app.fetch('/api/respond/headers', { headers: { 'x-test': 'seen' } });
    expect(response.status).toBe(201);
    expect(response.headers.get('x-custom')).toBe('custom-value');
    expect(response.headers.get('x-seen-header')).toBe('seen');
    expect(response.headers.getSetCookie()).toEqual([
      'session=abc123; Path=/; Max-Age=3600; Secure; HttpOnly; SameSite=Strict',
      'theme=dark; Domain=localhost; Expires=Tue, 01 Jan 2030 00:00:00 GMT',
    ]);
    expect(response.headers.get('content-length')).toBe('7');
    expect(response.headers.get('transfer-encoding')).toBeNull();
    expect(await response.text()).toBe('created');
  });

  it('sends HttpResponse objects, JSON and streamed bodies', async () => {
    const teapot = await app.fetch('/api/respond/class');
    expect(teapot.status).toBe(418);
    expect(teapot.headers.get('content-type')).toContain('application/json');
    expect(await teapot.json()).toEqual({ teapot: true });
    expect(await (await app.fetch('/api/respond/stream')).text()).toBe('chunk-1;chunk-2;chunk-3');
  });

  it('answers 200 with an empty body when the handler returns nothing, as the host does', async () => {
    const response = await app.fetch('/api/respond/nothing');
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
  });

  it('answers 500 with an empty body when the handler throws, and logs the error with the invocation id', async () => {
    const response = await app.fetch('/api/throws');
    expect(response.status).toBe(500);
    const body = await response.text();
    expect(body).toBe('');
    const failure = app.logs.find((line) =>
      line.includes('Exception while executing function: Functions.throws'),
    );
    expect(failure).toMatch(/Id=[0-9a-f-]{36}\. Error: secret failure detail/);
    expect(
      app.logs.some((line) =>
        /Executed 'Functions\.throws' \(Failed, Id=[0-9a-f-]{36}, Duration=\d+ms\)/.test(line),
      ),
    ).toBe(true);
  });

  it('logs each invocation like func, with the user log lines in between', async () => {
    const response = await app.fetch('/api/logs');
    const invocationId = await response.text();
    const executing = app.logs.findIndex((line) =>
      line.includes(
        `Executing 'Functions.logs' (Reason='This function was programmatically called via the host APIs.', Id=${invocationId})`,
      ),
    );
    const userLine = app.logs.findIndex((line) => line.includes('user log line from logs'));
    const executed = app.logs.findIndex((line) =>
      new RegExp(`Executed 'Functions.logs' \\(Succeeded, Id=${invocationId}, Duration=\\d+ms\\)`).test(line),
    );
    expect(executing).toBeGreaterThan(-1);
    expect(userLine).toBeGreaterThan(executing);
    expect(executed).toBeGreaterThan(userLine);
  });

  it('joins repeated request headers with a comma, as the host does', async () => {
    const response = await rawRequest(app.host.url, '/api/respond/headers', {
      headers: { 'x-test': ['one', 'two'] },
    });
    expect(response.headers['x-seen-header']).toBe('one,two');
  });

  it('gives the handler the request URL, method and decoded query', async () => {
    const response = await app.fetch('/api/defaultRoute?name=J%C3%BCrgen&empty=');
    const body = (await response.json()) as { url: string; query: Record<string, string> };
    expect(body.url).toBe(`${app.host.url}/api/defaultRoute?name=J%C3%BCrgen&empty=`);
    expect(body.query).toEqual({ name: 'Jürgen', empty: '' });
  });
});

describe('malformed requests', () => {
  it.each([
    ['bad percent-encoding', '/api/items/%E0%A4%A'],
    ['an empty segment', '/api//items/1'],
    ['a dot-dot segment', '/api/../api/items/1'],
    ['an encoded dot-dot segment', '/api/items/%2e%2e/secret'],
    ['a dot segment', '/api/./items/1'],
    ['an encoded NUL', '/api/items/a%00b'],
  ])('answers 400 for %s', async (_name, path) => {
    const response = await rawRequest(app.host.url, path);
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toBe('application/problem+json');
  });

  it('answers 400 for an absolute-form request target and keeps serving', async () => {
    const response = await rawRequest(app.host.url, 'http://evil.example/api/items/1');
    expect(response.status).toBe(400);
    expect((await app.fetch('/api/items/1')).status).toBe(200);
  });
});

describe('settings', () => {
  it('applies local.settings Values without overwriting the real environment, then options.env', async () => {
    const response = await app.fetch('/api/settings');
    expect(await response.json()).toEqual({
      fromSettings: 'settings',
      overriddenByOptions: 'options.env',
      alreadyInEnv: 'real environment',
    });
  });

  it('resolves %SETTING% references in host.json', () => {
    expect(app.host.context.hostJson.custom).toEqual({ greeting: 'hello from settings' });
  });
});

describe('CORS from Host.CORS and Host.CORSCredentials', () => {
  it('answers a preflight for an allowed origin with 204 and the allow headers', async () => {
    const response = await app.fetch('/api/items', {
      method: 'OPTIONS',
      headers: {
        origin: 'http://localhost:5173',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,authorization',
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(response.headers.get('access-control-allow-methods')).toBe('POST');
    expect(response.headers.get('access-control-allow-headers')).toBe('content-type,authorization');
    expect(response.headers.get('access-control-allow-credentials')).toBe('true');
  });

  it('answers a preflight from another origin with 204 but no allow headers', async () => {
    const response = await app.fetch('/api/items', {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('adds the origin headers to actual responses for allowed origins only', async () => {
    const allowed = await app.fetch('/api/items/1', { headers: { origin: 'https://app.example.org' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.org');
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    expect(allowed.headers.get('vary')).toContain('Origin');
    const other = await app.fetch('/api/items/1', { headers: { origin: 'https://evil.example' } });
    expect(other.status).toBe(200);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('adds them to error answers too, so the browser can read a 404', async () => {
    const missing = await app.fetch('/api/nope', { headers: { origin: 'http://localhost:5173' } });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
  });
});

describe('the start-up listing', () => {
  it('prints HTTP functions with methods and full URLs, other triggers with a warning, and the key', () => {
    const printed = app.logs.join('\n');
    expect(printed).toContain(`itemById: [GET] ${app.host.url}/api/items/{id:int}`);
    expect(printed).toContain(`defaultRoute: [GET,POST] ${app.host.url}/api/defaultRoute`);
    expect(printed).toMatch(/queueWorker: queueTrigger \(warning: nothing runs queueTrigger locally/);
    expect(printed).toContain('test-master-key');
  });
});
