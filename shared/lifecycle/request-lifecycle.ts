/**
 * `requestLifecycle`: one orchestration per submitted request (DESIGN §8). Open and already-held DAUs go
 * to vending at once; controlled DAUs wait for the agreement (agreement-step.ts), then each goes its own way
 * (`dauBranch`: its review, then — as soon as it is approved, without waiting for the others — its vending).
 * A withdrawal ends whatever still waits. No I/O here: every read and write is an activity.
 *
 * No pending task is ever yielded twice (a `Task.any` loop over the branches would do that): the Durable
 * extension schedules a task carried into a second `Task.any` again (azure-functions-durable-js#574). So the
 * parent waits once, for the withdrawal or all branches, and each branch handles its own stages and failures.
 */
import * as df from 'durable-functions';
import type { OrchestrationContext, Task } from 'durable-functions';
import { agreementStep } from './agreement-step';
import {
  dauBranchInputSchema,
  endReviewBranchesActivity,
  lifecyclePlanSchema,
  planRequestLifecycleActivity,
  recordStageFailureActivity,
  startOpenBranchesActivity,
  type DauBranchInput,
} from './lifecycle-activities';
import { notify } from './notify';
import {
  dauBranchInstanceId,
  dauBranchOrchestration,
  dauReviewOrchestration,
  dauReviewOutcomeSchema,
  dauVendingOrchestration,
  lifecycleEvents,
  lifecycleInputSchema,
  reviewInstanceId,
  vendingInstanceId,
  withdrawnSchema,
  type DauVendingInput,
} from './request-lifecycle-contract';

const activityRetry = Object.assign(new df.RetryOptions(5_000, 6), { backoffCoefficient: 2 });

export function* requestLifecycle(context: OrchestrationContext): Generator<Task, unknown, unknown> {
  const { requestId } = lifecycleInputSchema.parse(context.df.getInput());
  const plan = lifecyclePlanSchema.parse(
    yield context.df.callActivityWithRetry(planRequestLifecycleActivity, activityRetry, { requestId }),
  );
  if (plan.submittedNotification !== undefined) yield* notify(context, plan.submittedNotification);

  // Open and held DAUs: their branches start now as instances of their own, so the agreement never holds
  // them up (a sub-orchestration would only start once the parent yields it).
  const open = plan.daus.filter((dau) => !dau.agreementRequired).map((dau) => dau.id);
  if (open.length > 0) {
    const approvedAt = context.df.currentUtcDateTime.toISOString();
    yield context.df.callActivityWithRetry(startOpenBranchesActivity, activityRetry, {
      requestId,
      dauIds: open,
      approvedAt,
    });
  }

  const controlled = plan.daus.filter((dau) => dau.agreementRequired).map((dau) => dau.id);
  if (controlled.length === 0) return { requestId, ended: 'settled' };
  if (plan.route === 'none')
    throw new Error(`Request ${requestId} has controlled DAUs but no agreement route`);
  const withdrawn = context.df.waitForExternalEvent(lifecycleEvents.withdrawn);
  const agreement = yield* agreementStep(context, { requestId, route: plan.route }, withdrawn);
  if (agreement !== 'signed') return { requestId, ended: agreement };

  const branches = controlled.map((dauId) => {
    const input: DauBranchInput = { requestId, dauId, review: true };
    return context.df.callSubOrchestrator(
      dauBranchOrchestration,
      input,
      dauBranchInstanceId(requestId, dauId),
    );
  });
  const winner = yield context.df.Task.any([withdrawn, context.df.Task.all(branches)]);
  if (winner === withdrawn) {
    const { by } = withdrawnSchema.parse(withdrawn.result);
    const waiting = controlled.filter((_dauId, index) => !branches[index]!.isCompleted);
    if (waiting.length > 0) {
      yield context.df.callActivityWithRetry(endReviewBranchesActivity, activityRetry, {
        requestId,
        dauIds: waiting,
        by,
      });
    }
    return { requestId, ended: 'withdrawn' };
  }
  return { requestId, ended: 'settled' };
}

/**
 * One DAU's way after the agreement: its review (when it needs one), then its vending from the approval on.
 * A stage that fails beyond its retries is recorded on the timeline for an admin, and the branch ends.
 */
export function* dauBranch(context: OrchestrationContext): Generator<Task, unknown, unknown> {
  const { requestId, dauId, review, approvedAt } = dauBranchInputSchema.parse(context.df.getInput());
  let approval = approvedAt ?? context.df.currentUtcDateTime.toISOString();
  if (review) {
    const reviewed = yield* stage(context, requestId, dauId, 'review', () =>
      context.df.callSubOrchestrator(
        dauReviewOrchestration,
        { requestId, dauId },
        reviewInstanceId(requestId, dauId),
      ),
    );
    if (reviewed === failed) return { dauId, ended: 'review-failed' };
    const outcome = dauReviewOutcomeSchema.parse(reviewed);
    if (outcome.decision !== 'approved') return { dauId, ended: outcome.decision };
    approval = outcome.at;
  }
  const input: DauVendingInput = { requestId, dauId, approvedAt: approval };
  const vended = yield* stage(context, requestId, dauId, 'vending', () =>
    context.df.callSubOrchestrator(dauVendingOrchestration, input, vendingInstanceId(requestId, dauId)),
  );
  return { dauId, ended: vended === failed ? 'vending-failed' : 'vended' };
}

const failed = Symbol('failed');

function* stage(
  context: OrchestrationContext,
  requestId: string,
  dauId: string,
  name: 'review' | 'vending',
  start: () => Task,
): Generator<Task, unknown, unknown> {
  try {
    return yield start();
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split('\n', 1)[0]!;
    yield context.df.callActivityWithRetry(recordStageFailureActivity, activityRetry, {
      requestId,
      dauId,
      stage: name,
      reason: reason.slice(0, 2000),
    });
    return failed;
  }
}
