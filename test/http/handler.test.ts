/**
 * The handler wrapper with real HttpRequest / InvocationContext objects: what a client sees for good input,
 * each kind of bad input, use-case failures and crashes.
 */
import { HttpRequest, HttpResponse, InvocationContext, type HttpResponseInit } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AppError, notFound, problemKind } from '../../shared/http/errors';
import {
  httpHandler,
  queryList,
  wrapperProblemStatuses,
  type HttpHandlerDependencies,
} from '../../shared/http/handler';
import { JoseTokenVerifier, remoteKeySet } from '../../shared/identity/jose-token-verifier';
import { requireOwner } from '../../shared/identity/principal';
import { devScope, startDevIssuer, type DevIssuer } from '../../infra/local/standins/dev-issuer';

const tabs = ['diagnosis', 'publication', 'study', 'sample'] as const;
const fileTypes = ['BAM', 'gVCF', 'CNV'] as const;

const search = httpHandler(
  {
    auth: 'optional',
    query: z.strictObject({
      tab: z.enum(tabs),
      fileType: queryList(z.enum(fileTypes), { max: 3 }),
      pageSize: z.coerce.number().int().min(1).max(100).default(25),
    }),
  },
  async ({ query }, principal) => ({
    headers: { etag: '"v1"' },
    jsonBody: { query, caller: principal?.email ?? null },
  }),
);

const createDraft = httpHandler(
  {
    auth: 'optional',
    params: z.object({ projectId: z.uuid() }),
    body: z.object({
      name: z.string().min(1).max(100),
      daus: z.array(z.enum(['pediatric', 'clinical'])).min(1),
    }),
    maxBodyBytes: 1024,
  },
  async ({ params, body }) => ({ status: 201, jsonBody: { projectId: params.projectId, ...body } }),
);

const forProfitRefused = problemKind('for-profit-refused', 403, 'Controlled data is not available');
const failing = httpHandler(
  { auth: 'optional', query: z.object({ kind: z.string() }) },
  async ({ query }) => {
    if (query.kind === 'not-found') throw notFound('No such request.');
    if (query.kind === 'domain')
      throw new AppError(forProfitRefused, 'For-profit organisations cannot receive it.');
    throw new Error('connect ECONNREFUSED AccountEndpoint=https://x;AccountKey=c2VjcmV0LWtleQ==;');
  },
);

let issuer: DevIssuer;
let dependencies: HttpHandlerDependencies;
let adminOnly: ReturnType<typeof makeAdminOnly>;
let ownRequest: ReturnType<typeof makeOwnRequest>;

function makeAdminOnly(deps: HttpHandlerDependencies) {
  return httpHandler(
    { auth: { role: 'admin' } },
    async (_input, principal) => ({ jsonBody: principal }),
    deps,
  );
}

function makeOwnRequest(deps: HttpHandlerDependencies) {
  return httpHandler(
    { auth: 'required', params: z.object({ owner: z.string() }) },
    async ({ params }, principal) => {
      requireOwner(principal, params.owner, 'request');
      return { jsonBody: { ok: true } };
    },
    deps,
  );
}

beforeAll(async () => {
  issuer = await startDevIssuer({ port: 0 });
  const verifier = new JoseTokenVerifier({
    issuer: issuer.issuer,
    audience: issuer.audience,
    keys: remoteKeySet(issuer.jwksUri),
    requiredScope: devScope,
    adminRole: 'admin',
  });
  dependencies = { verifier: () => verifier };
  adminOnly = makeAdminOnly(dependencies);
  ownRequest = makeOwnRequest(dependencies);
});

afterAll(async () => {
  await issuer.close();
});

interface Call {
  readonly url: string;
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly params?: Record<string, string>;
}

interface Answer {
  readonly response: HttpResponse;
  readonly logs: string[];
}

async function invoke(
  handler: (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>,
  call: Call,
): Promise<Answer> {
  const logs: string[] = [];
  const request = new HttpRequest({
    method: call.method ?? 'GET',
    url: `http://localhost:7071${call.url}`,
    headers: call.headers ?? {},
    params: call.params ?? {},
    ...(call.body === undefined ? {} : { body: { string: call.body } }),
  });
  const context = new InvocationContext({
    invocationId: 'inv-42',
    functionName: 'test',
    logHandler: (level, ...args) => logs.push(`${level} ${args.map(String).join(' ')}`),
  });
  return { response: new HttpResponse(await handler(request, context)), logs };
}

async function problemOf(
  response: HttpResponse,
  status: number,
  code: string,
): Promise<Record<string, unknown>> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  expect(response.headers.get('x-correlation-id')).toBe('inv-42');
  const body = (await response.json()) as Record<string, unknown>;
  expect(body).toMatchObject({
    type: `https://datarequests.dev/problems/${code}`,
    status,
    correlationId: 'inv-42',
  });
  expect(typeof body.title).toBe('string');
  expect(typeof body.detail).toBe('string');
  return body;
}

