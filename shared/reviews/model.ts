/**
 * Committee review per DAU (DESIGN §1 step 5, §8): each DAU needing review gets rounds — a round opens when
 * the agreement is signed and again after each revised agreement — and in each round every committee member
 * may decide once: approve, reject (with a reason) or return the agreement for revision (saying what must
 * change). The documents live in Cosmos `reviews` (partition `/requestId`, beside their request): one per
 * round, one per decision. A decision's id is derived from (DAU, round, member), so it is recorded once
 * however often it is sent, and that record — not the link — is what makes a link single-use.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { countsSchema, decisionRuleSchema } from '../catalog/model';
import { problemKind } from '../http/errors';

export const VERDICTS = ['approve', 'reject', 'return'] as const;
export const verdictSchema = z.enum(VERDICTS);
export type Verdict = z.infer<typeof verdictSchema>;

export const REMARK_VISIBILITIES = ['committee', 'requester'] as const;
export const remarkVisibilitySchema = z.enum(REMARK_VISIBILITIES);

export const MAX_REVIEW_TEXT = 2000;

/** Empty text (a form's empty field) is no text. */
const optionalText = z
  .string()
  .trim()
  .max(MAX_REVIEW_TEXT, `must be at most ${MAX_REVIEW_TEXT} characters`)
  .optional()
  .transform((text) => (text === '' ? undefined : text));

/** What a member sends to decide (the JSON body signed in, or the decision page's form). */
export const decisionInputSchema = z
  .strictObject({
    verdict: verdictSchema,
    /** Why, for a rejection; what must change, for a return. Required for both. */
    reason: optionalText,
    /** A remark for the committee, or for the requester too (`remarkVisibility`). */
    remark: optionalText,
    remarkVisibility: remarkVisibilitySchema.default('committee'),
  })
  .superRefine((input, context) => {
    if (input.verdict !== 'approve' && input.reason === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['reason'],
        message:
          input.verdict === 'reject'
            ? 'is required to reject: say why'
            : 'is required to return the agreement: say what must change',
      });
    }
  })
  .meta({ id: 'ReviewDecisionInput', description: 'A committee member’s decision on one DAU of a request' });
export type DecisionInput = z.output<typeof decisionInputSchema>;

export const memberSchema = z.object({ name: z.string().min(1), email: z.string().min(3) });
export type Member = z.infer<typeof memberSchema>;

/** How every stored e-mail is compared: trimmed and lower-cased. */
export function normalEmail(email: string): string {
  return email.trim().toLowerCase();
}

export const roundOutcomeSchema = z.enum(['approved', 'rejected', 'returned', 'withdrawn']);
export type RoundOutcome = z.infer<typeof roundOutcomeSchema>;

export const reviewRoundSchema = z.object({
  /** `round:{dauId}:{round}`. */
  id: z.string().min(1),
  requestId: z.uuid(),
  docType: z.literal('reviewRound'),
  dauId: z.string().min(1),
  dauName: z.string().min(1),
  round: z.number().int().min(1),
  rule: decisionRuleSchema,
  /** The committee when the round opened (e-mails normalised); only they decide in this round. */
  members: z.array(memberSchema).min(1),
  /** The members' e-mails, for `ARRAY_CONTAINS` in the queue's query. */
  memberEmails: z.array(z.string()),
  openedAt: z.iso.datetime(),
  /** The expected decision date the requester sees. */
  deadline: z.iso.datetime(),
  /** What the request's selection holds in this DAU, counted when the round opened. */
  dauCounts: countsSchema,
  /** The agreement version under review when it is a revised upload (round 2 onwards), else null. */
  revision: z
    .object({ version: z.number().int().min(1), sha256: z.string(), uploadedBy: z.string() })
    .nullable(),
  status: z.enum(['open', 'closed']),
  outcome: roundOutcomeSchema.nullable(),
  closedAt: z.iso.datetime().nullable(),
});
export type ReviewRound = z.infer<typeof reviewRoundSchema>;

export const reviewDecisionSchema = z
  .object({
    /** `decision:{dauId}:{round}:{hash of the member's e-mail}`: one per member and round. */
    id: z.string().min(1),
    requestId: z.uuid(),
    docType: z.literal('reviewDecision'),
    dauId: z.string().min(1),
    round: z.number().int().min(1),
    member: memberSchema,
    verdict: verdictSchema,
    reason: z.string().nullable(),
    remark: z.object({ text: z.string(), visibility: remarkVisibilitySchema }).nullable(),
    decidedAt: z.iso.datetime(),
    /** Through the e-mailed link, or signed in (`POST /api/reviews/...`). */
    via: z.enum(['link', 'signed-in']),
  })
  .meta({ id: 'ReviewDecision', description: 'A decision as recorded' });
export type ReviewDecision = z.infer<typeof reviewDecisionSchema>;

export function roundId(dauId: string, round: number): string {
  return `round:${dauId}:${round}`;
}

export function decisionId(dauId: string, round: number, memberEmail: string): string {
  const member = createHash('sha256').update(normalEmail(memberEmail)).digest('hex').slice(0, 32);
  return `decision:${dauId}:${round}:${member}`;
}

/**
 * What the request itself says about a DAU's review (`dau.review`): only what the requester may see — the
 * round, the expected decision date, the tally, remarks meant for them and the reasons of a return — since
 * the request view shows it to its owner. Who decided what stays in `reviews`.
 */
export const dauReviewRecordSchema = z.looseObject({
  status: z.enum(['in_review', 'returned', 'approved', 'rejected', 'withdrawn']),
  round: z.number().int().min(1),
  rule: decisionRuleSchema,
  committeeSize: z.number().int().min(1),
  openedAt: z.iso.datetime(),
  deadline: z.iso.datetime(),
  approvals: z.number().int().min(0),
  rejections: z.number().int().min(0),
  /** Remarks members addressed to the requester, oldest first. */
  requesterRemarks: z.array(z.object({ text: z.string(), at: z.iso.datetime(), round: z.number().int() })),
  /** What must change, when the agreement was returned (kept for the next round's history). */
  returnReasons: z.array(z.string()),
  decidedAt: z.iso.datetime().nullable(),
});
export type DauReviewRecord = z.infer<typeof dauReviewRecordSchema>;

/** The dashboard's per-DAU review summary: where the committee stands and when a decision is expected. */
export const reviewSummarySchema = z
  .object({
    status: dauReviewRecordSchema.shape.status,
    round: z.number().int(),
    expectedDecisionBy: z.iso.datetime(),
    decidedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'DauReviewSummary' });
export type ReviewSummary = z.infer<typeof reviewSummarySchema>;

/** The summary of a request DAU's `review` record, or null when it has none (yet). */
export function reviewSummaryOf(review: unknown): ReviewSummary | null {
  const parsed = dauReviewRecordSchema.safeParse(review);
  if (!parsed.success) return null;
  const { status, round, deadline, decidedAt } = parsed.data;
  return { status, round, expectedDecisionBy: deadline, decidedAt };
}

export const reviewProblems = {
  notAwaitingDecision: problemKind('review-not-open', 409, 'This DAU is not waiting for a decision'),
  decisionAlreadyRecorded: problemKind(
    'decision-already-recorded',
    409,
    'You already decided differently in this round',
  ),
  linksUnavailable: problemKind('review-links-unavailable', 503, 'Review links are not configured'),
} as const;
