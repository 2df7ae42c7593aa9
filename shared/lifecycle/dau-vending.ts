/**
 * `dauVending`: one DAU of a request into the requester's project space (DESIGN §8), a sub-orchestration of
 * `requestLifecycle`. Plan (the DAU's files of the frozen selection, in batches kept outside the history),
 * copy the batches server-side with a bounded number in flight, record progress after each window, then
 * SAMPLE_INFO.txt, the grant (by id) and the grant's own orchestration, and the "data vended" mail.
 * Every step is idempotent: a re-run copies nothing twice and grants once.
 */
import * as df from 'durable-functions';
import type { OrchestrationContext, Task } from 'durable-functions';
import { BATCHES_IN_FLIGHT } from '../provisioning/model';
import { notify } from './notify';
import {
  completeVendingActivity,
  completedVendingSchema,
  copyOutcomeSchema,
  copyVendingBatchActivity,
  planVendingActivity,
  recordVendingProgressActivity,
  vendingPlanSchema,
  type VendingOutcome,
} from './provisioning-activities';
import { dauVendingInputSchema } from './request-lifecycle-contract';

const activityRetry = Object.assign(new df.RetryOptions(5_000, 6), { backoffCoefficient: 2 });

export function* dauVending(context: OrchestrationContext): Generator<Task, VendingOutcome, unknown> {
  const { requestId, dauId, approvedAt } = dauVendingInputSchema.parse(context.df.getInput());
  const now = () => context.df.currentUtcDateTime.toISOString();
  const call = (name: string, input: unknown) => context.df.callActivityWithRetry(name, activityRetry, input);

  const plan = vendingPlanSchema.parse(yield call(planVendingActivity, { requestId, dauId, now: now() }));
  if (plan.kind === 'ended') return { outcome: 'ended', files: 0, copied: 0, skipped: 0 };
  const { space, batches } = plan;

  let copied = 0;
  let skipped = 0;
  let filesDone = 0;
  let bytesDone = 0;
  for (let start = 0; start < batches.length; start += BATCHES_IN_FLIGHT) {
    const window = batches.slice(start, start + BATCHES_IN_FLIGHT);
    const outcomes = (yield context.df.Task.all(
      window.map((_, offset) =>
        call(copyVendingBatchActivity, { requestId, dauId, space, batch: start + offset }),
      ),
    )) as unknown[];
    for (const outcome of outcomes) {
      const counted = copyOutcomeSchema.parse(outcome);
      copied += counted.copied;
      skipped += counted.skipped;
    }
    for (const batch of window) {
      filesDone += batch.files;
      bytesDone += batch.bytes;
    }
    // The last window's progress is the completion itself.
    if (start + BATCHES_IN_FLIGHT < batches.length) {
      yield call(recordVendingProgressActivity, { requestId, dauId, filesDone, bytesDone });
    }
  }

  const completed = completedVendingSchema.parse(
    yield call(completeVendingActivity, {
      requestId,
      dauId,
      space,
      batches: batches.length,
      approvedAt,
      now: now(),
    }),
  );
  if (completed.notification !== undefined) yield* notify(context, completed.notification);
  return { outcome: 'vended', files: plan.files, copied, skipped };
}
