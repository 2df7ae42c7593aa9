/**
 * Who may do what, through the local host: every cell of the role × endpoint matrix (anonymous, the owner,
 * another requester, a committee member of a DAU the request touches, one of another DAU, an admin; on a
 * draft and on a submitted request), and every bad token on every route of the requests and profile API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { badTokens } from '../support/bad-tokens';
import {
  awaitStatus,
  completeAnswers,
  startRequestsSystem,
  studySelection,
  type RequestsSystem,
} from './support';

let system: RequestsSystem;
/** Shared targets; cells that change their target get a fresh one. */
let draft: { id: string; etag: string };
let submitted: { id: string; etag: string };

beforeAll(async () => {
  system = await startRequestsSystem({ persistIssuerKey: true, catalogFiles: 800 });
  draft = await makeDraft();
  submitted = await makeSubmitted();
});

afterAll(async () => {
  await system?.close();
});

async function makeDraft(
  rows: readonly string[] = ['PCGP', 'PanALL'],
  answers: Record<string, unknown> = completeAnswers(),
): Promise<{ id: string; etag: string }> {
  const created = await system.call('POST', '/api/requests', {
    as: 'us-requester',
    body: studySelection(...rows),
  });
  const filled = await system.call('PATCH', `/api/requests/${created.body.id}`, {
    as: 'us-requester',
    body: { answers },
    headers: { 'if-match': created.etag! },
  });
  expect(filled.status).toBe(200);
  return { id: filled.body.id, etag: filled.etag! };
}

/** Submitted on the manual route with one controlled DAU: once it waits for the upload, nothing changes it. */
async function makeSubmitted(): Promise<{ id: string; etag: string }> {
  const made = await makeDraft(['PCGP'], { ...completeAnswers(), agreementRoute: 'manual' });
  const done = await system.call('POST', `/api/requests/${made.id}/submit`, {
    as: 'us-requester',
    headers: { 'if-match': made.etag },
  });
  expect(done.status).toBe(200);
  const waiting = await awaitStatus(system, made.id, { as: 'us-requester' }, 'awaiting_agreement_upload');
  return { id: made.id, etag: waiting.etag! };
}

const ROLES = [
  'anonymous',
  'owner',
  'other requester',
  'committee (touched DAU)',
  'committee (other DAU)',
  'admin',
] as const;
type Role = (typeof ROLES)[number];
const personaOf: Record<Exclude<Role, 'anonymous'>, string> = {
  owner: 'us-requester',
  'other requester': 'non-us-requester',
  'committee (touched DAU)': 'pcgp-committee-1',
  'committee (other DAU)': 'sgp-committee-1',
  admin: 'admin',
};

type Target = 'none' | 'draft' | 'submitted';
interface Endpoint {
  readonly name: string;
  readonly method: string;
  readonly path: (id: string) => string;
  readonly target: Target;
  /** The owner's call changes the target: it gets a fresh one. */
  readonly consumes?: boolean;
  readonly body?: unknown;
  readonly expected: readonly [number, number, number, number, number, number];
}

const patchBody = {
  answers: { contemplatedUse: 'Changed by someone: this text is long enough for the wizard.' },
};

// anonymous, owner, other requester, committee (touched), committee (other), admin
const ENDPOINTS: readonly Endpoint[] = [
  {
    name: 'GET /api/me',
    method: 'GET',
    path: () => '/api/me',
    target: 'none',
    expected: [401, 200, 200, 200, 200, 200],
  },
  {
    name: 'POST /api/requests',
    method: 'POST',
    path: () => '/api/requests',
    target: 'none',
    body: studySelection('PCGP'),
    expected: [401, 201, 201, 201, 201, 201],
  },
  {
    name: 'GET /api/requests',
    method: 'GET',
    path: () => '/api/requests',
    target: 'none',
    expected: [401, 200, 200, 200, 200, 200],
  },
  {
    name: 'GET draft',
    method: 'GET',
    path: (id) => `/api/requests/${id}`,
    target: 'draft',
    expected: [401, 200, 404, 404, 404, 200],
  },
  {
    name: 'GET submitted',
    method: 'GET',
    path: (id) => `/api/requests/${id}`,
    target: 'submitted',
    expected: [401, 200, 404, 200, 404, 200],
  },
  {
    name: 'PATCH draft',
    method: 'PATCH',
    path: (id) => `/api/requests/${id}`,
    target: 'draft',
    consumes: true,
    body: patchBody,
    expected: [401, 200, 404, 404, 404, 403],
  },
  {
    name: 'PATCH submitted',
    method: 'PATCH',
    path: (id) => `/api/requests/${id}`,
    target: 'submitted',
    body: patchBody,
    expected: [401, 409, 404, 403, 404, 403],
  },
  {
    name: 'DELETE draft',
    method: 'DELETE',
    path: (id) => `/api/requests/${id}`,
    target: 'draft',
    consumes: true,
    expected: [401, 204, 404, 404, 404, 403],
  },
  {
    name: 'DELETE submitted',
    method: 'DELETE',
    path: (id) => `/api/requests/${id}`,
    target: 'submitted',
    expected: [401, 409, 404, 403, 404, 403],
  },
  {
    name: 'copy draft',
    method: 'POST',
    path: (id) => `/api/requests/${id}/copy`,
    target: 'draft',
    expected: [401, 201, 404, 404, 404, 403],
  },
  {
    name: 'copy submitted',
    method: 'POST',
    path: (id) => `/api/requests/${id}/copy`,
    target: 'submitted',
    expected: [401, 201, 404, 403, 404, 403],
  },
  {
    name: 'submit draft',
    method: 'POST',
    path: (id) => `/api/requests/${id}/submit`,
    target: 'draft',
    consumes: true,
    expected: [401, 200, 404, 404, 404, 403],
  },
  {
    name: 'submit submitted',
    method: 'POST',
    path: (id) => `/api/requests/${id}/submit`,
    target: 'submitted',
    expected: [401, 200, 404, 403, 404, 403],
  },
  {
    name: 'events of draft',
    method: 'GET',
    path: (id) => `/api/requests/${id}/events`,
    target: 'draft',
    expected: [401, 200, 404, 404, 404, 200],
  },
  {
    name: 'events of submitted',
    method: 'GET',
    path: (id) => `/api/requests/${id}/events`,
    target: 'submitted',
    expected: [401, 200, 404, 200, 404, 200],
  },
];