const json = { 'content-type': 'application/json' };
const projectId = '7f3c1f9e-2a4b-4c1d-9e8f-0a1b2c3d4e5f';

describe('valid input', () => {
  it('parses the query, keeps the handler headers and adds the correlation id', async () => {
    const { response } = await invoke(search, {
      url: '/api/catalog?tab=study&fileType=BAM,CNV&fileType=gVCF',
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('etag')).toBe('"v1"');
    expect(response.headers.get('x-correlation-id')).toBe('inv-42');
    expect(await response.json()).toEqual({
      query: { tab: 'study', fileType: ['BAM', 'CNV', 'gVCF'], pageSize: 25 },
      caller: null,
    });
  });

  it('parses path parameters and a JSON body', async () => {
    const { response } = await invoke(createDraft, {
      url: `/api/projects/${projectId}/drafts`,
      method: 'POST',
      params: { projectId },
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ name: 'Relapse study', daus: ['pediatric'] }),
    });
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ projectId, name: 'Relapse study', daus: ['pediatric'] });
  });
});

describe('bad input', () => {
  it('names an unknown enum value and lists the allowed values', async () => {
    const { response } = await invoke(search, { url: '/api/catalog?tab=files' });
    const body = await problemOf(response, 400, 'validation');
    expect(body.errors).toEqual([
      { in: 'query', name: 'tab', message: `must be one of: ${tabs.join(', ')}`, allowed: [...tabs] },
    ]);
    expect(body.detail).toContain("query parameter 'tab'");
  });

  it('names a bad list item by its parameter', async () => {
    const { response } = await invoke(search, { url: '/api/catalog?tab=study&fileType=BAM,FASTQ' });
    const body = await problemOf(response, 400, 'validation');
    expect(body.errors).toEqual([
      {
        in: 'query',
        name: 'fileType',
        message: `must be one of: ${fileTypes.join(', ')}`,
        allowed: [...fileTypes],
      },
    ]);
  });

  it('reports a missing required parameter, an out-of-range one and an unknown one together', async () => {
    const { response } = await invoke(search, { url: '/api/catalog?pageSize=1000&colour=red' });
    const body = await problemOf(response, 400, 'validation');
    expect(body.errors).toEqual(
      expect.arrayContaining([
        {
          in: 'query',
          name: 'tab',
          message: `is required; it must be one of: ${tabs.join(', ')}`,
          allowed: [...tabs],
        },
        expect.objectContaining({ in: 'query', name: 'pageSize' }),
        { in: 'query', name: 'colour', message: 'is not allowed' },
      ]),
    );
  });

  it('reports bad path parameters and body fields with their paths', async () => {
    const { response } = await invoke(createDraft, {
      url: '/api/projects/42/drafts',
      method: 'POST',
      params: { projectId: '42' },
      headers: json,
      body: JSON.stringify({ name: '', daus: ['pediatric', 'adult'] }),
    });
    const body = await problemOf(response, 400, 'validation');
    expect(body.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ in: 'params', name: 'projectId' }),
        expect.objectContaining({ in: 'body', name: 'name' }),
        {
          in: 'body',
          name: 'daus.1',
          message: 'must be one of: pediatric, clinical',
          allowed: ['pediatric', 'clinical'],
        },
      ]),
    );
  });

  it('refuses malformed JSON with 400 invalid-json', async () => {
    const { response } = await invoke(createDraft, {
      url: '/api/projects/x/drafts',
      method: 'POST',
      params: { projectId },
      headers: json,
      body: '{"name": "a", ',
    });
    await problemOf(response, 400, 'invalid-json');
  });

  it('refuses an empty body as invalid JSON', async () => {
    const { response } = await invoke(createDraft, {
      url: '/api/projects/x/drafts',
      method: 'POST',
      params: { projectId },
      headers: json,
    });
    await problemOf(response, 400, 'invalid-json');
  });

  it.each<Record<string, string>>([
    {},
    { 'content-type': 'text/plain' },
    { 'content-type': 'application/json; charset=latin1' },
  ])('refuses the content type %j with 415', async (headers) => {
    const { response } = await invoke(createDraft, {
      url: '/api/projects/x/drafts',
      method: 'POST',
      params: { projectId },
      headers,
      body: JSON.stringify({ name: 'a', daus: ['pediatric'] }),
    });
    await problemOf(response, 415, 'unsupported-media-type');
  });

  it('refuses an oversized body with 413, declared or not', async () => {
    const body = JSON.stringify({ name: 'a'.repeat(2000), daus: ['pediatric'] });
    for (const headers of [{ ...json, 'content-length': String(body.length) }, json]) {
      const { response } = await invoke(createDraft, {
        url: '/api/projects/x/drafts',
        method: 'POST',
        params: { projectId },
        headers,
        body,
      });
      const problem = await problemOf(response, 413, 'payload-too-large');
      expect(problem.detail).toContain('1024 bytes');
    }
  });
});

