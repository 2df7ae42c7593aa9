/**
 * Bad input to every endpoint of our built app (dist/index.js) on the whole local environment (stand-ins,
 * dev issuer, Durable engine, host): malformed, oversized, unauthorised and replayed requests get clear
 * answers, nothing is started or changed by them, and the environment keeps serving.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repositoryRoot, startLocalEnvironment, type LocalEnvironment } from '../../infra/local/environment';
import { seedDocuments } from '../../infra/local/standins/seed-documents';
import { parseSettings } from '../../shared/config/settings';
import { createCosmosClient } from '../../shared/platform/cosmos';
import { rawRequest } from '../support/raw-request';

/** Between the app handlers' own 1 MiB cap and the 2 MiB bodies sent to the host. */
const hostBodyLimit = 1536 * 1024;
const webhooks = '/runtime/webhooks/durabletask/';
const logs: string[] = [];
let environment: LocalEnvironment;
let previousLimit: string | undefined;

beforeAll(async () => {
  if (!fs.existsSync(`${repositoryRoot}/dist/index.js`)) throw new Error('Run `npm run build` first');
  previousLimit = process.env.FUNCTIONS_REQUEST_BODY_SIZE_LIMIT;
  process.env.FUNCTIONS_REQUEST_BODY_SIZE_LIMIT = String(hostBodyLimit);
  environment = await startLocalEnvironment({ freePorts: true, log: (line) => logs.push(line) });
  // What `npm start` prepares: the template blob and the database (/api/health checks both are there).
  await seedDocuments(environment.appSettings, (line) => logs.push(line));
  const settings = parseSettings(environment.appSettings);
  const cosmos = createCosmosClient(settings);
  await cosmos.databases.createIfNotExists({ id: settings.CosmosDb__databaseName });
  cosmos.dispose();
});

afterAll(async () => {
  await environment?.close();
  if (previousLimit === undefined) delete process.env.FUNCTIONS_REQUEST_BODY_SIZE_LIMIT;
  else process.env.FUNCTIONS_REQUEST_BODY_SIZE_LIMIT = previousLimit;
});

const url = (path: string): string => `${environment.host.url}${path}`;
const withKey = (headers: Record<string, string> = {}): Record<string, string> => ({
  'x-functions-key': environment.host.masterKey,
  ...headers,
});
const json = { 'content-type': 'application/json' };

async function instanceCount(): Promise<number> {
  const response = await fetch(url(`${webhooks}instances`));
  expect(response.status).toBe(200);
  return ((await response.json()) as unknown[]).length;
}

async function problemOf(response: Response): Promise<{ status?: number; detail?: string; type?: string }> {
  expect(response.headers.get('content-type')).toContain('application/problem+json');
  return (await response.json()) as { status?: number; detail?: string; type?: string };
}

async function waitForCompletion(statusUri: string): Promise<{ runtimeStatus: string; output: unknown }> {
  let status: { runtimeStatus: string; output: unknown } | undefined;
  await expect
    .poll(
      async () => {
        status = (await (await fetch(statusUri)).json()) as { runtimeStatus: string; output: unknown };
        return status.runtimeStatus;
      },
      { timeout: 20_000, interval: 20 },
    )
    .toBe('Completed');
  return status!;
}