const cells = ENDPOINTS.flatMap((endpoint) =>
  ROLES.map((role, index) => [endpoint.name, role, endpoint.expected[index]!, endpoint] as const),
);

describe('the role × endpoint matrix', () => {
  it.each(cells)('%s as %s answers %i', async (_name, role, expected, endpoint) => {
    let target =
      endpoint.target === 'draft' ? draft : endpoint.target === 'submitted' ? submitted : undefined;
    if (endpoint.consumes === true && role === 'owner') target = await makeDraft();
    const reply = await system.call(endpoint.method, endpoint.path(target?.id ?? ''), {
      ...(role === 'anonymous' ? {} : { as: personaOf[role] }),
      ...(endpoint.body === undefined ? {} : { body: endpoint.body }),
      headers: target === undefined ? {} : { 'if-match': target.etag },
    });
    expect(reply.status, JSON.stringify(reply.body)).toBe(expected);
    if (expected >= 400) expect(reply.headers.get('content-type')).toBe('application/problem+json');
    if (expected === 404) expect(reply.body.detail).toBe('No such request.');
    if (
      expected === 200 &&
      endpoint.method === 'GET' &&
      target !== undefined &&
      endpoint.name.startsWith('GET')
    ) {
      const as = role === 'owner' ? 'owner' : role === 'admin' ? 'admin' : 'committee';
      expect(reply.body.viewer).toEqual({ as, readOnly: as !== 'owner' || endpoint.target === 'submitted' });
    }
    // Whoever may not change a request leaves it exactly as it was.
    if (target !== undefined && (role !== 'owner' || expected >= 400)) {
      const after = await system.call('GET', `/api/requests/${target.id}`, { as: 'us-requester' });
      expect(after.etag).toBe(target.etag);
    }
  });

  it('lists nobody else’s requests on anyone’s dashboard', async () => {
    for (const persona of ['non-us-requester', 'pcgp-committee-1', 'admin']) {
      const list = await system.call('GET', '/api/requests?pageSize=100', { as: persona });
      const ids = list.body.items.map((item: { id: string }) => item.id);
      expect(ids).not.toContain(draft.id);
      expect(ids).not.toContain(submitted.id);
    }
  });

  it('lets every member of a touched DAU’s committee read the submitted request', async () => {
    const reply = await system.call('GET', `/api/requests/${submitted.id}`, { as: 'pcgp-committee-3' });
    expect(reply.status).toBe(200);
    expect(reply.body.answers.contemplatedUse).toEqual(completeAnswers().contemplatedUse);
  });
});

describe('bad tokens on every route', () => {
  const routes: readonly [string, (id: string) => string, unknown?][] = [
    ['GET', () => '/api/me'],
    [
      'PUT',
      () => '/api/me',
      { name: 'X Y', institution: { name: 'X' }, country: 'US', organisationType: 'academic' },
    ],
    ['POST', () => '/api/requests', studySelection('PCGP')],
    ['GET', () => '/api/requests'],
    ['GET', (id) => `/api/requests/${id}`],
    ['PATCH', (id) => `/api/requests/${id}`, patchBody],
    ['DELETE', (id) => `/api/requests/${id}`],
    ['POST', (id) => `/api/requests/${id}/copy`],
    ['POST', (id) => `/api/requests/${id}/submit`],
    ['GET', (id) => `/api/requests/${id}/events`],
  ];

  it('answers 401 problem+json with a Bearer challenge, changing nothing', async () => {
    const tokens = await badTokens(system.environment.issuer, system.signingKey!, 'maya.chen@example.edu');
    const cases = [['missing', undefined] as const, ...Object.entries(tokens)];
    const answered: string[] = [];
    for (const [method, path, body] of routes) {
      for (const [name, token] of cases) {
        const reply = await system.call(method, path(draft.id), {
          ...(token === undefined ? {} : { token }),
          ...(body === undefined ? {} : { body }),
          headers: { 'if-match': draft.etag },
        });
        answered.push(
          `${method} ${path(':id')} with ${name} token: ${reply.status} ${reply.headers.get('www-authenticate')?.slice(0, 6)}`,
        );
        expect(reply.headers.get('content-type')).toBe('application/problem+json');
        expect(reply.body.type).toBe(
          `https://datarequests.dev/problems/${token === undefined ? 'unauthorized' : 'invalid-token'}`,
        );
      }
    }
    expect(answered).toEqual(
      routes.flatMap(([method, path]) =>
        cases.map(([name]) => `${method} ${path(':id')} with ${name} token: 401 Bearer`),
      ),
    );
    const after = await system.call('GET', `/api/requests/${draft.id}`, { as: 'us-requester' });
    expect(after.etag).toBe(draft.etag);
  });
});