describe('failures', () => {
  it('maps an AppError to its status and stable type', async () => {
    const { response, logs } = await invoke(failing, { url: '/api/requests/1?kind=not-found' });
    const body = await problemOf(response, 404, 'not-found');
    expect(body).toMatchObject({ detail: 'No such request.', instance: '/api/requests/1' });
    expect(logs.filter((line) => line.startsWith('error'))).toEqual([]);
  });

  it('keeps a module-defined problem type', async () => {
    const { response } = await invoke(failing, { url: '/api/x?kind=domain' });
    await problemOf(response, 403, 'for-profit-refused');
  });

  it('answers an unexpected error with a bare 500 and logs it with the correlation id, secrets masked', async () => {
    const { response, logs } = await invoke(failing, { url: '/api/x?kind=crash' });
    const text = await response.clone().text();
    const body = await problemOf(response, 500, 'internal');
    expect(body.detail).toContain('inv-42');
    expect(text).not.toMatch(/ECONNREFUSED|AccountKey|at .*\.ts|stack/);
    const errors = logs.filter((line) => line.startsWith('error'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('[inv-42]');
    expect(errors[0]).toContain('ECONNREFUSED');
    expect(errors[0]).toContain('AccountKey=[redacted]');
    expect(errors[0]).not.toContain('c2VjcmV0LWtleQ');
  });
});

describe('auth', () => {
  it('answers 401 on a role-protected route without a token', async () => {
    const { response } = await invoke(adminOnly, { url: '/api/admin' });
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    await problemOf(response, 401, 'unauthorized');
  });

  it('answers 403 to a signed-in user without the role, 200 to an admin', async () => {
    const requester = await issuer.mintToken({ email: 'rita@example.org' });
    const denied = await invoke(adminOnly, {
      url: '/api/admin',
      headers: { authorization: `Bearer ${requester}` },
    });
    await problemOf(denied.response, 403, 'forbidden');

    const admin = await issuer.mintToken({ email: 'ada@example.org', roles: ['admin'] });
    const allowed = await invoke(adminOnly, {
      url: '/api/admin',
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(allowed.response.status).toBe(200);
    expect(await allowed.response.json()).toMatchObject({
      email: 'ada@example.org',
      roles: ['requester', 'admin'],
    });
  });

  it('authenticates before validating, so anonymous callers learn nothing about parameters', async () => {
    const { response } = await invoke(ownRequest, { url: '/api/requests/x' });
    await problemOf(response, 401, 'unauthorized');
  });

  it("answers 404 for someone else's resource", async () => {
    const token = await issuer.mintToken({ email: 'rita@example.org' });
    const { response } = await invoke(ownRequest, {
      url: '/api/requests/x',
      params: { owner: 'someone-else' },
      headers: { authorization: `Bearer ${token}` },
    });
    await problemOf(response, 404, 'not-found');
  });

  it('refuses an invalid token even where signing in is optional', async () => {
    const anyone = httpHandler({ auth: 'optional' }, async () => ({ status: 204 }), dependencies);
    const { response, logs } = await invoke(anyone, {
      url: '/api/catalog?tab=study',
      headers: { authorization: 'Bearer abc.def.ghi' },
    });
    const body = await problemOf(response, 401, 'invalid-token');
    expect(body.detail).toBe('The access token is malformed.');
    // The precise reason goes to the log only, never the token itself.
    expect(logs).toEqual([expect.stringMatching(/^warning \[inv-42\] invalid-token: ERR_JWS_INVALID: /)]);
    expect(logs.join('\n')).not.toContain('abc.def.ghi');
  });
});

describe('spec for the OpenAPI document', () => {
  it('exposes the schemas and the statuses the wrapper can answer', () => {
    expect(createDraft.spec.maxBodyBytes).toBe(1024);
    expect(wrapperProblemStatuses(createDraft.spec)).toEqual([400, 401, 403, 413, 415, 500, 503]);
    expect(wrapperProblemStatuses(adminOnly.spec)).toEqual([401, 403, 500, 503]);
    expect(z.toJSONSchema(search.spec.query, { io: 'input' })).toMatchObject({
      properties: { tab: { enum: [...tabs] } },
      required: ['tab'],
    });
  });
});
