/**
 * The decision links and the signed-in review API under attack: a link opened any number of times records
 * nothing; forged, expired, used and foreign links (another member, request, DAU or round) each get a clear
 * HTML page, never a stack trace; the page carries headers that keep its token from leaking and its content
 * from being framed or scripted; a repeated POST counts once. Signed in, only the DAU's committee decides,
 * and every route refuses bad tokens and bad bodies.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateSigningKey } from '../../infra/local/standins/dev-issuer';
import { cosmosContainers } from '../../shared/platform/storage-layout';
import { ReviewLinkSigner } from '../../shared/reviews/link-tokens';
import { plainPdf } from '../agreements/pdf-fixtures';
import { badTokens } from '../support/bad-tokens';
import {
  claimsOf,
  dauOf,
  decideSignedIn,
  linkFor,
  linkSigner,
  member,
  openLink,
  postForm,
  requester,
  requestInReview,
  requestWhen,
  startReviewSystem,
  timelineTypes,
  tokenOf,
  type ReviewSystem,
} from './support';

let system: ReviewSystem;
let dataDir: string;
/** A request in review over PCGP (first decision decides) and SJLIFE (majority). */
let id: string;
let link: string;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'reviews-links-'));
  system = await startReviewSystem({ dataDir });
  id = await requestInReview(system, 'PCGP', 'SJLIFE');
  link = await linkFor(system, id, member('SJLIFE', 1).email);
}, 120_000);

