/**
 * GET/PUT /api/me through the local host against the Cosmos stand-in: the profile, its ETag and If-Match, the
 * validation of every field, and the personas' seeded profiles.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { personaSubject } from '../../infra/local/personas';
import { subjectFor } from '../../infra/local/standins/dev-issuer';
import { startRequestsSystem, type RequestsSystem } from '../requests/support';

let system: RequestsSystem;
let counter = 0;

beforeAll(async () => {
  system = await startRequestsSystem({ catalogFiles: 200 });
});

afterAll(async () => {
  await system?.close();
});

const validProfile = {
  name: 'Rosalind Franklin',
  institution: { name: 'Example College London', rorId: '04cw6st05' },
  country: 'gb',
  organisationType: 'academic',
};

/** A user nobody has seen yet. */
async function newUser(): Promise<{ email: string; token: string }> {
  counter += 1;
  const email = `profile-${counter}@example.org`;
  return { email, token: await system.token(email) };
}

describe('GET /api/me', () => {
  it('answers a persona with the profile seeded on first start, and its ETag', async () => {
    const reply = await system.call('GET', '/api/me', { as: 'non-us-requester' });
    expect(reply.status).toBe(200);
    expect(reply.etag).toMatch(/^"[^"]+"$/);
    expect(reply.body).toMatchObject({
      subjectId: personaSubject('non-us-requester'),
      email: 'lukas.weber@example.de',
      roles: ['requester'],
      profile: {
        name: 'Lukas Weber',
        country: 'DE',
        organisationType: 'academic',
        email: 'lukas.weber@example.de',
      },
    });
    const admin = await system.call('GET', '/api/me', { as: 'admin' });
    expect(admin.body.roles).toEqual(['requester', 'admin']);
  });

  it('answers profile null (and no ETag) for a user without one', async () => {
    const { email, token } = await newUser();
    const reply = await system.call('GET', '/api/me', { token });
    expect(reply.status).toBe(200);
    expect(reply.etag).toBeNull();
    expect(reply.body).toEqual({ subjectId: subjectFor(email), email, roles: ['requester'], profile: null });
  });
});

describe('PUT /api/me', () => {
  it('creates the profile without If-Match, then needs If-Match for every change', async () => {
    const { email, token } = await newUser();
    const created = await system.call('PUT', '/api/me', { token, body: validProfile });
    expect(created.status).toBe(201);
    expect(created.body.profile).toMatchObject({
      name: 'Rosalind Franklin',
      email,
      institution: { name: 'Example College London', rorId: 'https://ror.org/04cw6st05' },
      country: 'GB',
      organisationType: 'academic',
    });
    const firstTag = created.etag!;

    const withoutIfMatch = await system.call('PUT', '/api/me', { token, body: validProfile });
    expect(withoutIfMatch.status).toBe(428);
    expect(withoutIfMatch.body.type).toBe('https://datarequests.dev/problems/precondition-required');
    expect(withoutIfMatch.etag).toBe(firstTag);
    expect(withoutIfMatch.body.current.profile.name).toBe('Rosalind Franklin');

    const changed = await system.call('PUT', '/api/me', {
      token,
      body: { ...validProfile, organisationType: 'non-profit' },
      headers: { 'if-match': firstTag },
    });
    expect(changed.status).toBe(200);
    expect(changed.etag).not.toBe(firstTag);
    expect(changed.body.profile.organisationType).toBe('non-profit');
    expect(changed.body.profile.createdAt).toBe(created.body.profile.createdAt);

    const stale = await system.call('PUT', '/api/me', {
      token,
      body: validProfile,
      headers: { 'if-match': firstTag },
    });
    expect(stale.status).toBe(412);
    expect(stale.etag).toBe(changed.etag);
    expect(stale.body.current.profile.organisationType).toBe('non-profit');

    const weak = await system.call('PUT', '/api/me', {
      token,
      body: validProfile,
      headers: { 'if-match': `W/${changed.etag}` },
    });
    expect(weak.status).toBe(412);

    const read = await system.call('GET', '/api/me', { token });
    expect(read.etag).toBe(changed.etag);
    expect(read.body.profile.organisationType).toBe('non-profit');
  });

  it('answers 412 to If-Match before any profile exists', async () => {
    const { token } = await newUser();
    const reply = await system.call('PUT', '/api/me', {
      token,
      body: validProfile,
      headers: { 'if-match': '*' },
    });
    expect(reply.status).toBe(412);
    expect(reply.body.current.profile).toBeNull();
  });

  it('takes the e-mail from the token only: a body e-mail is an unknown field', async () => {
    const { token } = await newUser();
    const reply = await system.call('PUT', '/api/me', {
      token,
      body: {
        ...validProfile,
        email: 'someone-else@example.org',
        institution: { ...validProfile.institution, city: 'London' },
      },
    });
    expect(reply.status).toBe(400);
    expect(reply.body.errors).toEqual(
      expect.arrayContaining([
        { in: 'body', name: 'email', message: 'is not allowed' },
        { in: 'body', name: 'institution.city', message: 'is not allowed' },
      ]),
    );
  });

  it.each([
    ['name', { name: '' }, 'name', 'is required'],
    ['name', { name: 'R2-D2' }, 'name', 'may contain letters, spaces, apostrophes, hyphens and periods'],
    ['name', { name: 'x'.repeat(201) }, 'name', 'must be at most 200 characters'],
    ['institution name', { institution: { name: '  ' } }, 'institution.name', 'is required'],
    [
      'institution name',
      { institution: { name: 'Line\nbreak' } },
      'institution.name',
      'must be one line of printable text',
    ],
    [
      'ROR id',
      { institution: { name: 'X', rorId: 'not-a-ror' } },
      'institution.rorId',
      'must be a ROR id like https://ror.org/02r3e0967',
    ],
    ['country', { country: 'XX' }, 'country', 'must be an ISO 3166-1 alpha-2 country code like US or DE'],
    ['country', { country: 'USA' }, 'country', 'must be an ISO 3166-1 alpha-2 country code like US or DE'],
    [
      'organisation type',
      { organisationType: 'startup' },
      'organisationType',
      'must be one of: academic, non-profit, government, hospital, for-profit',
    ],
    [
      'organisation type',
      { organisationType: undefined },
      'organisationType',
      'is required; it must be one of: academic, non-profit, government, hospital, for-profit',
    ],
  ])('refuses a bad %s, naming the field', async (_what, change, field, message) => {
    const { token } = await newUser();
    const reply = await system.call('PUT', '/api/me', { token, body: { ...validProfile, ...change } });
    expect(reply.status).toBe(400);
    expect(reply.headers.get('content-type')).toBe('application/problem+json');
    expect(reply.body.errors).toContainEqual(expect.objectContaining({ in: 'body', name: field, message }));
    expect((await system.call('GET', '/api/me', { token })).body.profile).toBeNull();
  });

  it('refuses a body over 16 KiB with 413 and a non-JSON body with 415', async () => {
    const { token } = await newUser();
    const big = await system.call('PUT', '/api/me', {
      token,
      rawBody: JSON.stringify({ ...validProfile, name: 'a'.repeat(20_000) }),
    });
    expect(big.status).toBe(413);
    const text = await system.call('PUT', '/api/me', {
      token,
      rawBody: 'name=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(text.status).toBe(415);
  });

  it('answers 401 without a token', async () => {
    expect((await system.call('GET', '/api/me')).status).toBe(401);
    expect((await system.call('PUT', '/api/me', { body: validProfile })).status).toBe(401);
  });
});