describe('malformed requests', () => {
  it.each([
    ['bad percent-encoding', '/api/health%E0%A4%A'],
    ['a dot-dot segment to reach another function', '/api/samples/../me'],
    ['an encoded dot-dot segment', '/api/agreements/%2e%2e/me'],
    ['an empty segment', '/api//health'],
    ['a dot-dot segment into the management API', `${webhooks}../../api/health`],
    ['an encoded NUL in the management API', `${webhooks}instances/a%00b`],
  ])('answers 400 problem+json for %s', async (_name, path) => {
    const response = await rawRequest(environment.host.url, path);
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toBe('application/problem+json');
  });

  it('answers 404 for the app routes with another method, as the Functions host does', async () => {
    for (const [method, path] of [
      ['POST', '/api/health'],
      ['DELETE', '/api/me'],
      ['PUT', '/api/agreements/template'],
      ['GET', '/api/samples/approval'],
    ] as const) {
      expect((await fetch(url(path), { method, headers: withKey() })).status, `${method} ${path}`).toBe(404);
    }
  });

  it('refuses invalid JSON to a sample starter, the admin API and the management API, starting nothing', async () => {
    const before = await instanceCount();
    const starter = await fetch(url('/api/samples/approval'), {
      method: 'POST',
      headers: withKey(json),
      body: '{"subject": "x", ',
    });
    expect(starter.status).toBe(400);
    expect((await problemOf(starter)).type).toMatch(/invalid-json$/);
    const admin = await fetch(url('/admin/functions/sampleSayHello'), {
      method: 'POST',
      headers: withKey(json),
      body: '{"input": ',
    });
    expect(admin.status).toBe(400);
    const management = await fetch(url(`${webhooks}orchestrators/helloSequence`), {
      method: 'POST',
      headers: json,
      body: '[1, 2',
    });
    expect(management.status).toBe(400);
    expect(await instanceCount()).toBe(before);
  });

  it('refuses a sample starter body of the wrong type or shape with 400/415 problem+json', async () => {
    const text = await fetch(url('/api/samples/approval'), {
      method: 'POST',
      headers: withKey({ 'content-type': 'text/plain' }),
      body: 'subject=x',
    });
    expect([400, 415]).toContain(text.status);
    await problemOf(text);
    const shape = await fetch(url('/api/samples/approval'), {
      method: 'POST',
      headers: withKey(json),
      body: JSON.stringify({ subject: 'x', timeoutHours: -1 }),
    });
    expect(shape.status).toBe(400);
    expect(JSON.stringify(await problemOf(shape))).toContain('timeoutHours');
  });
});

describe('oversized requests', () => {
  const twoMiB = 'x'.repeat(2 * 1024 * 1024);

  it('answers 413 from the host for bodies over FUNCTIONS_REQUEST_BODY_SIZE_LIMIT on every kind of path', async () => {
    for (const path of [
      '/api/samples/approval',
      '/admin/functions/sampleSayHello',
      `${webhooks}orchestrators/helloSequence`,
    ]) {
      const response = await fetch(url(path), { method: 'POST', headers: withKey(json), body: twoMiB });
      expect(response.status, path).toBe(413);
      expect((await problemOf(response)).detail, path).toContain(String(hostBodyLimit));
    }
  });

  it('answers 413 from the handler or the engine for bodies over their own 1 MiB caps', async () => {
    const before = await instanceCount();
    const overOneMiB = JSON.stringify({ subject: 'y'.repeat(1024 * 1024 + 10) });
    const starter = await fetch(url('/api/samples/approval'), {
      method: 'POST',
      headers: withKey(json),
      body: overOneMiB,
    });
    expect(starter.status).toBe(413);
    await problemOf(starter);
    const management = await fetch(url(`${webhooks}orchestrators/approvalSample`), {
      method: 'POST',
      headers: json,
      body: overOneMiB,
    });
    expect(management.status).toBe(413);
    expect(await instanceCount()).toBe(before);
    expect((await fetch(url('/api/health'))).status).toBe(200);
  });
});

