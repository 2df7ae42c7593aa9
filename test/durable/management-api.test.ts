/**
 * The Durable HTTP management API: what `DurableClient` (through `rpcBaseUrl`) and the
 * `createCheckStatusResponse` links call, with the real extension's status codes, and bad input.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from '../support/raw-request';
import { startDurableHost, webhooks, type DurableTestHost, type InstanceStatusBody } from './support';

let t: DurableTestHost;

beforeAll(async () => {
  t = await startDurableHost({ durable: { maxPayloadBytes: 4096 } });
});

afterAll(async () => {
  await t?.close();
});

const post = (path: string, body?: string, contentType = 'application/json') =>
  t.fetch(path, {
    method: 'POST',
    headers: { 'content-type': contentType },
    ...(body !== undefined ? { body } : {}),
  });

async function message(response: Response): Promise<string> {
  return ((await response.json()) as { Message: string }).Message;
}

describe('the durableClient binding and createCheckStatusResponse', () => {
  it('hands the app a binding whose rpcBaseUrl and management URLs point at this host', async () => {
    const binding = (await (await t.fetch('/api/client-binding')).json()) as Record<string, unknown>;
    expect(binding).toMatchObject({
      taskHubName: 'ConformanceHub',
      rpcBaseUrl: `${t.host.url}/runtime/webhooks/durabletask/`,
      managementUrls: {
        id: 'INSTANCEID',
        statusQueryGetUri: expect.stringContaining(`${t.host.url}${webhooks}instances/INSTANCEID?`),
      },
    });
    // The host's master key must not travel to whoever calls a starter.
    expect(JSON.stringify(binding)).not.toContain(t.host.masterKey);
  });

  it('starts through DurableClient and answers 202 with links that work against the host', async () => {
    const response = await t.fetch('/api/start/helloCities', { method: 'POST' });
    expect(response.status).toBe(202);
    expect(response.headers.get('retry-after')).toBe('10');
    const links = (await response.json()) as Record<string, string>;
    const location = response.headers.get('location')!;
    expect(location).toBe(links.statusQueryGetUri);
    expect(location.startsWith(`${t.host.url}${webhooks}instances/${links.id}?`)).toBe(true);
    await t.waitFor(links.id!, 'Completed');
    const viaLink = await fetch(location);
    expect(viaLink.status).toBe(200);
    expect(((await viaLink.json()) as InstanceStatusBody).output).toEqual([
      'Hello Tokyo!',
      'Hello Seattle!',
      'Hello London!',
    ]);
  });

  it('makes createHttpManagementPayload point at this host, whatever its port', async () => {
    const payload = (await (await post('/api/client/any-id/payload')).json()) as Record<string, string>;
    expect(payload.statusQueryGetUri).toMatch(new RegExp(`^${t.host.url}${webhooks}instances/any-id\\?`));
    expect(payload.sendEventPostUri).toContain(
      `${t.host.url}${webhooks}instances/any-id/raiseEvent/{eventName}`,
    );
  });

  it('serves DurableClient raiseEvent, getStatus with history, terminate and purge', async () => {
    const id = await t.start('waiter', undefined, 'client-ops');
    expect((await post(`/api/client/${id}/raise`, JSON.stringify({ n: 7 }))).status).toBe(202);
    await t.waitFor(id, 'Completed');
    const status = (await (await post(`/api/client/${id}/status`)).json()) as Record<string, unknown>;
    expect(status).toMatchObject({ runtimeStatus: 'Completed', output: { n: 7 } });
    const listed = (await (await post(`/api/client/${id}/list`)).json()) as { instanceId: string }[];
    expect(listed.map((entry) => entry.instanceId)).toContain(id);
    expect(await (await post(`/api/client/${id}/purge`)).json()).toEqual({ instancesDeleted: 1 });
    expect((await t.fetch(`${webhooks}instances/${id}`)).status).toBe(404);
  });
});

describe('start', () => {
  it('refuses to start over a running instance and restarts a finished one', async () => {
    const id = await t.start('waiter', undefined, 'singleton');
    const again = await post(`${webhooks}orchestrators/waiter/singleton`, '');
    expect(again.status).toBe(409);
    expect(await message(again)).toContain("'singleton' already exists and is");
    await t.raise(id, 'Go', 'first');
    expect((await t.waitFor(id, 'Completed')).output).toBe('first');
    expect(await t.start('waiter', undefined, 'singleton')).toBe('singleton');
    const restarted = await t.status('singleton');
    expect(restarted.runtimeStatus).not.toBe('Completed');
    await t.raise(id, 'Go', 'second');
    expect((await t.waitFor(id, 'Completed')).output).toBe('second');
  });

  it('rejects unknown orchestrators, bad JSON and oversized inputs without creating anything', async () => {
    const before = t.durable.listInstances().length;
    const unknown = await post(`${webhooks}orchestrators/noSuchOrchestrator`, '1');
    expect(unknown.status).toBe(400);
    expect(await message(unknown)).toContain("'noSuchOrchestrator' doesn't exist");
    const activity = await post(`${webhooks}orchestrators/hello`, '1');
    expect(activity.status).toBe(400);
    const badJson = await post(`${webhooks}orchestrators/helloCities`, '{"open": ');
    expect(badJson.status).toBe(400);
    expect(await message(badJson)).toContain('Invalid JSON');
    const huge = await post(`${webhooks}orchestrators/helloCities`, JSON.stringify('x'.repeat(5000)));
    expect(huge.status).toBe(413);
    expect(await message(huge)).toMatch(/limit is 4096 bytes/);
    expect(t.durable.listInstances()).toHaveLength(before);
  });

  it.each([
    ['a slash (encoded)', 'a%2Fb'],
    ['a hash', 'a%23b'],
    ['a question mark', 'a%3Fb'],
    ['a control character', 'a%01b'],
    ['more than 100 characters', 'x'.repeat(101)],
  ])('rejects an instance id with %s', async (_label, encoded) => {
    const response = await post(`${webhooks}orchestrators/helloCities/${encoded}`, '');
    expect(response.status).toBe(400);
    expect(await message(response)).toContain('Invalid instance ID');
  });

  it('rejects broken percent-encoding in the path', async () => {
    expect((await post(`${webhooks}orchestrators/helloCities/a%E0%A4%A`, '')).status).toBe(400);
  });

  it('accepts spaces, unicode and symbols in instance ids', async () => {
    const id = 'Req 42 — ü+%&=:@!';
    const started = await post(`${webhooks}orchestrators/helloCities/${encodeURIComponent(id)}`, '');
    expect(started.status).toBe(202);
    const location = new URL(started.headers.get('location')!);
    expect(decodeURIComponent(location.pathname.split('/').at(-1)!)).toBe(id);
    expect((await t.waitFor(id, 'Completed')).instanceId).toBe(id);
    expect((await fetch(location)).status).toBe(200);
  });
});

describe('raise event', () => {
  it('answers 404 for an unknown instance and 410 for a finished one', async () => {
    expect((await t.raise('nobody-here', 'Go', 1)).status).toBe(404);
    const id = await t.start('helloCities');
    await t.waitFor(id, 'Completed');
    expect((await t.raise(id, 'Go', 1)).status).toBe(410);
  });

  it('requires application/json, valid JSON and a bounded payload, and keeps the instance intact', async () => {
    const id = await t.start('waiter', undefined, 'picky');
    const path = `${webhooks}instances/${id}/raiseEvent/Go`;
    expect((await post(path, '"x"', 'text/plain')).status).toBe(400);
    expect(await message(await post(path, '{not json'))).toContain('Invalid JSON');
    expect((await post(path, JSON.stringify('y'.repeat(5000)))).status).toBe(413);
    expect((await t.status(id)).runtimeStatus).toBe('Running');
    expect((await post(path, '"finally"')).status).toBe(202);
    expect((await t.waitFor(id, 'Completed')).output).toBe('finally');
  });

  it('delivers an event without a payload as undefined', async () => {
    const id = await t.start('waiter');
    expect((await post(`${webhooks}instances/${id}/raiseEvent/Go`)).status).toBe(202);
    expect((await t.waitFor(id, 'Completed')).output).toBeNull();
  });
});

describe('status and queries', () => {
  it('answers 404 for an unknown instance and 400 for a bad query parameter', async () => {
    expect((await t.fetch(`${webhooks}instances/unknown-instance`)).status).toBe(404);
    const id = await t.start('helloCities', { region: 'eu' });
    expect((await t.fetch(`${webhooks}instances/${id}?showHistory=maybe`)).status).toBe(400);
  });

  it('answers 202 while running and 200 when done, with input, history and timestamps on request', async () => {
    const id = await t.start('waiter', { secret: 1 });
    const running = await t.fetch(`${webhooks}instances/${id}`);
    expect(running.status).toBe(202);
    expect(running.headers.get('location')).toContain(`/instances/${id}?`);
    await t.raise(id, 'Go', 'v');
    await t.waitFor(id, 'Completed');
    const noInput = await t.status(id, '?showInput=false');
    expect(noInput.input).toBeNull();
    expect(noInput.historyEvents).toBeUndefined();
    expect(noInput.createdTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const full = await t.status(id, '?showHistory=true&showHistoryOutput=true');
    expect(full.input).toEqual({ secret: 1 });
    expect(full.historyEvents?.map((event) => event.EventType)).toEqual([
      'ExecutionStarted',
      'EventRaised',
      'TaskCompleted',
      'ExecutionCompleted',
    ]);
    expect(full.historyEvents?.[2]).toMatchObject({ FunctionName: 'echo', Result: 'v' });
  });

  it('filters by status and creation time and pages with a continuation token', async () => {
    const from = new Date(t.clock.now()).toISOString();
    await t.clock.advance(60_000);
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await t.start('waiter', undefined, `page-${i}`));
    const seen: string[] = [];
    let token: string | null = null;
    let pages = 0;
    do {
      const response: Response = await t.fetch(
        `${webhooks}instances/?runtimeStatus=Running,Pending&createdTimeFrom=${from}&top=2&instanceIdPrefix=page-`,
        token ? { headers: { 'x-ms-continuation-token': token } } : {},
      );
      expect(response.status).toBe(200);
      seen.push(...((await response.json()) as InstanceStatusBody[]).map((entry) => entry.instanceId));
      token = response.headers.get('x-ms-continuation-token');
      pages++;
    } while (token !== null);
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual(ids);
    const future = new Date(t.clock.now() + 3600_000).toISOString();
    const none = await t.fetch(`${webhooks}instances/?createdTimeFrom=${future}`);
    expect(await none.json()).toEqual([]);
    expect((await t.fetch(`${webhooks}instances/?runtimeStatus=Sleeping`)).status).toBe(400);
    expect((await t.fetch(`${webhooks}instances/?createdTimeFrom=yesterday`)).status).toBe(400);
    for (const id of ids) await t.raise(id, 'Go', 0);
  });
});

describe('terminate, suspend, resume, purge', () => {
  it('terminates a running instance once and answers 410 afterwards', async () => {
    const id = await t.start('waiter');
    expect((await post(`${webhooks}instances/${id}/terminate?reason=no%20longer%20needed`)).status).toBe(202);
    const terminated = await t.waitFor(id, 'Terminated');
    expect(terminated.output).toBe('no longer needed');
    expect((await post(`${webhooks}instances/${id}/terminate?reason=again`)).status).toBe(410);
    expect((await post(`${webhooks}instances/nobody/terminate`)).status).toBe(404);
  });

  it('suspends an instance, holds its events, and resumes it', async () => {
    const id = await t.start('waiter');
    await t.waitFor(id, 'Running');
    expect((await post(`${webhooks}instances/${id}/suspend?reason=hold`)).status).toBe(202);
    await t.waitFor(id, 'Suspended');
    expect((await t.raise(id, 'Go', 'held')).status).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await t.status(id)).runtimeStatus).toBe('Suspended');
    expect((await post(`${webhooks}instances/${id}/resume?reason=go`)).status).toBe(202);
    expect((await t.waitFor(id, 'Completed')).output).toBe('held');
    expect((await post(`${webhooks}instances/${id}/suspend`)).status).toBe(410);
  });

  it('purges a finished instance, refuses a running one, and purges by filter', async () => {
    const running = await t.start('waiter', undefined, 'purge-running');
    expect((await t.fetch(`${webhooks}instances/${running}`, { method: 'DELETE' })).status).toBe(409);
    const done = await t.start('helloCities', undefined, 'purge-done');
    await t.waitFor(done, 'Completed');
    const purged = await t.fetch(`${webhooks}instances/${done}`, { method: 'DELETE' });
    expect(await purged.json()).toEqual({ instancesDeleted: 1 });
    expect((await t.fetch(`${webhooks}instances/${done}`, { method: 'DELETE' })).status).toBe(404);
    await t.raise(running, 'Go', 1);
    await t.waitFor(running, 'Completed');
    const byFilter = await t.fetch(`${webhooks}instances/?runtimeStatus=Completed,Failed,Terminated`, {
      method: 'DELETE',
    });
    expect(byFilter.status).toBe(200);
    expect(((await byFilter.json()) as { instancesDeleted: number }).instancesDeleted).toBeGreaterThan(0);
    expect(t.durable.listInstances().filter((entry) => entry.runtimeStatus === 'Completed')).toEqual([]);
    expect(
      (await t.fetch(`${webhooks}instances/?runtimeStatus=Completed`, { method: 'DELETE' })).status,
    ).toBe(404);
  });

  it('restarts an instance with its input, under a new id or the same one once it has finished', async () => {
    const id = await t.start('fanOutFanIn', 3, 'restart-me');
    await t.waitFor(id, 'Completed');
    const fresh = await post(`${webhooks}instances/${id}/restart`);
    expect(fresh.status).toBe(202);
    const freshId = ((await fresh.json()) as { id: string }).id;
    expect(freshId).not.toBe(id);
    expect((await t.waitFor(freshId, 'Completed')).output).toBe(12);
    expect((await post(`${webhooks}instances/${id}/restart?restartWithNewInstanceId=false`)).status).toBe(
      202,
    );
    expect((await t.waitFor(id, 'Completed')).output).toBe(12);
    expect((await post(`${webhooks}instances/unknown/restart`)).status).toBe(404);
  });

  it('refuses a cross-site browser request and a non-loopback Host, and leaves the instance alone', async () => {
    const id = await t.start('waiter');
    await t.waitFor(id, 'Running');
    const terminate = `${webhooks}instances/${id}/terminate?reason=csrf`;
    // A form on another site posts without a preflight; only the Origin header tells it apart.
    const crossSite = await rawRequest(t.host.url, terminate, {
      method: 'POST',
      headers: { origin: 'https://evil.example', 'content-type': 'text/plain' },
    });
    expect(crossSite.status).toBe(403);
    expect(crossSite.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(crossSite.text)).toMatchObject({ detail: expect.stringContaining('evil.example') });
    // DNS rebinding: a page on a name that resolves to 127.0.0.1 sends its own name as the Host.
    const { port } = new URL(t.host.url);
    const rebound = await rawRequest(t.host.url, terminate, {
      method: 'POST',
      headers: { host: `rebound.example:${port}` },
    });
    expect(rebound.status).toBe(403);
    expect((await t.status(id)).runtimeStatus).toBe('Running');
    // The host's own origin, as a page it serves would send it, passes.
    const sameOrigin = await rawRequest(t.host.url, terminate, {
      method: 'POST',
      headers: { origin: t.host.url },
    });
    expect(sameOrigin.status).toBe(202);
    expect((await t.waitFor(id, 'Terminated')).output).toBe('csrf');
  });

  it('answers 501 for entities and rewind, 404 for unknown paths', async () => {
    expect((await t.fetch(`${webhooks}entities/counter/k`)).status).toBe(501);
    expect((await post(`${webhooks}instances/x/rewind`)).status).toBe(501);
    expect((await t.fetch(`${webhooks}nothing/here`)).status).toBe(404);
  });
});
