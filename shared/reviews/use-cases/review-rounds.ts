/**
 * What the `dauReview` orchestration's activities do: open a round (record it, put the DAU in review with its
 * deadline, make every member's invitation with their own link), remind the members who have not decided,
 * tally the recorded decisions onto the request, conclude the round, and tell the admins when a deadline
 * passes. Each runs at least once, so each is idempotent: the round is created once (a retry finds it, with
 * the deadline it got first), DAU changes apply only from the state they leave, events are keyed.
 */
import type { Dau } from '../../catalog/model';
import type { NotificationInput, Recipient } from '../../notifications/model';
import type { NewEvent, RequestDau, RequestDocument } from '../../requests/model';
import { withDau, type RequestProgress } from '../../requests/progress';
import { FINAL_REQUEST_STATUSES } from '../../requests/status';
import type {
  ConcludeReviewInput,
  OpenedReviewRoundAnswer,
  OpenReviewRoundInput,
  RemindReviewersInput,
  ReviewDeadlinePassedInput,
  TalliedDecisions,
  TallyReviewInput,
} from '../../lifecycle/review-activities';
import type { ReviewLinkSigner } from '../link-tokens';
import {
  dauReviewRecordSchema,
  normalEmail,
  roundId,
  type DauReviewRecord,
  type Member,
  type ReviewRound,
} from '../model';
import type { DauSelectionCounts, ReviewStore } from '../ports';

export interface ReviewSettings {
  readonly decisionDays: number;
  readonly reminderDays: number;
  readonly linkValidityDays: number;
  readonly adminEmails: readonly string[];
}

export interface ReviewRoundsDependencies {
  readonly store: ReviewStore;
  readonly progress: Pick<RequestProgress, 'read' | 'apply'>;
  /** The catalog's DAU documents (committee members and decision rule). */
  readonly daus: () => Promise<readonly Dau[]>;
  readonly signer: () => ReviewLinkSigner;
  readonly counts: DauSelectionCounts;
  readonly settings: ReviewSettings;
}

const dayMs = 24 * 60 * 60 * 1000;
/** Where a DAU may stand when a round opens (the agreement step or a return put it there). */
const reviewableStatuses: ReadonlySet<RequestDau['status']> = new Set([
  'in_review',
  'returned',
  'awaiting_agreement',
  'submitted',
]);
const actor = { kind: 'system', id: 'dauReview', email: null } as const;

export class ReviewRounds {
  constructor(private readonly deps: ReviewRoundsDependencies) {}

  async open(input: OpenReviewRoundInput): Promise<OpenedReviewRoundAnswer> {
    const { store, progress, settings } = this.deps;
    const request = await progress.read(input.requestId);
    const requestDau = dauOf(request, input.dauId);
    const catalogDau = (await this.deps.daus()).find((dau) => dau.id === input.dauId);
    const members = uniqueMembers(catalogDau?.committeeMembers ?? []);
    if (catalogDau === undefined || members.length === 0) {
      throw new Error(`DAU ${input.dauId} has no committee to decide on request ${input.requestId}`);
    }
    const round = await store.openRound({
      id: roundId(input.dauId, input.round),
      requestId: input.requestId,
      docType: 'reviewRound',
      dauId: input.dauId,
      dauName: requestDau.name,
      round: input.round,
      rule: catalogDau.decisionRule,
      members,
      memberEmails: members.map((member) => member.email),
      openedAt: input.openedAt,
      deadline: new Date(Date.parse(input.openedAt) + settings.decisionDays * dayMs).toISOString(),
      dauCounts: await this.deps.counts.countsIn(request.selection.query, input.dauId),
      revision:
        input.revision === null
          ? null
          : {
              version: input.revision.version,
              sha256: input.revision.sha256,
              uploadedBy: input.revision.uploadedBy,
            },
      status: 'open',
      outcome: null,
      closedAt: null,
    });

    const previous = dauReviewRecordSchema.safeParse(requestDau.review);
    const record: DauReviewRecord = {
      status: 'in_review',
      round: round.round,
      rule: round.rule,
      committeeSize: round.members.length,
      openedAt: round.openedAt,
      deadline: round.deadline,
      approvals: 0,
      rejections: 0,
      requesterRemarks: previous.success ? previous.data.requesterRemarks : [],
      returnReasons: previous.success ? previous.data.returnReasons : [],
      decidedAt: null,
    };
    const event: NewEvent = {
      type: 'review.round-opened',
      actor,
      idempotencyKey: `${roundKey(input)}:opened`,
      at: round.openedAt,
      details: {
        dauId: input.dauId,
        round: round.round,
        rule: round.rule,
        committeeSize: round.members.length,
        deadline: round.deadline,
        ...(round.revision === null ? {} : { revisedAgreementVersion: round.revision.version }),
      },
    };
    const updated = await progress.apply(
      input.requestId,
      (current) =>
        withDau(current, input.dauId, (dau) => {
          const opened = dauReviewRecordSchema.safeParse(dau.review);
          if (opened.success && opened.data.round >= round.round) return dau;
          if (!reviewableStatuses.has(dau.status)) return dau;
          return { ...dau, status: 'in_review', review: record };
        }),
      [event],
    );
    // A request that ended meanwhile (withdrawn) invites nobody: its withdrawal ends this review too.
    const invitations = FINAL_REQUEST_STATUSES.has(updated.status)
      ? []
      : round.members.map((member) =>
          this.linkMail(
            'committee_invitation',
            updated,
            round,
            member,
            input.openedAt,
            `round-${round.round}`,
          ),
        );
    return {
      rule: round.rule,
      committeeSize: round.members.length,
      openedAt: round.openedAt,
      deadline: round.deadline,
      reminderDays: settings.reminderDays,
      invitations,
    };
  }

