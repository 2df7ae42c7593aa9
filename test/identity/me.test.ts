/**
 * GET /api/me through the real handler, the real settings and the real verifier, against the dev issuer (and
 * the Cosmos DB stand-in, where profiles live): the path every authenticated endpoint takes.
 */
import { HttpRequest, HttpResponse, InvocationContext } from '@azure/functions';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { me } from '../../functions/me';
import { startDevIssuer, subjectFor, type DevIssuer } from '../../infra/local/standins/dev-issuer';
import { freeStandInPorts, startStandIns, type StandIns } from '../../infra/local/standins';
import { parseSettings } from '../../shared/config/settings';
import { createCosmosClient } from '../../shared/platform/cosmos';

let issuer: DevIssuer;
let standIns: StandIns;

beforeAll(async () => {
  issuer = await startDevIssuer({ port: 0 });
  const example = JSON.parse(
    readFileSync(path.join(__dirname, '../../local.settings.example.json'), 'utf8'),
  ) as {
    Values: Record<string, string>;
  };
  standIns = await startStandIns({ ports: freeStandInPorts });
  Object.assign(process.env, example.Values, standIns.env, issuer.env);
  await createAppDatabase(process.env);
});

afterAll(async () => {
  await issuer?.close();
  await standIns?.close();
});

async function callMe(headers: Record<string, string> = {}): Promise<HttpResponse> {
  const request = new HttpRequest({ method: 'GET', url: 'http://localhost:7071/api/me', headers });
  const context = new InvocationContext({ invocationId: 'inv-me-1', functionName: 'me' });
  return new HttpResponse(await me(request, context));
}

async function expectProblem(response: HttpResponse, status: number, code: string): Promise<void> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  expect(response.headers.get('x-correlation-id')).toBe('inv-me-1');
  expect(await response.json()).toMatchObject({
    type: `https://datarequests.dev/problems/${code}`,
    status,
    instance: '/api/me',
    correlationId: 'inv-me-1',
  });
}

describe('GET /api/me', () => {
  it('answers 200 with the caller for a valid token', async () => {
    const token = await issuer.mintToken({ email: 'alice@example.org', name: 'Alice', roles: ['admin'] });
    const response = await callMe({ authorization: `Bearer ${token}` });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-correlation-id')).toBe('inv-me-1');
    expect(await response.json()).toEqual({
      subjectId: subjectFor('alice@example.org'),
      email: 'alice@example.org',
      name: 'Alice',
      roles: ['requester', 'admin'],
      profile: null,
    });
  });

  it('answers 401 with a Bearer challenge when no token is sent', async () => {
    const response = await callMe();
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    await expectProblem(response, 401, 'unauthorized');
  });

  it('answers 401 invalid_token for an expired token, saying only that it expired', async () => {
    const token = await issuer.mintToken({
      email: 'alice@example.org',
      expiresIn: 60,
      issuedAt: new Date(Date.now() - 3600_000),
    });
    const response = await callMe({ authorization: `Bearer ${token}` });
    expect(response.headers.get('www-authenticate')).toBe(
      'Bearer error="invalid_token", error_description="The access token expired"',
    );
    await expectProblem(response, 401, 'invalid-token');
  });

  it('answers 401 for a malformed Authorization header', async () => {
    const response = await callMe({ authorization: 'Bearer not a token' });
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
    await expectProblem(response, 401, 'invalid-token');
  });

  it('answers 403 insufficient_scope for a valid token that is not a user token for this API', async () => {
    const token = await issuer.mintToken({ email: 'daemon@example.org', scopes: ['other.scope'] });
    const response = await callMe({ authorization: `Bearer ${token}` });
    expect(response.headers.get('www-authenticate')).toBe(
      'Bearer error="insufficient_scope", scope="access_as_user"',
    );
    await expectProblem(response, 403, 'insufficient-scope');
  });
});

/** What the infrastructure provisions before the app starts: its database (profiles live in it). */
async function createAppDatabase(env: NodeJS.ProcessEnv): Promise<void> {
  const settings = parseSettings(env);
  const client = createCosmosClient(settings);
  await client.databases.createIfNotExists({ id: settings.CosmosDb__databaseName });
  client.dispose();
}
