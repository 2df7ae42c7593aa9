/** The decision rules, the link signatures and the decision page's escaping, on their own. */
import { describe, expect, it } from 'vitest';
import { concludeRound, type CountedDecision } from '../../shared/reviews/decision-rules';
import { ReviewLinkSigner } from '../../shared/reviews/link-tokens';
import { decisionInputSchema, type ReviewRound } from '../../shared/reviews/model';
import { renderReviewPage } from '../../shared/reviews/pages';

const at = (minute: number) => new Date(Date.UTC(2030, 0, 1, 0, minute)).toISOString();
const approve = (minute: number): CountedDecision => ({
  verdict: 'approve',
  reason: null,
  decidedAt: at(minute),
});
const reject = (minute: number, reason = `no ${minute}`): CountedDecision => ({
  verdict: 'reject',
  reason,
  decidedAt: at(minute),
});
const back = (minute: number): CountedDecision => ({
  verdict: 'return',
  reason: 'sign page 4',
  decidedAt: at(minute),
});

describe('decision rules', () => {
  it('first: the earliest approval or rejection decides, whatever came after', () => {
    expect(concludeRound('first', 3, [])).toEqual({ outcome: 'pending' });
    expect(concludeRound('first', 3, [reject(2), approve(1)])).toEqual({ outcome: 'approved' });
    expect(concludeRound('first', 3, [approve(2), reject(1, 'why')])).toEqual({
      outcome: 'rejected',
      reasons: ['why'],
    });
  });

  it('majority: more than half approve; half or more reject', () => {
    expect(concludeRound('majority', 3, [approve(1)])).toEqual({ outcome: 'pending' });
    expect(concludeRound('majority', 3, [approve(1), reject(2)])).toEqual({ outcome: 'pending' });
    expect(concludeRound('majority', 3, [approve(1), reject(2), approve(3)])).toEqual({
      outcome: 'approved',
    });
    expect(concludeRound('majority', 3, [reject(1), reject(2)])).toMatchObject({ outcome: 'rejected' });
    expect(concludeRound('majority', 4, [approve(1), approve(2)])).toEqual({ outcome: 'pending' });
    expect(concludeRound('majority', 4, [reject(1), reject(2)])).toEqual({
      outcome: 'rejected',
      reasons: ['no 1', 'no 2'],
    });
  });

  it('unanimous: every member approves; one rejection ends it at once', () => {
    expect(concludeRound('unanimous', 3, [approve(1), approve(2)])).toEqual({ outcome: 'pending' });
    expect(concludeRound('unanimous', 3, [approve(1), approve(2), approve(3)])).toEqual({
      outcome: 'approved',
    });
    expect(concludeRound('unanimous', 3, [approve(1), reject(2)])).toMatchObject({ outcome: 'rejected' });
  });

  it('a return by any member returns, under every rule, unless the round was decided first', () => {
    for (const rule of ['first', 'majority', 'unanimous'] as const) {
      expect(concludeRound(rule, 3, [back(1)])).toEqual({ outcome: 'returned', reasons: ['sign page 4'] });
    }
    expect(concludeRound('first', 3, [approve(1), back(2)])).toEqual({ outcome: 'approved' });
    expect(concludeRound('unanimous', 3, [approve(1), back(2)])).toMatchObject({ outcome: 'returned' });
  });

  it('requires a reason to reject or return', () => {
    expect(decisionInputSchema.safeParse({ verdict: 'approve' }).success).toBe(true);
    expect(decisionInputSchema.safeParse({ verdict: 'reject', reason: ' ' }).success).toBe(false);
    expect(decisionInputSchema.safeParse({ verdict: 'return' }).success).toBe(false);
    expect(decisionInputSchema.parse({ verdict: 'return', reason: ' x ' })).toMatchObject({ reason: 'x' });
  });
});