  async remind(input: RemindReviewersInput): Promise<NotificationInput[]> {
    const round = await this.openRound(input);
    if (round === undefined) return [];
    const decided = new Set(
      (await this.deps.store.decisionsOn(input.requestId, input.dauId, input.round)).map(
        (decision) => decision.member.email,
      ),
    );
    const request = await this.deps.progress.read(input.requestId);
    return round.members
      .filter((member) => !decided.has(member.email))
      .map((member) =>
        this.linkMail(
          'committee_reminder',
          request,
          round,
          member,
          input.at,
          `round-${round.round}-reminder-${input.reminder}`,
        ),
      );
  }

  async tally(input: TallyReviewInput): Promise<TalliedDecisions> {
    const all = await this.deps.store.decisionsOn(input.requestId, input.dauId);
    const current = all.filter((decision) => decision.round === input.round);
    const requesterRemarks = all.flatMap((decision) =>
      decision.remark?.visibility === 'requester'
        ? [{ text: decision.remark.text, at: decision.decidedAt, round: decision.round }]
        : [],
    );
    const approvals = current.filter((decision) => decision.verdict === 'approve').length;
    const rejections = current.filter((decision) => decision.verdict === 'reject').length;
    await this.deps.progress.apply(input.requestId, (request) =>
      withDau(request, input.dauId, (dau) => {
        const record = dauReviewRecordSchema.safeParse(dau.review);
        if (!record.success || record.data.round !== input.round || record.data.status !== 'in_review')
          return dau;
        const { data } = record;
        const unchanged =
          data.approvals === approvals &&
          data.rejections === rejections &&
          data.requesterRemarks.length === requesterRemarks.length;
        return unchanged ? dau : { ...dau, review: { ...data, approvals, rejections, requesterRemarks } };
      }),
    );
    return {
      decisions: current.map(({ verdict, reason, decidedAt }) => ({ verdict, reason, decidedAt })),
    };
  }

  async conclude(input: ConcludeReviewInput): Promise<NotificationInput[]> {
    const { store, progress } = this.deps;
    await store.closeRound(input.requestId, input.dauId, input.round, input.outcome, input.at);
    const from: readonly RequestDau['status'][] =
      input.outcome === 'withdrawn' ? ['in_review', 'returned'] : ['in_review'];
    const event: NewEvent = {
      type: `review.dau-${input.outcome}`,
      actor,
      idempotencyKey: `${roundKey(input)}:${input.outcome}`,
      at: input.at,
      details: { dauId: input.dauId, round: input.round, reasons: input.reasons },
    };
    const request = await progress.apply(
      input.requestId,
      (current) =>
        withDau(current, input.dauId, (dau) => {
          const record = dauReviewRecordSchema.safeParse(dau.review);
          if (!record.success || record.data.round !== input.round || !from.includes(dau.status)) return dau;
          const decided = input.outcome === 'approved' || input.outcome === 'rejected';
          return {
            ...dau,
            status: input.outcome,
            review: {
              ...record.data,
              status: input.outcome,
              decidedAt: decided ? input.at : record.data.decidedAt,
              returnReasons: input.outcome === 'returned' ? input.reasons : record.data.returnReasons,
            },
          };
        }),
      [event],
    );
    const owner = requesterOf(request);
    if (owner === undefined || input.outcome === 'withdrawn') return [];
    const common = {
      requestId: request.id,
      projectName: projectNameOf(request),
      recipients: [owner],
    };
    const dau = { id: input.dauId, name: dauOf(request, input.dauId).name };
    switch (input.outcome) {
      case 'approved':
        return [{ event: 'dau_approved', ...common, dau }];
      case 'rejected':
        return [{ event: 'dau_rejected', ...common, dau, reason: joined(input.reasons) }];
      case 'returned':
        return [
          {
            event: 'agreement_returned',
            ...common,
            reasons: input.reasons.map((reason) => `${dau.name}: ${reason}`.slice(0, 2000)),
            occurrence: `${input.dauId}-round-${input.round}`,
          },
        ];
    }
  }

