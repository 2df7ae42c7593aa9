/**
 * `dauReview`: one DAU's committee review, a sub-orchestration of `requestLifecycle` (DESIGN §8), in rounds.
 * A round opens (the DAU `in_review` with its deadline), every member is mailed their own decision link, and
 * the round waits — for a recorded decision, the withdrawal, the next reminder and the deadline, whichever
 * comes first — until the DAU's rule decides it. A return for revision sends the agreement back to the
 * requester and waits for the revised upload, which opens the next round with new links (the old ones die
 * with their round). The outcome is the parent's: approved (it vends that DAU at once), rejected, withdrawn.
 *
 * No I/O here: every read, write and mail is an activity. Decisions are counted from what is recorded, not
 * from the events (an event only says "look again"), so a decision raised twice, or whose event was lost and
 * is found at the next reminder, counts exactly once. Besides the contracts, this imports the rule itself
 * (decision-rules.ts): pure code, the same on every replay.
 */
import * as df from 'durable-functions';
import type { OrchestrationContext, Task, TimerTask } from 'durable-functions';
import { concludeRound, type DecidedRound } from '../reviews/decision-rules';
import { notify } from './notify';
import {
  agreementRevisedSchema,
  dauStageInputSchema,
  reviewEvents,
  type AgreementUploaded,
  type DauReviewOutcome,
  type DauStageInput,
} from './request-lifecycle-contract';
import {
  concludeReviewActivity,
  notificationsSchema,
  openedReviewRoundSchema,
  openReviewRoundActivity,
  remindReviewersActivity,
  reviewDeadlinePassedActivity,
  talliedDecisionsSchema,
  tallyReviewActivity,
  type ConcludeReviewInput,
  type OpenedReviewRound,
  type OpenReviewRoundInput,
} from './review-activities';

const activityRetry = Object.assign(new df.RetryOptions(5_000, 6), { backoffCoefficient: 2 });
const dayMs = 24 * 60 * 60 * 1000;

type RoundRef = DauStageInput & { readonly round: number };

export function* dauReview(context: OrchestrationContext): Generator<Task, DauReviewOutcome, unknown> {
  const { requestId, dauId } = dauStageInputSchema.parse(context.df.getInput());
  const now = () => context.df.currentUtcDateTime.toISOString();
  const withdrawn = context.df.waitForExternalEvent(reviewEvents.withdrawn);
  let revision: AgreementUploaded | null = null;

  for (let round = 1; ; round += 1) {
    const ref: RoundRef = { requestId, dauId, round };
    const openInput: OpenReviewRoundInput = { ...ref, openedAt: now(), revision };
    const opened = openedReviewRoundSchema.parse(
      yield context.df.callActivityWithRetry(openReviewRoundActivity, activityRetry, openInput),
    );
    for (const invitation of opened.invitations) yield* notify(context, invitation);

    const conclusion = yield* awaitConclusion(context, ref, opened, withdrawn);
    const at = now();
    const concluded = conclusion === 'withdrawn' ? ({ outcome: 'withdrawn' } as const) : conclusion;
    const concludeInput: ConcludeReviewInput = {
      ...ref,
      outcome: concluded.outcome,
      reasons: 'reasons' in concluded ? [...concluded.reasons] : [],
      at,
    };
    const { notifications } = notificationsSchema.parse(
      yield context.df.callActivityWithRetry(concludeReviewActivity, activityRetry, concludeInput),
    );
    for (const notification of notifications) yield* notify(context, notification);
    if (concluded.outcome !== 'returned') return { decision: concluded.outcome, at };

    // Returned: the requester revises the agreement; nothing is decided meanwhile.
    const revised = context.df.waitForExternalEvent(reviewEvents.agreementRevised);
    const winner: unknown = yield context.df.Task.any([revised, withdrawn]);
    if (winner === withdrawn) {
      const withdrawnAt = now();
      const input: ConcludeReviewInput = { ...ref, outcome: 'withdrawn', reasons: [], at: withdrawnAt };
      yield context.df.callActivityWithRetry(concludeReviewActivity, activityRetry, input);
      return { decision: 'withdrawn', at: withdrawnAt };
    }
    revision = agreementRevisedSchema.parse(revised.result);
  }
}

/**
 * Waits until the round is decided or the request withdrawn, sending each reminder (to the members who have
 * not decided) and the admins' mail once the deadline passes; the round goes on after its deadline. Each
 * wait races one fresh timer — the next reminder, else the deadline — cancelled when something else wins:
 * a pending timer is never carried into the next `Task.any` (the Durable extension schedules a carried-over
 * timer a second time — azure-functions-durable-js#574 — so a fresh timer per wait behaves the same everywhere).
 */
function* awaitConclusion(
  context: OrchestrationContext,
  ref: RoundRef,
  opened: OpenedReviewRound,
  withdrawn: Task,
): Generator<Task, DecidedRound | 'withdrawn', unknown> {
  const deadline = new Date(opened.deadline);
  const reminderTimes = reminderSchedule(opened);
  let decision = context.df.waitForExternalEvent(reviewEvents.decision);
  let remindersSent = 0;
  let deadlinePassed = false;

  for (;;) {
    const nextReminder = reminderTimes[remindersSent];
    const wake =
      nextReminder !== undefined
        ? { kind: 'reminder' as const, at: nextReminder }
        : deadlinePassed
          ? undefined
          : { kind: 'deadline' as const, at: deadline };
    const timer: TimerTask | undefined = wake === undefined ? undefined : context.df.createTimer(wake.at);
    const winner: unknown = yield context.df.Task.any(
      timer === undefined ? [decision, withdrawn] : [decision, withdrawn, timer],
    );
    if (timer !== undefined && winner !== timer) timer.cancel();

    if (winner === withdrawn) return 'withdrawn';
    const at = context.df.currentUtcDateTime.toISOString();
    if (winner === timer && wake?.kind === 'deadline') {
      deadlinePassed = true;
      const { notifications } = notificationsSchema.parse(
        yield context.df.callActivityWithRetry(reviewDeadlinePassedActivity, activityRetry, { ...ref, at }),
      );
      for (const notification of notifications) yield* notify(context, notification);
      continue;
    }
    if (winner === timer) {
      remindersSent += 1;
      const input = { ...ref, reminder: remindersSent, at };
      const { notifications } = notificationsSchema.parse(
        yield context.df.callActivityWithRetry(remindReviewersActivity, activityRetry, input),
      );
      for (const notification of notifications) yield* notify(context, notification);
    } else {
      decision = context.df.waitForExternalEvent(reviewEvents.decision);
    }
    // After a decision event, and at each reminder (which finds a decision whose event was lost).
    const { decisions } = talliedDecisionsSchema.parse(
      yield context.df.callActivityWithRetry(tallyReviewActivity, activityRetry, ref),
    );
    const conclusion = concludeRound(opened.rule, opened.committeeSize, decisions);
    if (conclusion.outcome !== 'pending') return conclusion;
  }
}

/** Reminders every `reminderDays` after the round opened, while before the deadline. */
function reminderSchedule(opened: OpenedReviewRound): Date[] {
  if (opened.reminderDays === 0) return [];
  const start = Date.parse(opened.openedAt);
  const deadline = Date.parse(opened.deadline);
  const times: Date[] = [];
  for (let at = start + opened.reminderDays * dayMs; at < deadline; at += opened.reminderDays * dayMs) {
    times.push(new Date(at));
  }
  return times;
}
