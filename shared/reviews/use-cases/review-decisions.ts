/**
 * Committee members deciding: through the e-mailed link (no sign-in: the link is the member's credential)
 * or signed in. Opening a link never changes anything; a decision is recorded once by key (DAU, round,
 * member) before the orchestration is told, and a repeat of the same decision answers what was recorded and
 * tells the orchestration again (harmless: it counts records, not events). Who may decide is checked here:
 * a link works only for its member, request, DAU and open round; signed in, only members of the DAU's
 * committee may decide (everyone else is told the request does not exist).
 */
import { z } from 'zod';
import type { AgreementUpload } from '../../agreements/model';
import type { Dau } from '../../catalog/model';
import { AppError, notFound } from '../../http/errors';
import type { Principal } from '../../identity/principal';
import type { ReviewDecisionEvent } from '../../lifecycle/review-activities';
import type { RequestDau, RequestDocument } from '../../requests/model';
import type { RequestStore, TimelineStore } from '../../requests/ports';
import type { ReviewLinkClaims, ReviewLinkSigner } from '../link-tokens';
import {
  dauReviewRecordSchema,
  decisionId,
  normalEmail,
  reviewDecisionSchema,
  reviewProblems,
  type DecisionInput,
  type Member,
  type ReviewDecision,
  type ReviewRound,
} from '../model';
import type { ReviewStore } from '../ports';
import { projectNameOf } from './review-rounds';

/** Tells the DAU's review orchestration that a decision was recorded. */
export type RaiseDecision = (requestId: string, dauId: string, event: ReviewDecisionEvent) => Promise<void>;

export interface ReviewDecisionsDependencies {
  readonly store: ReviewStore;
  readonly requests: Pick<RequestStore, 'find'>;
  readonly timeline: Pick<TimelineStore, 'append'>;
  readonly daus: () => Promise<readonly Dau[]>;
  readonly signer: () => ReviewLinkSigner;
  readonly agreements: {
    list(requestId: string): Promise<AgreementUpload[]>;
    read(
      requestId: string,
      version: number,
    ): Promise<{ upload: AgreementUpload; pdf: Uint8Array } | undefined>;
  };
  readonly now: () => Date;
  /** How long the agreement link on a decision page works. */
  readonly agreementLinkSeconds?: number;
}

/** Why a link does not open: not ours or not for anything here, expired, already used, or its round is over. */
export type LinkRefusal =
  | { readonly kind: 'invalid' }
  | { readonly kind: 'expired' }
  | { readonly kind: 'used'; readonly decision: ReviewDecision }
  | { readonly kind: 'closed'; readonly why: 'decided' | 'returned' | 'withdrawn' | 'superseded' };

interface OpenLink {
  readonly kind: 'open';
  readonly claims: ReviewLinkClaims;
  readonly request: RequestDocument;
  readonly requestDau: RequestDau;
  readonly round: ReviewRound;
  readonly member: Member;
}

export interface ReviewPage {
  readonly member: Member;
  readonly request: {
    readonly id: string;
    readonly projectName: string;
    readonly requester: { readonly name: string | null; readonly email: string | null };
    readonly institution: string | null;
    readonly country: string | null;
    readonly principalInvestigator: string | null;
    readonly contemplatedUse: string | null;
    readonly submittedAt: string | null;
    readonly counts: RequestDocument['selection']['counts'];
    readonly daus: readonly { readonly id: string; readonly name: string; readonly files: number }[];
  };
  readonly dau: { readonly id: string; readonly name: string; readonly counts: ReviewRound['dauCounts'] };
  readonly round: ReviewRound;
  readonly agreement:
    | { readonly kind: 'uploaded'; readonly upload: AgreementUpload; readonly link: string }
    | { readonly kind: 'electronic'; readonly signers: readonly string[] }
    | { readonly kind: 'none' };
  /** Every decision on this DAU so far, every round, oldest first (the committee sees all remarks). */
  readonly decisions: readonly ReviewDecision[];
}

export type Recorded = { readonly decision: ReviewDecision; readonly replayed: boolean };

