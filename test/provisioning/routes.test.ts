/**
 * The vending and admin routes refuse what they must: every bad token, malformed ids, queries and bodies,
 * oversized and non-JSON bodies, another user's request (404), a non-admin on admin routes (403), and
 * replays; the admin listing filters by status and DAU and pages; a close-out is recorded once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPersona } from '../../infra/local/personas';
import { subjectFor } from '../../infra/local/standins/dev-issuer';
import { badTokens } from '../support/bad-tokens';
import {
  dauOf,
  grantOf,
  requestWhen,
  startProvisioningSystem,
  submitRequest,
  type ProvisioningSystem,
  type SubmittedRequest,
} from './support';

let system: ProvisioningSystem;
let vended: SubmittedRequest;
let other: SubmittedRequest;
const mayaId = subjectFor(findPersona('us-requester').email);

beforeAll(async () => {
  system = await startProvisioningSystem({ persistIssuerKey: true });
  vended = await submitRequest(system, {
    rows: ['PanALL'],
    answers: { destination: { kind: 'new', projectName: 'Routes project', folderName: 'data' } },
  });
  await requestWhen(system, vended.id, (body) => dauOf(body, 'PanALL').status === 'active');
  // A request waiting for its agreement: nothing vended.
  other = await submitRequest(system, { rows: ['SJLIFE'] });
});

afterAll(async () => {
  await system?.close();
});

const routes = (id: string): [string, string, unknown][] => [
  ['GET', `/api/requests/${id}/files`, undefined],
  ['POST', `/api/requests/${id}/closeout`, { attestation: true }],
  ['POST', `/api/requests/${id}/extension`, {}],
  ['GET', '/api/admin/requests', undefined],
  ['POST', `/api/admin/requests/${id}/revoke`, { reason: 'x' }],
  ['POST', `/api/admin/requests/${id}/extension/decision`, { decision: 'approved' }],
];

describe('authentication and authorization', () => {
  it('refuses a missing or bad token on every route with 401 problem+json', async () => {
    const tokens = await badTokens(system.environment.issuer, system.signingKey!, 'maya.chen@example.edu');
    for (const [method, path, body] of routes(vended.id)) {
      for (const [name, token] of [['missing', undefined] as const, ...Object.entries(tokens)]) {
        const reply = await system.call(method, path, { ...(token === undefined ? {} : { token }), body });
        expect({ route: `${method} ${path}`, name, status: reply.status }).toEqual({
          route: `${method} ${path}`,
          name,
          status: 401,
        });
        expect(reply.headers.get('content-type')).toBe('application/problem+json');
      }
    }
  });

  it("answers 404 for another user's request, and 403 to a non-admin on admin routes", async () => {
    for (const [method, path, body] of routes(vended.id).slice(0, 3)) {
      expect((await system.call(method, path, { as: 'non-us-requester', body })).status).toBe(404);
    }
    for (const [method, path, body] of routes(vended.id).slice(3)) {
      const reply = await system.call(method, path, { as: 'us-requester', body });
      expect(reply.status).toBe(403);
      expect(reply.body.type).toContain('forbidden');
    }
    // An admin reads the files but may not close out or extend in the requester's name.
    expect(
      (
        await system.call('POST', `/api/requests/${vended.id}/closeout`, {
          as: 'admin',
          body: { attestation: true },
        })
      ).status,
    ).toBe(403);
  });
});

describe('malformed input', () => {
  it('refuses bad ids, queries and bodies with 400 naming the field', async () => {
    const cases: [string, string, unknown, string][] = [
      ['GET', '/api/requests/not-a-uuid/files', undefined, 'id'],
      ['GET', `/api/requests/${vended.id}/files?links=maybe`, undefined, 'links'],
      ['GET', `/api/requests/${vended.id}/files?pageSize=0`, undefined, 'pageSize'],
      ['GET', `/api/requests/${vended.id}/files?surprise=1`, undefined, 'surprise'],
      ['POST', `/api/requests/${vended.id}/closeout`, { attestation: false }, 'attestation'],
      ['POST', `/api/requests/${vended.id}/closeout`, { attestation: true, extra: 1 }, 'extra'],
      ['POST', `/api/requests/${vended.id}/extension`, { reason: '' }, 'reason'],
      ['GET', '/api/admin/requests?status=nonsense', undefined, 'status'],
      ['GET', '/api/admin/requests?dau=NOPE', undefined, 'dau'],
      ['GET', '/api/admin/requests?pageSize=1000', undefined, 'pageSize'],
      ['POST', `/api/admin/requests/${vended.id}/revoke`, {}, 'reason'],
      ['POST', `/api/admin/requests/${vended.id}/revoke`, { reason: '   ' }, 'reason'],
      ['POST', `/api/admin/requests/${vended.id}/extension/decision`, { decision: 'maybe' }, 'decision'],
    ];
    for (const [method, path, body, field] of cases) {
      const as = path.includes('/admin/') ? 'admin' : 'us-requester';
      const reply = await system.call(method, path, { as, body });
      expect({ path, body, status: reply.status }).toEqual({ path, body, status: 400 });
      expect(JSON.stringify(reply.body.errors)).toContain(field);
    }
  });

  it('refuses non-JSON, mistyped and oversized bodies', async () => {
    const path = `/api/admin/requests/${vended.id}/revoke`;
    expect((await system.call('POST', path, { as: 'admin', rawBody: '{"reason":' })).status).toBe(400);
    const typed = await system.call('POST', path, {
      as: 'admin',
      rawBody: 'reason=x',
      headers: { 'content-type': 'text/plain' },
    });
    expect(typed.status).toBe(415);
    const huge = await system.call('POST', path, {
      as: 'admin',
      body: { reason: 'x'.repeat(20_000) },
    });
    expect(huge.status).toBe(413);
    const unknown = await system.call('POST', `/api/admin/requests/${crypto.randomUUID()}/revoke`, {
      as: 'admin',
      body: { reason: 'x' },
    });
    expect(unknown.status).toBe(404);
  });
});

describe('what the routes do', () => {
  it('lists every submitted request to admins, filtered by status and DAU, page by page', async () => {
    const active = await system.call('GET', '/api/admin/requests?status=active&dau=PanALL', { as: 'admin' });
    expect(active.status).toBe(200);
    expect(active.body.items.map((item: { id: string }) => item.id)).toEqual([vended.id]);
    expect(active.body.items[0].owner.subjectId).toBe(mayaId);
    const sjlife = await system.call('GET', '/api/admin/requests?dau=SJLIFE', { as: 'admin' });
    expect(sjlife.body.items.map((item: { id: string }) => item.id)).toEqual([other.id]);
    const first = await system.call('GET', '/api/admin/requests?pageSize=1', { as: 'admin' });
    expect(first.body.items).toHaveLength(1);
    expect(first.body.continuation).toEqual(expect.any(String));
    const second = await system.call(
      'GET',
      `/api/admin/requests?pageSize=1&continuation=${encodeURIComponent(first.body.continuation)}`,
      { as: 'admin' },
    );
    expect(second.status).toBe(200);
    expect(second.body.items).toHaveLength(1);
    expect(second.body.items[0].id).not.toBe(first.body.items[0].id);
    const tampered = await system.call('GET', '/api/admin/requests?continuation=garbage', { as: 'admin' });
    expect(tampered.status).toBe(400);
  });

  it('records a close-out once, and refuses one where nothing was vended', async () => {
    const done = await system.call('POST', `/api/requests/${vended.id}/closeout`, {
      as: 'us-requester',
      body: { attestation: true },
    });
    expect(done.status).toBe(200);
    const again = await system.call('POST', `/api/requests/${vended.id}/closeout`, {
      as: 'us-requester',
      body: { attestation: true, statement: 'Destroyed twice.' },
    });
    expect(again.body).toEqual(done.body);
    expect((await grantOf(system, vended.id, 'PanALL', mayaId))?.closeout).toMatchObject({
      statement: 'All downloaded copies have been destroyed.',
    });
    const nothing = await system.call('POST', `/api/requests/${other.id}/closeout`, {
      as: 'us-requester',
      body: { attestation: true },
    });
    expect(nothing.status).toBe(409);
  });

  it('refuses an extension or a revocation without live access, and links where nothing was vended', async () => {
    const extension = await system.call('POST', `/api/requests/${other.id}/extension`, {
      as: 'us-requester',
      body: {},
    });
    expect(extension.status).toBe(409);
    const revoke = await system.call('POST', `/api/admin/requests/${other.id}/revoke`, {
      as: 'admin',
      body: { reason: 'nothing to revoke' },
    });
    expect(revoke.status).toBe(409);
    const links = await system.call('GET', `/api/requests/${other.id}/files?links=true`, {
      as: 'us-requester',
    });
    expect(links.status).toBe(403);
    const listed = await system.call('GET', `/api/requests/${other.id}/files`, { as: 'us-requester' });
    expect(listed.body.files).toEqual([]);
  });
});