describe('the admin API and Durable functions', () => {
  it('refuses to run an orchestrator or an activity outside the Durable engine, with 400 problem+json', async () => {
    for (const name of ['helloSequence', 'sampleSayHello']) {
      const response = await fetch(url(`/admin/functions/${name}`), {
        method: 'POST',
        headers: withKey(json),
        body: JSON.stringify({ input: 'x' }),
      });
      expect(response.status, name).toBe(400);
      expect((await problemOf(response)).detail).toMatch(/extension runs: start it through that extension/);
    }
    expect(logs.join('\n')).not.toMatch(
      /Executing 'Functions\.(helloSequence|sampleSayHello)' \(Reason='This function was programmatically/,
    );
  });
});

describe('unauthorised requests', () => {
  it('answers 401 to the sample starters without the key, with a wrong one or a key in the wrong place', async () => {
    const before = await instanceCount();
    for (const headers of [
      {},
      { 'x-functions-key': 'wrong' },
      { 'x-functions-key': `${environment.host.masterKey}x` },
      { authorization: `Bearer ${environment.host.masterKey}` },
    ] as Record<string, string>[]) {
      for (const path of ['/api/samples/approval', '/api/samples/hello-sequence']) {
        const response = await fetch(url(path), {
          method: 'POST',
          headers: { ...json, ...headers },
          body: JSON.stringify({ subject: 'x' }),
        });
        expect(response.status, `${path} ${JSON.stringify(headers)}`).toBe(401);
      }
    }
    expect((await fetch(url(`/api/samples/approval?code=wrong`), { method: 'POST' })).status).toBe(401);
    expect(await instanceCount()).toBe(before);
  });

  it('answers 401 to the admin API without the right key, running nothing', async () => {
    const marker = `admin-${Date.now()}`;
    for (const headers of [{}, { 'x-functions-key': 'wrong' }] as Record<string, string>[]) {
      const response = await fetch(url('/admin/functions/sampleSayHello'), {
        method: 'POST',
        headers: { ...json, ...headers },
        body: JSON.stringify({ input: marker }),
      });
      expect(response.status).toBe(401);
    }
    expect(logs.join('\n')).not.toContain(marker);
  });

  it('answers 401 to /api/me for a missing, malformed, unsigned or foreign token', async () => {
    const valid = await environment.issuer.mintToken({ email: 'carol@example.org' });
    const [header, payload] = valid.split('.');
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
    for (const authorization of [
      undefined,
      'Bearer',
      'Bearer not.a.jwt',
      `Basic ${valid}`,
      `Bearer ${unsigned}`,
      `Bearer ${header}.${payload}.${'A'.repeat(342)}`,
    ]) {
      const response = await fetch(url('/api/me'), {
        headers: authorization === undefined ? {} : { authorization },
      });
      expect(response.status, String(authorization).slice(0, 20)).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
    // The token itself is never echoed into the logs.
    expect(logs.join('\n')).not.toContain(payload);
  });

  it('serves the anonymous endpoints without any key, and ignores a wrong one', async () => {
    for (const path of ['/api/health', '/api/agreements/template']) {
      expect((await fetch(url(path), { headers: { 'x-functions-key': 'wrong' } })).status, path).toBe(200);
    }
  });
});

describe('replayed requests', () => {
  it('starts a new instance for each replay of a sample starter request', async () => {
    const request = { method: 'POST', headers: withKey() };
    const first = (await (await fetch(url('/api/samples/hello-sequence'), request)).json()) as { id: string };
    const second = (await (await fetch(url('/api/samples/hello-sequence'), request)).json()) as {
      id: string;
    };
    expect(second.id).not.toBe(first.id);
  });

  it('answers 410 to a decision replayed after the approval finished, keeping the first decision', async () => {
    const started = await fetch(url('/api/samples/approval'), {
      method: 'POST',
      headers: withKey(json),
      body: JSON.stringify({ subject: 'replay', timeoutHours: 24 }),
    });
    expect(started.status).toBe(202);
    const links = (await started.json()) as { statusQueryGetUri: string; sendEventPostUri: string };
    const decide = (by: string): Promise<Response> =>
      fetch(links.sendEventPostUri.replace('{eventName}', 'ApprovalDecision'), {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ approved: true, by }),
      });
    expect((await decide('first@example.org')).status).toBe(202);
    const done = await waitForCompletion(links.statusQueryGetUri);
    expect(done.output).toMatchObject({ outcome: 'approved', by: 'first@example.org' });
    expect((await decide('replayer@example.org')).status).toBe(410);
    expect((await (await fetch(links.statusQueryGetUri)).json()) as unknown).toMatchObject({
      output: { by: 'first@example.org' },
    });
  });

  it('answers 304 to a replayed conditional template request, 200 with the body otherwise', async () => {
    const first = await fetch(url('/api/agreements/template'));
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag')!;
    const replayed = await fetch(url('/api/agreements/template'), { headers: { 'if-none-match': etag } });
    expect(replayed.status).toBe(304);
    expect(await replayed.text()).toBe('');
    const stale = await fetch(url('/api/agreements/template'), { headers: { 'if-none-match': '"stale"' } });
    expect(stale.status).toBe(200);
    expect((await stale.arrayBuffer()).byteLength).toBe((await first.arrayBuffer()).byteLength);
  });
});