export const reviewQueueSchema = z
  .object({
    pending: z.array(
      z.object({
        requestId: z.uuid(),
        dauId: z.string(),
        dauName: z.string(),
        projectName: z.string(),
        round: z.number().int(),
        openedAt: z.iso.datetime(),
        deadline: z.iso.datetime(),
        decisionPath: z.string(),
      }),
    ),
    past: z.array(reviewDecisionSchema.omit({ id: true, docType: true })),
  })
  .meta({ id: 'ReviewQueue', description: 'A committee member’s pending and past decisions' });
export type ReviewQueue = z.infer<typeof reviewQueueSchema>;

const defaultAgreementLinkSeconds = 10 * 60;

export class ReviewDecisions {
  constructor(private readonly deps: ReviewDecisionsDependencies) {}

  // --- through the e-mailed link -------------------------------------------------------------------------

  /** What the link shows; reads only. */
  async viewLink(token: string): Promise<ReviewPage | LinkRefusal> {
    const link = await this.resolve(token);
    if (link.kind !== 'open') return link;
    const { request, requestDau, round, member } = link;
    const answers = request.answers;
    return {
      member,
      request: {
        id: request.id,
        projectName: projectNameOf(request),
        requester: { name: request.owner.name, email: request.owner.email },
        institution: answers.institution?.name ?? null,
        country: answers.institution?.country ?? null,
        principalInvestigator: answers.principalInvestigator?.name ?? null,
        contemplatedUse: answers.contemplatedUse ?? null,
        submittedAt: request.submittedAt,
        counts: request.selection.counts,
        daus: request.daus.map(({ id, name, files }) => ({ id, name, files })),
      },
      dau: { id: requestDau.id, name: requestDau.name, counts: round.dauCounts },
      round,
      agreement: await this.agreementOf(request, round, token),
      decisions: await this.deps.store.decisionsOn(request.id, round.dauId),
    };
  }

  /** The decision posted from the link's page. */
  async decideByLink(
    token: string,
    input: DecisionInput,
    raise: RaiseDecision,
  ): Promise<Recorded | LinkRefusal> {
    const link = await this.resolve(token);
    if (link.kind === 'used') {
      if (!sameDecision(link.decision, input)) return link;
      await this.announce(link.decision, raise);
      return { decision: link.decision, replayed: true };
    }
    if (link.kind !== 'open') return link;
    const recorded = await this.record(link.request, link.round, link.member, input, 'link', raise);
    if (recorded !== undefined) return recorded;
    // A different decision of this member was recorded first (two posts at once): the link is used now.
    const now = await this.resolve(token);
    if (now.kind === 'open') throw new Error('A decision vanished after it was recorded');
    return now;
  }

  /** The agreement PDF behind the page's short-lived link, while the link itself still works. */
  async agreementByLink(
    token: string,
    expires: number,
    signature: string,
  ): Promise<{ pdf: Uint8Array; version: number } | LinkRefusal> {
    if (!this.deps.signer().verifyAgreementLink(token, expires, signature, this.deps.now())) {
      return { kind: 'expired' };
    }
    const link = await this.resolve(token);
    if (link.kind !== 'open') return link;
    const version = await this.reviewedVersion(link.request.id, link.round);
    const found =
      version === undefined ? undefined : await this.deps.agreements.read(link.request.id, version);
    if (found === undefined) return { kind: 'invalid' };
    return { pdf: found.pdf, version: found.upload.version };
  }

  // --- signed in ---------------------------------------------------------------------------------------