afterAll(async () => {
  await system?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const linkOf = (token: string) => link.replace(/[^/]+$/, encodeURIComponent(token));

async function recordedDecisions(requestId: string): Promise<unknown[]> {
  const { resources } = await system.database
    .container(cosmosContainers.reviews.id)
    .items.query({ query: "SELECT * FROM c WHERE c.docType = 'reviewDecision'" }, { partitionKey: requestId })
    .fetchAll();
  return resources;
}

describe('the decision link', () => {
  it('shows the request with safe headers, and records nothing however often it is opened', async () => {
    // What the review wrote (the invitations' `notification.sent` may still be arriving).
    const reviewEvents = async () =>
      (await timelineTypes(system, id)).filter((type) => !type.startsWith('notification.'));
    const before = await reviewEvents();
    for (let open = 0; open < 100; open += 1) {
      const page = await openLink(link);
      expect(page.status).toBe(200);
    }
    const page = await openLink(link);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("form-action 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.text).not.toContain('<script');
    expect(page.text).toContain('Lukas Weber');
    expect(page.text).toContain('St. Jude LIFE (SJLIFE)');
    expect(page.text).toContain('Pediatric Cancer Genome Project (PCGP)');

    expect(await recordedDecisions(id)).toEqual([]);
    expect(await reviewEvents()).toEqual(before);
    const request = await requestWhen(system, id, () => true);
    // What the selection holds in this DAU: samples, files and bytes.
    const held =
      /In St\. Jude LIFE the selection holds\s*<strong\s*>(\d+) samples \((\d+) subjects\), (\d+) files,\s*([\d.]+ [KMGTP]?B)/.exec(
        page.text,
      );
    expect(held).not.toBeNull();
    expect(Number(held![3])).toBe(
      (request.daus as { id: string; files: number }[]).find((dau) => dau.id === 'SJLIFE')!.files,
    );
    expect(Number(held![1])).toBeGreaterThan(0);
    expect(dauOf(request, 'SJLIFE')).toMatchObject({ status: 'in_review', review: { approvals: 0 } });
  });

  it('offers the signed agreement through a short-lived link of its own', async () => {
    const page = await openLink(link);
    const href = /href="([^"]*\/agreement\?[^"]*)"/.exec(page.text)?.[1]?.replace(/&amp;/g, '&');
    expect(href).toBeDefined();
    const agreementUrl = new URL(href!, link).toString();
    const pdf = await fetch(agreementUrl);
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(pdf.headers.get('cache-control')).toBe('no-store');
    expect(Buffer.from(await pdf.arrayBuffer())).toEqual(plainPdf());

    const tampered = agreementUrl.replace(/signature=[^&]+/, 'signature=AAAA');
    expect((await fetch(tampered)).status).toBe(410);
    const token = tokenOf(link);
    const past = Math.floor(Date.now() / 1000) - 60;
    const stale = `${linkOf(token)}/agreement?expires=${past}&signature=${linkSigner(system).agreementLinkSignature(token, past)}`;
    const expired = await fetch(stale);
    expect(expired.status).toBe(410);
    expect(await expired.text()).toContain('expired');
  });

  it('refuses forged, expired and foreign links with a clear page', async () => {
    const signer = linkSigner(system);
    const claims = claimsOf(tokenOf(link));
    const [payload, signature] = tokenOf(link).split('.');
    const otherPayload = Buffer.from(JSON.stringify({ ...claims, m: member('SJLIFE', 2).email })).toString(
      'base64url',
    );
    const otherRequest = await requestInReview(system, 'PCGP');
    const cases: [string, string, number, string][] = [
      ['garbage', 'not-a-token', 404, 'not valid'],
      ['altered member', `${otherPayload}.${signature}`, 404, 'not valid'],
      ['truncated signature', `${payload}.${signature!.slice(0, 20)}`, 404, 'not valid'],
      ['another key', new ReviewLinkSigner('k'.repeat(40)).sign(claims), 404, 'not valid'],
      ['expired', signer.sign({ ...claims, exp: Math.floor(Date.now() / 1000) - 1 }), 410, 'expired'],
      ['another member', signer.sign({ ...claims, m: member('CCSS', 1).email }), 404, 'not valid'],
      ['another request', signer.sign({ ...claims, r: randomUUID() }), 404, 'not valid'],
      ['a request without this DAU', signer.sign({ ...claims, r: otherRequest }), 404, 'not valid'],
      ['another DAU', signer.sign({ ...claims, d: 'CCSS' }), 404, 'not valid'],
      ['another round', signer.sign({ ...claims, n: 2 }), 404, 'not valid'],
      ['too long', 'a'.repeat(3000) + '.b', 404, 'not valid'],
    ];
    for (const [name, token, status, says] of cases) {
      for (const page of [
        await openLink(linkOf(token)),
        await postForm(linkOf(token), { verdict: 'approve' }),
      ]) {
        expect({ name, status: page.status }).toEqual({ name, status });
        expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
        expect(page.headers.get('referrer-policy')).toBe('no-referrer');
        expect(page.text).toContain(says);
        expect(page.text).not.toMatch(/at .*\.js:\d+|Error:/);
      }
    }
    expect(await recordedDecisions(id)).toEqual([]);
    expect(await recordedDecisions(otherRequest)).toEqual([]);
  });

  it('asks again for a bad form, and refuses what is not the form', async () => {
    const noReason = await postForm(link, { verdict: 'reject', reason: '   ' });
    expect(noReason.status).toBe(400);
    expect(noReason.text).toContain('required to reject');
    expect(noReason.text).toContain('value="reject" checked');
    const unknownVerdict = await postForm(link, { verdict: 'maybe' });
    expect(unknownVerdict.status).toBe(400);
    const json = await fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ verdict: 'approve' }),
    });
    expect(json.status).toBe(415);
    expect(json.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const huge = await postForm(link, { verdict: 'approve', remark: 'x'.repeat(20_000) });
    expect(huge.status).toBe(413);
    expect(await recordedDecisions(id)).toEqual([]);
  });

  it('records a decision once: a repeated POST answers it again, then the link is used', async () => {
    const fields = { verdict: 'approve', remark: 'Committee only: fine.', remarkVisibility: 'committee' };
    const first = await postForm(link, fields);
    expect(first.status).toBe(200);
    const again = await postForm(link, fields);
    expect(again.status).toBe(200);
    expect(again.text).toContain('already been recorded');
    const other = await postForm(link, { verdict: 'reject', reason: 'Changed my mind.' });
    expect(other.status).toBe(410);
    expect(other.text).toContain('You already approved');
    const used = await openLink(link);
    expect(used.status).toBe(410);
    expect(used.text).toContain('has been used');

    expect(await recordedDecisions(id)).toHaveLength(1);
    const tallied = await requestWhen(
      system,
      id,
      (request) => dauOf(request, 'SJLIFE').review?.['approvals'] === 1,
    );
    expect(dauOf(tallied, 'SJLIFE').review?.['requesterRemarks']).toEqual([]);
    expect(JSON.stringify(tallied)).not.toContain('Committee only: fine.');
    expect(
      (await timelineTypes(system, id)).filter((type) => type === 'review.decision-recorded'),
    ).toHaveLength(1);
    // Another member sees the decision and its committee-only remark on their page.
    const page = await openLink(await linkFor(system, id, member('SJLIFE', 3).email));
    expect(page.text).toContain('Committee only: fine.');
  });
});

