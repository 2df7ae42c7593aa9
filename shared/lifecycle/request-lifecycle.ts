/**
 * `requestLifecycle`: one orchestration per submitted request (DESIGN §8). Open and already-held DAUs go
 * to vending at once; controlled DAUs wait for the agreement (agreement-step.ts), then each goes to its own
 * review, and each approved DAU to vending as soon as it is approved, without waiting for the others. A
 * withdrawal ends whatever still waits. No I/O here: every read and write is an activity.
 */
import * as df from 'durable-functions';
import type { OrchestrationContext, Task } from 'durable-functions';
import { agreementStep } from './agreement-step';
import {
  endReviewBranchesActivity,
  lifecyclePlanSchema,
  planRequestLifecycleActivity,
  recordStageFailureActivity,
} from './lifecycle-activities';
import { notify } from './notify';
import {
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

interface Branch {
  readonly task: Task;
  readonly dauId: string;
  readonly stage: 'review' | 'vending';
}

export function* requestLifecycle(context: OrchestrationContext): Generator<Task, unknown, unknown> {
  const { requestId } = lifecycleInputSchema.parse(context.df.getInput());
  const plan = lifecyclePlanSchema.parse(
    yield context.df.callActivityWithRetry(planRequestLifecycleActivity, activityRetry, { requestId }),
  );
  if (plan.submittedNotification !== undefined) yield* notify(context, plan.submittedNotification);

  const withdrawn = context.df.waitForExternalEvent(lifecycleEvents.withdrawn);
  const now = () => context.df.currentUtcDateTime.toISOString();
  const vend = (dauId: string, approvedAt: string): Branch => {
    const input: DauVendingInput = { requestId, dauId, approvedAt };
    const instanceId = vendingInstanceId(requestId, dauId);
    return {
      task: context.df.callSubOrchestrator(dauVendingOrchestration, input, instanceId),
      dauId,
      stage: 'vending',
    };
  };
  const review = (dauId: string): Branch => ({
    task: context.df.callSubOrchestrator(
      dauReviewOrchestration,
      { requestId, dauId },
      reviewInstanceId(requestId, dauId),
    ),
    dauId,
    stage: 'review',
  });

  const branches: Branch[] = plan.daus
    .filter((dau) => !dau.agreementRequired)
    .map((dau) => vend(dau.id, now()));
  const controlled = plan.daus.filter((dau) => dau.agreementRequired).map((dau) => dau.id);
  if (controlled.length > 0) {
    if (plan.route === 'none')
      throw new Error(`Request ${requestId} has controlled DAUs but no agreement route`);
    const agreement = yield* agreementStep(context, { requestId, route: plan.route }, withdrawn);
    if (agreement === 'signed') branches.push(...controlled.map(review));
    if (agreement === 'withdrawn') return { requestId, ended: 'withdrawn' };
  }

  while (branches.length > 0) {
    const winner = yield context.df.Task.any([withdrawn, ...branches.map((branch) => branch.task)]);
    if (winner === withdrawn) {
      const { by } = withdrawnSchema.parse(withdrawn.result);
      const dauIds = branches.filter((branch) => branch.stage === 'review').map((branch) => branch.dauId);
      if (dauIds.length > 0) {
        yield context.df.callActivityWithRetry(endReviewBranchesActivity, activityRetry, {
          requestId,
          dauIds,
          by,
        });
      }
      return { requestId, ended: 'withdrawn' };
    }
    const index = branches.findIndex((branch) => branch.task === winner);
    const [branch] = branches.splice(index, 1);
    if (branch === undefined) continue;
    if (branch.task.isFaulted) {
      const reason = String((branch.task.result as Error | undefined)?.message ?? 'failed').split(
        '\n',
        1,
      )[0]!;
      yield context.df.callActivityWithRetry(recordStageFailureActivity, activityRetry, {
        requestId,
        dauId: branch.dauId,
        stage: branch.stage,
        reason: reason.slice(0, 2000),
      });
      continue;
    }
    if (branch.stage === 'review') {
      const outcome = dauReviewOutcomeSchema.parse(branch.task.result);
      if (outcome.decision === 'approved') branches.push(vend(branch.dauId, outcome.at));
    }
  }
  return { requestId, ended: 'settled' };
}
