/**
 * The built function app (dist/index.js, as `npm test` builds it) on the local Functions host, with tokens from
 * the development issuer (and the Cosmos DB stand-in, where profiles live): the same path a client takes
 * against `npm start`.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHost, type RunningHost } from '../../infra/local/host';
import { readAppFiles } from '../../infra/local/host/app-config';
import { startDevIssuer, subjectFor, type DevIssuer } from '../../infra/local/standins/dev-issuer';
import { freeStandInPorts, startStandIns, type StandIns } from '../../infra/local/standins';
import { parseSettings } from '../../shared/config/settings';
import { createCosmosClient } from '../../shared/platform/cosmos';

let issuer: DevIssuer;
let standIns: StandIns;
let host: RunningHost;
const logs: string[] = [];

beforeAll(async () => {
  issuer = await startDevIssuer({ port: 0 });
  standIns = await startStandIns({ ports: freeStandInPorts });
  const appDir = path.resolve(__dirname, '..', '..');
  await createAppDatabase({ ...readAppFiles(appDir).settings.Values, ...standIns.env, ...issuer.env });
  host = await startHost({
    appDir,
    port: 0,
    env: { ...standIns.env, ...issuer.env },
    log: (line) => logs.push(line),
  });
});

afterAll(async () => {
  await host?.close();
  await issuer?.close();
  await standIns?.close();
});

describe('GET /api/me on the local host', () => {
  it('answers the caller for a dev issuer token', async () => {
    const token = await issuer.mintToken({ email: 'alice@example.org', roles: ['admin'] });
    const response = await fetch(`${host.url}/api/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-correlation-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(await response.json()).toEqual({
      subjectId: subjectFor('alice@example.org'),
      email: 'alice@example.org',
      roles: ['requester', 'admin'],
      profile: null,
    });
  });

  it('answers 401 problem+json with a Bearer challenge without a token', async () => {
    const response = await fetch(`${host.url}/api/me`);
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    const body = (await response.json()) as { correlationId: string; type: string };
    expect(body.type).toBe('https://datarequests.dev/problems/unauthorized');
    expect(body.correlationId).toBe(response.headers.get('x-correlation-id'));
  });

  it('answers 401 for a token signed by another issuer key', async () => {
    const stranger = await startDevIssuer({ port: 0 });
    const token = await stranger.mintToken({ email: 'mallory@example.org', roles: ['admin'] });
    await stranger.close();
    const response = await fetch(`${host.url}/api/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(401);
    expect(logs.join('\n')).not.toContain(token);
  });
});

/** What the infrastructure provisions before the app starts: its database (profiles live in it). */
async function createAppDatabase(env: NodeJS.ProcessEnv): Promise<void> {
  const settings = parseSettings(env);
  const client = createCosmosClient(settings);
  await client.databases.createIfNotExists({ id: settings.CosmosDb__databaseName });
  client.dispose();
}