describe('the signed-in review API', () => {
  const pcgp = member('PCGP', 2);

  it('lists pending decisions for members only, and lets only the DAU committee decide', async () => {
    const queue = await system.call('GET', '/api/reviews', { as: pcgp.persona });
    expect(queue.status).toBe(200);
    expect(queue.headers.get('cache-control')).toContain('no-store');
    expect(queue.body.pending).toContainEqual(
      expect.objectContaining({
        requestId: id,
        dauId: 'PCGP',
        round: 1,
        decisionPath: `/api/reviews/${id}/PCGP/decision`,
      }),
    );
    const stranger = await system.call('GET', '/api/reviews', { as: requester });
    expect(stranger.body).toEqual({ pending: [], past: [] });

    for (const persona of [requester, 'us-requester', member('CCSS', 1).persona, 'admin']) {
      const refused = await decideSignedIn(system, persona, id, 'PCGP', { verdict: 'approve' });
      expect({ persona, status: refused.status }).toEqual({ persona, status: 404 });
    }
    expect(
      (await decideSignedIn(system, pcgp.persona, randomUUID(), 'PCGP', { verdict: 'approve' })).status,
    ).toBe(404);
    expect((await decideSignedIn(system, pcgp.persona, id, 'CCSS', { verdict: 'approve' })).status).toBe(404);
  });

  it('refuses bad bodies, then records once and answers a repeat with the recorded decision', async () => {
    const bad: [Record<string, unknown> | string, number][] = [
      [{ verdict: 'maybe' }, 400],
      [{ verdict: 'reject' }, 400],
      [{ verdict: 'return', reason: '' }, 400],
      [{ verdict: 'approve', extra: true }, 400],
      [{ verdict: 'approve', remark: 'x'.repeat(2001) }, 400],
      ['{not json', 400],
      [{ verdict: 'approve', remark: 'x'.repeat(20_000) }, 413],
    ];
    for (const [body, status] of bad) {
      const reply = await system.call('POST', `/api/reviews/${id}/PCGP/decision`, {
        as: pcgp.persona,
        ...(typeof body === 'string'
          ? { bytes: Buffer.from(body), headers: { 'content-type': 'application/json' } }
          : { body }),
      });
      expect({ body: String(JSON.stringify(body)).slice(0, 40), status: reply.status }).toEqual({
        body: String(JSON.stringify(body)).slice(0, 40),
        status,
      });
      expect(reply.headers.get('content-type')).toContain('application/problem+json');
    }
    const form = await system.call('POST', `/api/reviews/${id}/PCGP/decision`, {
      as: pcgp.persona,
      bytes: Buffer.from('verdict=approve'),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(415);

    const decision = {
      verdict: 'approve',
      remark: 'Fine for the requester to read.',
      remarkVisibility: 'requester',
    };
    const first = await decideSignedIn(system, pcgp.persona, id, 'PCGP', decision);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      replayed: false,
      decision: { verdict: 'approve', via: 'signed-in', round: 1 },
    });
    const again = await decideSignedIn(system, pcgp.persona, id, 'PCGP', decision);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({
      replayed: true,
      decision: { decidedAt: first.body.decision.decidedAt },
    });
    const approved = await requestWhen(
      system,
      id,
      (request) => dauOf(request, 'PCGP').review?.['status'] === 'approved',
    );
    expect(dauOf(approved, 'PCGP').review?.['requesterRemarks']).toEqual([
      expect.objectContaining({ text: 'Fine for the requester to read.' }),
    ]);
    const changed = await decideSignedIn(system, pcgp.persona, id, 'PCGP', {
      verdict: 'reject',
      reason: 'No.',
    });
    expect(changed.status).toBe(409);
    const past = await system.call('GET', '/api/reviews', { as: pcgp.persona });
    expect(past.body.past).toContainEqual(
      expect.objectContaining({ requestId: id, dauId: 'PCGP', verdict: 'approve' }),
    );
    expect(past.body.pending.map((item: { requestId: string }) => item.requestId)).not.toContain(id);
    expect((await timelineTypes(system, id)).filter((type) => type === 'review.dau-approved')).toHaveLength(
      1,
    );
  });

  it('answers 401 to every bad token on every route', async () => {
    const key = await loadOrCreateSigningKey(dataDir);
    const tokens = await badTokens(system.environment.issuer, key, pcgp.email);
    const cases = [['missing', undefined] as const, ...Object.entries(tokens)];
    for (const [name, token] of cases) {
      for (const [method, target] of [
        ['GET', '/api/reviews'],
        ['POST', `/api/reviews/${id}/SJLIFE/decision`],
      ] as const) {
        const reply = await system.call(method, target, {
          ...(token === undefined ? {} : { token }),
          ...(method === 'POST' ? { body: { verdict: 'approve' } } : {}),
        });
        expect({ name, target, status: reply.status }).toEqual({ name, target, status: 401 });
      }
    }
    expect(await recordedDecisions(id)).toHaveLength(2);
  });
});