  async queue(principal: Principal): Promise<ReviewQueue> {
    const email = principal.email === undefined ? undefined : normalEmail(principal.email);
    if (email === undefined) return { pending: [], past: [] };
    const committees = await this.committeesOf(email);
    const [rounds, decisions] = await Promise.all([
      this.deps.store.openRoundsOf(email),
      this.deps.store.decisionsBy(email),
    ]);
    const decided = new Set(decisions.map((decision) => decision.id));
    const waiting = rounds.filter(
      (round) => committees.has(round.dauId) && !decided.has(decisionId(round.dauId, round.round, email)),
    );
    const pending = await Promise.all(
      waiting.map(async (round) => {
        const request = (await this.deps.requests.find(round.requestId))?.document;
        return request === undefined || request.status === 'withdrawn'
          ? undefined
          : {
              requestId: round.requestId,
              dauId: round.dauId,
              dauName: round.dauName,
              projectName: projectNameOf(request),
              round: round.round,
              openedAt: round.openedAt,
              deadline: round.deadline,
              decisionPath: `/api/reviews/${round.requestId}/${encodeURIComponent(round.dauId)}/decision`,
            };
      }),
    );
    return {
      pending: pending
        .filter((item) => item !== undefined)
        .sort((a, b) => a.deadline.localeCompare(b.deadline)),
      past: decisions.map(({ id: _id, docType: _docType, ...decision }) => decision),
    };
  }

  async decideSignedIn(
    principal: Principal,
    requestId: string,
    dauId: string,
    input: DecisionInput,
    raise: RaiseDecision,
  ): Promise<Recorded> {
    const email = principal.email === undefined ? undefined : normalEmail(principal.email);
    const hidden = () => notFound(`No request ${requestId} with DAU ${dauId} for you to review.`);
    if (email === undefined || !(await this.committeesOf(email)).has(dauId)) throw hidden();
    const request = (await this.deps.requests.find(requestId))?.document;
    const requestDau = request?.daus.find((dau) => dau.id === dauId);
    if (request === undefined || requestDau === undefined || request.status === 'draft') throw hidden();
    const record = dauReviewRecordSchema.safeParse(requestDau.review);
    if (!record.success) {
      throw new AppError(reviewProblems.notAwaitingDecision, `${dauId} of this request is not in review.`);
    }
    const existing = await this.deps.store.findDecision(
      requestId,
      decisionId(dauId, record.data.round, email),
    );
    if (existing !== undefined) return this.replay(existing, input, raise);
    const round = await this.deps.store.findRound(requestId, dauId, record.data.round);
    const member = round?.members.find((candidate) => candidate.email === email);
    if (
      round === undefined ||
      member === undefined ||
      round.status !== 'open' ||
      request.status === 'withdrawn'
    ) {
      throw new AppError(
        reviewProblems.notAwaitingDecision,
        `${dauId} of this request is ${requestDau.status}: there is nothing to decide now.`,
      );
    }
    const recorded = await this.record(request, round, member, input, 'signed-in', raise);
    if (recorded === undefined) {
      const raced = await this.deps.store.findDecision(requestId, decisionId(dauId, round.round, email));
      if (raced === undefined) throw new Error('A decision vanished after it was recorded');
      return this.replay(raced, input, raise);
    }
    return recorded;
  }

  // --- shared --------------------------------------------------------------------------------------------

  /**
   * Records the member's decision and tells the orchestration; `undefined` when a different decision of
   * theirs was recorded first (two posts at once), for the caller to answer as a used link or a conflict.
   */
  private async record(
    request: RequestDocument,
    round: ReviewRound,
    member: Member,
    input: DecisionInput,
    via: ReviewDecision['via'],
    raise: RaiseDecision,
  ): Promise<Recorded | undefined> {
    const decision: ReviewDecision = {
      id: decisionId(round.dauId, round.round, member.email),
      requestId: request.id,
      docType: 'reviewDecision',
      dauId: round.dauId,
      round: round.round,
      member,
      verdict: input.verdict,
      reason: input.reason ?? null,
      remark: input.remark === undefined ? null : { text: input.remark, visibility: input.remarkVisibility },
      decidedAt: this.deps.now().toISOString(),
      via,
    };
    const { decision: stored, created } = await this.deps.store.recordDecision(decision);
    if (!created && !sameDecision(stored, input)) return undefined;
    await this.announce(stored, raise);
    return { decision: stored, replayed: !created };
  }

  private async replay(
    existing: ReviewDecision,
    input: DecisionInput,
    raise: RaiseDecision,
  ): Promise<Recorded> {
    if (!sameDecision(existing, input)) {
      throw new AppError(
        reviewProblems.decisionAlreadyRecorded,
        `You decided "${existing.verdict}" in this round on ${existing.decidedAt}; a decision is final.`,
        { extensions: { recorded: { verdict: existing.verdict, decidedAt: existing.decidedAt } } },
      );
    }
    await this.announce(existing, raise);
    return { decision: existing, replayed: true };
  }