  async deadlinePassed(input: ReviewDeadlinePassedInput): Promise<NotificationInput[]> {
    const round = await this.openRound(input);
    if (round === undefined) return [];
    const decided = (await this.deps.store.decisionsOn(input.requestId, input.dauId, input.round)).length;
    const request = await this.deps.progress.apply(input.requestId, () => undefined, [
      {
        type: 'review.deadline-passed',
        actor,
        idempotencyKey: `${roundKey(input)}:deadline-passed`,
        at: input.at,
        details: { dauId: input.dauId, round: input.round, deadline: round.deadline, decided },
      },
    ]);
    const admins = this.deps.settings.adminEmails.slice(0, 50);
    if (admins.length === 0) return [];
    return [
      {
        event: 'review_deadline_passed',
        requestId: request.id,
        projectName: projectNameOf(request),
        recipients: admins.map((address) => ({ address })),
        dau: { id: round.dauId, name: round.dauName },
        deadline: round.deadline,
        decided,
        committeeSize: round.members.length,
        occurrence: `round-${round.round}`,
      },
    ];
  }

  private async openRound(input: TallyReviewInput): Promise<ReviewRound | undefined> {
    const round = await this.deps.store.findRound(input.requestId, input.dauId, input.round);
    return round?.status === 'open' ? round : undefined;
  }

  /** A member's mail with their own link, valid `linkValidityDays` from `issuedAt`. */
  private linkMail(
    event: 'committee_invitation' | 'committee_reminder',
    request: RequestDocument,
    round: ReviewRound,
    member: Member,
    issuedAt: string,
    occurrence: string,
  ): NotificationInput {
    const expires = Math.floor(Date.parse(issuedAt) / 1000) + this.deps.settings.linkValidityDays * 86_400;
    const reviewToken = this.deps.signer().sign({
      r: request.id,
      d: round.dauId,
      m: member.email,
      n: round.round,
      exp: expires,
    });
    return {
      event,
      requestId: request.id,
      projectName: projectNameOf(request),
      recipients: [{ address: member.email, displayName: member.name }],
      dau: { id: round.dauId, name: round.dauName },
      reviewToken,
      decideBy: round.deadline,
      occurrence,
    };
  }
}

export function projectNameOf(request: RequestDocument): string {
  return request.answers.destination?.projectName?.trim() || 'Untitled request';
}

function dauOf(request: RequestDocument, dauId: string): RequestDau {
  const dau = request.daus.find((candidate) => candidate.id === dauId);
  if (dau === undefined) throw new Error(`Request ${request.id} has no DAU ${dauId}`);
  return dau;
}

function uniqueMembers(members: readonly Member[]): Member[] {
  const byEmail = new Map<string, Member>();
  for (const member of members) {
    const email = normalEmail(member.email);
    if (!byEmail.has(email)) byEmail.set(email, { name: member.name, email });
  }
  return [...byEmail.values()];
}

function requesterOf(request: RequestDocument): Recipient | undefined {
  if (request.owner.email === null) return undefined;
  return {
    address: request.owner.email,
    ...(request.owner.name === null ? {} : { displayName: request.owner.name }),
  };
}

function roundKey(input: TallyReviewInput): string {
  return `review:${input.requestId}:${input.dauId}:round-${input.round}`;
}

function joined(reasons: readonly string[]): string {
  return (reasons.length === 0 ? 'No reason given.' : reasons.join(' / ')).slice(0, 2000);
}
