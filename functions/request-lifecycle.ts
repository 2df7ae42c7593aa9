import * as df from 'durable-functions';
import type { ActivityHandler, OrchestrationHandler } from 'durable-functions';
import { getRequestProgress } from '../shared/composition-root';
import {
  endReviewBranchesActivity,
  endReviewBranchesInputSchema,
  planRequestLifecycleActivity,
  recordStageFailureActivity,
  recordStageFailureInputSchema,
  requestRefSchema,
  startOpenBranchesActivity,
  startOpenBranchesInputSchema,
  type DauBranchInput,
  type LifecyclePlan,
} from '../shared/lifecycle/lifecycle-activities';
import { submittedNotification } from '../shared/lifecycle/on-submitted';
import { existingInstance, raiseEventTo } from '../shared/lifecycle/raise-event';
import { dauBranch, requestLifecycle } from '../shared/lifecycle/request-lifecycle';
import {
  dauBranchInstanceId,
  dauBranchOrchestration,
  requestLifecycleOrchestration,
  reviewEvents,
  reviewInstanceId,
  withdrawnSchema,
} from '../shared/lifecycle/request-lifecycle-contract';

/** The request's way through the lifecycle: its DAUs, whether each needs the agreement, the route, the mail. */
export const planRequestLifecycle: ActivityHandler = async (input: unknown): Promise<LifecyclePlan> => {
  const request = await getRequestProgress().read(requestRefSchema.parse(input).requestId);
  const notification = submittedNotification(request);
  return {
    route: request.agreementRoute ?? 'none',
    daus: request.daus.map((dau) => ({ id: dau.id, agreementRequired: dau.agreementRequired })),
    ...(notification === undefined ? {} : { submittedNotification: notification }),
  };
};

/** Starts each open or held DAU's branch under its own instance id, unless it runs already (a retry). */
export const startOpenBranches: ActivityHandler = async (input: unknown, context) => {
  const { requestId, dauIds, approvedAt } = startOpenBranchesInputSchema.parse(input);
  const client = df.getClient(context);
  for (const dauId of dauIds) {
    const instanceId = dauBranchInstanceId(requestId, dauId);
    if ((await existingInstance(client, instanceId)) !== undefined) continue;
    const branch: DauBranchInput = { requestId, dauId, review: false, approvedAt };
    await client.startNew(dauBranchOrchestration, { instanceId, input: branch });
  }
};

/** After a withdrawal: every review still waiting ends (its links stop working with it). */
export const endReviewBranches: ActivityHandler = async (input: unknown, context) => {
  const { requestId, dauIds, by } = endReviewBranchesInputSchema.parse(input);
  const client = df.getClient(context);
  const event = withdrawnSchema.parse({ by });
  for (const dauId of dauIds) {
    await raiseEventTo(client, reviewInstanceId(requestId, dauId), reviewEvents.withdrawn, event);
  }
};

/** A DAU's review or vending failed beyond its retries: on the timeline, for an admin to act on. */
export const recordStageFailure: ActivityHandler = async (input: unknown) => {
  const { requestId, dauId, stage, reason } = recordStageFailureInputSchema.parse(input);
  await getRequestProgress().apply(requestId, () => undefined, [
    {
      type: `${stage}.failed`,
      actor: { kind: 'system', id: requestLifecycleOrchestration },
      details: { dauId, reason },
      idempotencyKey: `request:${requestId}:${stage}:${dauId}:failed`,
    },
  ]);
};

export const requestLifecycleOrchestrator: OrchestrationHandler = requestLifecycle;
export const dauBranchOrchestrator: OrchestrationHandler = dauBranch;

df.app.orchestration(requestLifecycleOrchestration, requestLifecycleOrchestrator);
df.app.orchestration(dauBranchOrchestration, dauBranchOrchestrator);
df.app.activity(planRequestLifecycleActivity, { handler: planRequestLifecycle });
df.app.activity(startOpenBranchesActivity, {
  handler: startOpenBranches,
  extraInputs: [df.input.durableClient()],
});
df.app.activity(endReviewBranchesActivity, {
  handler: endReviewBranches,
  extraInputs: [df.input.durableClient()],
});
df.app.activity(recordStageFailureActivity, { handler: recordStageFailure });