  /** On the timeline (once, by key), then to the orchestration (as often as asked: it counts records). */
  private async announce(decision: ReviewDecision, raise: RaiseDecision): Promise<void> {
    await this.deps.timeline.append(decision.requestId, {
      type: 'review.decision-recorded',
      actor: { kind: 'committee', id: decision.member.email, email: decision.member.email },
      idempotencyKey: `review:${decision.requestId}:${decision.id}`,
      at: decision.decidedAt,
      details: { dauId: decision.dauId, round: decision.round, verdict: decision.verdict, via: decision.via },
    });
    await raise(decision.requestId, decision.dauId, { round: decision.round, decisionId: decision.id });
  }

  /** Where a link stands now; reads only. */
  private async resolve(token: string): Promise<OpenLink | LinkRefusal> {
    const verified = this.deps.signer().verify(token, this.deps.now());
    if (!verified.ok) return { kind: verified.reason === 'expired' ? 'expired' : 'invalid' };
    const { claims } = verified;
    const round = await this.deps.store.findRound(claims.r, claims.d, claims.n);
    const member = round?.members.find((candidate) => candidate.email === claims.m);
    const request = round === undefined ? undefined : (await this.deps.requests.find(claims.r))?.document;
    const requestDau = request?.daus.find((dau) => dau.id === claims.d);
    if (round === undefined || member === undefined || request === undefined || requestDau === undefined) {
      return { kind: 'invalid' };
    }
    const used = await this.deps.store.findDecision(claims.r, decisionId(claims.d, claims.n, claims.m));
    if (used !== undefined) return { kind: 'used', decision: used };
    if (request.status === 'withdrawn') return { kind: 'closed', why: 'withdrawn' };
    if (round.status === 'closed') {
      const why =
        round.outcome === 'returned' ? 'returned' : round.outcome === 'withdrawn' ? 'withdrawn' : 'decided';
      const current = dauReviewRecordSchema.safeParse(requestDau.review);
      const superseded = current.success && current.data.round > round.round;
      return { kind: 'closed', why: superseded ? 'superseded' : why };
    }
    return { kind: 'open', claims, request, requestDau, round, member };
  }

  private async committeesOf(email: string): Promise<ReadonlySet<string>> {
    const daus = await this.deps.daus();
    return new Set(
      daus
        .filter((dau) => dau.committeeMembers.some((member) => normalEmail(member.email) === email))
        .map((dau) => dau.id),
    );
  }

  private async agreementOf(
    request: RequestDocument,
    round: ReviewRound,
    token: string,
  ): Promise<ReviewPage['agreement']> {
    if (request.agreementRoute === 'electronic') {
      return {
        kind: 'electronic',
        signers: request.signatories.map((signer) => `${signer.name} (${signer.role.replace(/_/g, ' ')})`),
      };
    }
    const version = await this.reviewedVersion(request.id, round);
    const upload = (await this.deps.agreements.list(request.id)).find((item) => item.version === version);
    if (upload === undefined) return { kind: 'none' };
    const expires =
      Math.floor(this.deps.now().getTime() / 1000) +
      (this.deps.agreementLinkSeconds ?? defaultAgreementLinkSeconds);
    const signature = this.deps.signer().agreementLinkSignature(token, expires);
    // Relative to the page (`…/review-links/{token}`), so it works under any base URL.
    return {
      kind: 'uploaded',
      upload,
      link: `${token}/agreement?expires=${expires}&signature=${signature}`,
    };
  }

  /** The version this round reviews: the revision that opened it, else the latest upload. */
  private async reviewedVersion(requestId: string, round: ReviewRound): Promise<number | undefined> {
    if (round.revision !== null) return round.revision.version;
    return (await this.deps.agreements.list(requestId)).at(-1)?.version;
  }
}

function sameDecision(recorded: ReviewDecision, input: DecisionInput): boolean {
  return recorded.verdict === input.verdict;
}
