/** POST /api/requests/{id}/withdraw: the owner ends a submitted request that still waits. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPersona } from '../../infra/local/personas';
import { badTokens } from '../support/bad-tokens';
import {
  completeAnswers,
  startRequestsSystem,
  studySelection,
  type Reply,
  type RequestsSystem,
} from './support';

let system: RequestsSystem;
const requester = findPersona('non-us-requester');

beforeAll(async () => {
  system = await startRequestsSystem({ persistIssuerKey: true });
});

afterAll(async () => {
  await system?.close();
});

/** A draft of the manual route, complete: the German requester uploads a signed agreement. */
async function draft(): Promise<Reply> {
  const created = await system.call('POST', '/api/requests', {
    as: requester.id,
    body: studySelection('PCGP'),
  });
  const answers = {
    ...completeAnswers(),
    institution: { name: 'Example University Heidelberg', country: 'DE', organisationType: 'academic' },
    agreementRoute: 'manual',
  };
  return system.call('PATCH', `/api/requests/${created.body.id}`, {
    as: requester.id,
    body: { answers },
    headers: { 'if-match': created.etag ?? '' },
  });
}

async function submitted(): Promise<Reply> {
  const filled = await draft();
  const answer = await system.call('POST', `/api/requests/${filled.body.id}/submit`, {
    as: requester.id,
    headers: { 'if-match': filled.etag ?? '' },
  });
  expect(answer.status).toBe(200);
  return answer;
}

const withdraw = (id: string, init: Parameters<RequestsSystem['call']>[2] = {}) =>
  system.call('POST', `/api/requests/${id}/withdraw`, { as: requester.id, ...init });

describe('withdraw', () => {
  it('ends a submitted request at once, records why, and answers a replay unchanged', async () => {
    const request = await submitted();
    const answer = await withdraw(request.body.id, {
      headers: { 'if-match': request.etag ?? '' },
      body: { reason: 'We found the data elsewhere.' },
    });
    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe('withdrawn');
    expect(answer.body.daus.map((dau: { status: string }) => dau.status)).toEqual(['withdrawn']);
    expect(answer.body.nextAction).toBeNull();

    const replay = await withdraw(request.body.id, { headers: { 'if-match': request.etag ?? '' } });
    expect(replay.status).toBe(200);
    expect(replay.etag).toBe(answer.etag);

    const events = await system.call('GET', `/api/requests/${request.body.id}/events`, { as: requester.id });
    const withdrawals = events.body.events.filter(
      (event: { type: string }) => event.type === 'request.withdrawn',
    );
    expect(withdrawals).toHaveLength(1);
    expect(withdrawals[0].details.reason).toBe('We found the data elsewhere.');
    expect(events.body.verified).toBe(true);
  });

  it('takes no body at all', async () => {
    const request = await submitted();
    const answer = await withdraw(request.body.id, { headers: { 'if-match': request.etag ?? '' } });
    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe('withdrawn');
  });

  it('refuses a draft (delete it instead), a missing or stale If-Match, and bad bodies', async () => {
    const filled = await draft();
    const onDraft = await withdraw(filled.body.id, { headers: { 'if-match': filled.etag ?? '' } });
    expect(onDraft.status).toBe(409);
    expect(onDraft.body.type).toMatch(/request-not-withdrawable$/);

    const request = await submitted();
    expect((await withdraw(request.body.id)).status).toBe(428);
    const stale = await withdraw(request.body.id, { headers: { 'if-match': filled.etag ?? '' } });
    expect(stale.status).toBe(412);
    const ifMatch = { 'if-match': request.etag ?? '' };
    const malformed = await withdraw(request.body.id, { headers: ifMatch, rawBody: '{"reason":' });
    expect(malformed.status).toBe(400);
    const unknownField = await withdraw(request.body.id, {
      headers: ifMatch,
      body: { reason: 'x', why: 'y' },
    });
    expect(unknownField.status).toBe(400);
    const tooLong = await withdraw(request.body.id, { headers: ifMatch, body: { reason: 'x'.repeat(2001) } });
    expect(tooLong.status).toBe(400);
    const oversized = await withdraw(request.body.id, {
      headers: ifMatch,
      rawBody: JSON.stringify({ reason: 'x'.repeat(2 * 1024 * 1024) }),
    });
    expect(oversized.status).toBe(413);
    const notJson = await withdraw(request.body.id, {
      headers: { ...ifMatch, 'content-type': 'text/plain' },
      rawBody: 'please',
    });
    expect(notJson.status).toBe(415);
    const still = await system.call('GET', `/api/requests/${request.body.id}`, { as: requester.id });
    expect(still.body.status).not.toBe('withdrawn');
  });

  it("answers 404 for another user's request and 401 for every bad token", async () => {
    const request = await submitted();
    const ifMatch = { 'if-match': request.etag ?? '' };
    const stranger = await withdraw(request.body.id, { as: 'us-requester', headers: ifMatch });
    expect(stranger.status).toBe(404);
    const admin = await withdraw(request.body.id, { as: 'admin', headers: ifMatch });
    expect(admin.status).toBe(403);
    expect((await withdraw('00000000-0000-4000-8000-000000000000', { headers: ifMatch })).status).toBe(404);
    expect((await withdraw('not-a-uuid', { headers: ifMatch })).status).toBe(400);
    const tokens = await badTokens(system.environment.issuer, system.signingKey!, requester.email);
    for (const [name, token] of Object.entries(tokens)) {
      const answer = await system.call('POST', `/api/requests/${request.body.id}/withdraw`, {
        token,
        headers: ifMatch,
      });
      expect(answer.status, name).toBe(401);
    }
    const unchanged = await system.call('GET', `/api/requests/${request.body.id}`, { as: requester.id });
    expect(unchanged.body.status).not.toBe('withdrawn');
  });
});