describe('link signatures', () => {
  const signer = new ReviewLinkSigner('a-local-key-of-at-least-32-characters!');
  const claims = {
    r: '7b0c1a3e-4c59-4b8e-9a55-0e7f4c1c2d11',
    d: 'PCGP',
    m: 'dac-pcgp-1@example.org',
    n: 1,
    exp: 2_000_000_000,
  };
  const now = new Date('2030-01-01T00:00:00Z');

  it('verifies what it signed until it expires', () => {
    const token = signer.sign(claims);
    expect(signer.verify(token, now)).toEqual({ ok: true, claims });
    expect(signer.verify(token, new Date(claims.exp * 1000))).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses altered, foreign and malformed tokens', () => {
    const token = signer.sign(claims);
    const [, signature] = token.split('.');
    const altered = `${Buffer.from(JSON.stringify({ ...claims, n: 2 })).toString('base64url')}.${signature}`;
    expect(signer.verify(altered, now)).toEqual({ ok: false, reason: 'forged' });
    expect(new ReviewLinkSigner('another-key-of-at-least-32-characters!!').verify(token, now)).toMatchObject({
      ok: false,
      reason: 'forged',
    });
    for (const bad of ['', 'abc', 'a.b.c', `${token}=`, 'x'.repeat(5000)]) {
      expect(signer.verify(bad, now)).toMatchObject({ ok: false });
    }
    // A signature over the agreement link is no link signature, and vice versa.
    const agreementSignature = signer.agreementLinkSignature(token, claims.exp);
    expect(signer.verifyAgreementLink(token, claims.exp, agreementSignature, now)).toBe(true);
    expect(signer.verifyAgreementLink(token, claims.exp + 1, agreementSignature, now)).toBe(false);
    expect(signer.verify(`${token.split('.')[0]}.${agreementSignature}`, now)).toMatchObject({ ok: false });
  });

  it('refuses a short key', () => {
    expect(() => new ReviewLinkSigner('short')).toThrow(/32/);
  });
});

describe('the decision page', () => {
  const hostile = `<script>alert("x")</script> & 'Co'`;
  const round: ReviewRound = {
    id: 'round:PCGP:1',
    requestId: '7b0c1a3e-4c59-4b8e-9a55-0e7f4c1c2d11',
    docType: 'reviewRound',
    dauId: 'PCGP',
    dauName: hostile,
    round: 1,
    rule: 'first',
    members: [{ name: hostile, email: 'dac-pcgp-1@example.org' }],
    memberEmails: ['dac-pcgp-1@example.org'],
    openedAt: '2030-01-01T00:00:00.000Z',
    deadline: '2030-01-15T00:00:00.000Z',
    dauCounts: { files: 1, samples: 1, subjects: 1, bytes: 1 },
    revision: null,
    status: 'open',
    outcome: null,
    closedAt: null,
  };

  it('escapes every value it shows', () => {
    const page = renderReviewPage(
      {
        member: round.members[0]!,
        request: {
          id: round.requestId,
          projectName: hostile,
          requester: { name: hostile, email: 'a@example.org' },
          institution: hostile,
          country: 'DE',
          principalInvestigator: hostile,
          contemplatedUse: hostile,
          submittedAt: null,
          counts: { files: 1, samples: 1, subjects: 1, bytes: 1 },
          daus: [{ id: 'PCGP', name: hostile, files: 1 }],
        },
        dau: { id: 'PCGP', name: hostile, counts: round.dauCounts },
        round,
        agreement: { kind: 'electronic', signers: [hostile] },
        decisions: [
          {
            id: 'd',
            requestId: round.requestId,
            docType: 'reviewDecision',
            dauId: 'PCGP',
            round: 1,
            member: round.members[0]!,
            verdict: 'reject',
            reason: hostile,
            remark: { text: hostile, visibility: 'committee' },
            decidedAt: round.openedAt,
            via: 'link',
          },
        ],
      },
      'token"><script>',
      { error: hostile, values: { reason: hostile, remark: hostile } },
    );
    expect(page).not.toContain('<script>');
    expect(page).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;Co&#39;');
    expect(page).toContain('action="token&quot;&gt;&lt;script&gt;"');
  });
});
