/**
 * The durable contract of a DAU's committee review (`dauReview`, dau-review.ts): its activities' names and
 * input/output schemas, and the payload of the `ReviewDecision` event, for the orchestrator and the function
 * file that registers them (`functions/reviews.ts`). Only zod here.
 */
import { z } from 'zod';
import { decisionRuleSchema } from '../catalog/model';
import { notificationSchema } from '../notifications/model';
import { agreementRevisedSchema, dauStageInputSchema } from './request-lifecycle-contract';

/** Opens a round: records it, puts the DAU `in_review` with its deadline, and makes each member's invitation. */
export const openReviewRoundActivity = 'openReviewRound';
/** The reminders of a round: one mail to each member who has not decided yet, each with a fresh link. */
export const remindReviewersActivity = 'remindReviewers';
/** Reads the round's recorded decisions (each counted once, however often it was raised) onto the request. */
export const tallyReviewActivity = 'tallyReview';
/** Ends a round with its outcome: the round closes (its links die), the DAU takes the outcome, the mails. */
export const concludeReviewActivity = 'concludeReview';
/** The deadline passed undecided: on the timeline, and the admins' mail. */
export const reviewDeadlinePassedActivity = 'reviewDeadlinePassed';

const roundRef = dauStageInputSchema.extend({ round: z.number().int().min(1) });

export const openReviewRoundInputSchema = roundRef.extend({
  /** The orchestration's time: the deadline and the links' expiry are reckoned from it. */
  openedAt: z.iso.datetime(),
  /** The revised agreement this round reviews (round 2 onwards). */
  revision: agreementRevisedSchema.nullable(),
});
export type OpenReviewRoundInput = z.infer<typeof openReviewRoundInputSchema>;

export const openedReviewRoundSchema = z.object({
  rule: decisionRuleSchema,
  committeeSize: z.number().int().min(1),
  openedAt: z.iso.datetime(),
  deadline: z.iso.datetime(),
  /** Days between reminders (0: none), as configured when the round opened. */
  reminderDays: z.number().int().min(0),
  invitations: z.array(notificationSchema),
});
export type OpenedReviewRound = z.infer<typeof openedReviewRoundSchema>;
/** What the activity answers (notifications before their defaults). */
export type OpenedReviewRoundAnswer = z.input<typeof openedReviewRoundSchema>;

export const remindReviewersInputSchema = roundRef.extend({
  /** 1 for the first reminder of the round, 2 for the second, ... */
  reminder: z.number().int().min(1),
  at: z.iso.datetime(),
});
export type RemindReviewersInput = z.infer<typeof remindReviewersInputSchema>;

export const notificationsSchema = z.object({ notifications: z.array(notificationSchema) });

export const tallyReviewInputSchema = roundRef;
export type TallyReviewInput = z.infer<typeof tallyReviewInputSchema>;

export const talliedDecisionsSchema = z.object({
  decisions: z.array(
    z.object({
      verdict: z.enum(['approve', 'reject', 'return']),
      reason: z.string().nullable(),
      decidedAt: z.iso.datetime(),
    }),
  ),
});
export type TalliedDecisions = z.infer<typeof talliedDecisionsSchema>;

export const concludeReviewInputSchema = roundRef.extend({
  outcome: z.enum(['approved', 'rejected', 'returned', 'withdrawn']),
  /** The rejection's reasons, or what must change for a return; empty otherwise. */
  reasons: z.array(z.string().min(1).max(2000)).max(20),
  at: z.iso.datetime(),
});
export type ConcludeReviewInput = z.infer<typeof concludeReviewInputSchema>;

export const reviewDeadlinePassedInputSchema = roundRef.extend({ at: z.iso.datetime() });
export type ReviewDeadlinePassedInput = z.infer<typeof reviewDeadlinePassedInputSchema>;

/**
 * The `ReviewDecision` event: a member's decision was recorded (`reviews`, by key) for this round. The
 * orchestration then reads the round's recorded decisions, so a decision raised twice still counts once.
 */
export const reviewDecisionEventSchema = z.object({
  round: z.number().int().min(1),
  decisionId: z.string().min(1).max(300),
});
export type ReviewDecisionEvent = z.infer<typeof reviewDecisionEventSchema>;
