/**
 * The agreement stage of `requestLifecycle` (DESIGN §8), run inside the parent's instance:
 *
 * - electronic: the envelope is found or created as a draft and its id recorded (one activity), then sent
 *   (another), so a host killed anywhere sends exactly one envelope; then the step waits for the envelope's
 *   outcome from the Connect webhook, racing the withdrawal and a status-poll timer that covers a lost webhook;
 * - manual: the step waits for a signed PDF (`AgreementUploaded`), unless one was uploaded already.
 *
 * No I/O here: every read and write is an activity with retries.
 */
import * as df from 'durable-functions';
import type { OrchestrationContext, Task } from 'durable-functions';
import {
  agreementEndedSchema,
  awaitAgreementUploadActivity,
  awaitedUploadSchema,
  checkAgreementEnvelopeActivity,
  envelopeCheckSchema,
  preparedEnvelopeSchema,
  prepareAgreementEnvelopeActivity,
  recordAgreementEndedActivity,
  recordAgreementSignedActivity,
  sendAgreementEnvelopeActivity,
  sentEnvelopeSchema,
  withdrawAgreementEnvelopeActivity,
  type RecordAgreementSignedInput,
} from './agreement-activities';
import { notify } from './notify';
import {
  agreementUploadedSchema,
  envelopeOutcomeSchema,
  lifecycleEvents,
  type EnvelopeOutcome,
} from './request-lifecycle-contract';

/** How the agreement stage ended: signed (the controlled DAUs are in review), ended (declined, voided), withdrawn. */
export type AgreementStepOutcome = 'signed' | 'ended' | 'withdrawn';

export interface AgreementStepInput {
  readonly requestId: string;
  readonly route: 'electronic' | 'manual';
}

/** DocuSign or Storage down for minutes costs nothing: six attempts over ~5 minutes. */
const activityRetry = Object.assign(new df.RetryOptions(5_000, 6), { backoffCoefficient: 2 });

export function* agreementStep(
  context: OrchestrationContext,
  input: AgreementStepInput,
  withdrawn: Task,
): Generator<Task, AgreementStepOutcome, unknown> {
  return input.route === 'electronic'
    ? yield* electronic(context, input.requestId, withdrawn)
    : yield* manual(context, input.requestId, withdrawn);
}

function* electronic(
  context: OrchestrationContext,
  requestId: string,
  withdrawn: Task,
): Generator<Task, AgreementStepOutcome, unknown> {
  const call = (name: string, input: unknown) => context.df.callActivityWithRetry(name, activityRetry, input);
  const { envelopeId, pollMinutes } = preparedEnvelopeSchema.parse(
    yield call(prepareAgreementEnvelopeActivity, { requestId }),
  );
  const envelope = { requestId, envelopeId };
  // Withdrawn while the draft was being made: the draft is discarded, nothing is ever sent.
  if (withdrawn.isCompleted) {
    yield call(withdrawAgreementEnvelopeActivity, envelope);
    return 'withdrawn';
  }
  const sent = sentEnvelopeSchema.parse(yield call(sendAgreementEnvelopeActivity, envelope));
  if (sent.notification !== undefined) yield* notify(context, sent.notification);

  // History cost of the wait: each poll adds a timer (created, fired) and one activity (scheduled,
  // completed), ~4 events per interval. With the default hourly poll and DocuSign's expiry (30 days by
  // default, at most 120) that is ~2,900 events at worst, replayed on each wake-up: acceptable, and bounded
  // by the envelope's expiry, which ends the wait with a voided outcome. No continue-as-new: the parent
  // owns the instance.
  let outcomeEvent = context.df.waitForExternalEvent(lifecycleEvents.envelopeOutcome);
  let outcome: EnvelopeOutcome | undefined;
  while (outcome === undefined) {
    const pollAt = new Date(context.df.currentUtcDateTime.getTime() + pollMinutes * 60_000);
    const poll = context.df.createTimer(pollAt);
    const winner = yield context.df.Task.any([outcomeEvent, withdrawn, poll]);
    if (winner !== poll) poll.cancel();
    if (winner === withdrawn) {
      yield call(withdrawAgreementEnvelopeActivity, envelope);
      return 'withdrawn';
    }
    if (winner === outcomeEvent) {
      const parsed = envelopeOutcomeSchema.safeParse(outcomeEvent.result);
      // At-least-once delivery: an outcome about another envelope (or not an outcome) is ignored, and the
      // next one waited for (a fresh task: each wait takes one raised event).
      if (parsed.success && parsed.data.envelopeId === envelopeId) outcome = parsed.data;
      else outcomeEvent = context.df.waitForExternalEvent(lifecycleEvents.envelopeOutcome);
      continue;
    }
    outcome = envelopeCheckSchema.parse(yield call(checkAgreementEnvelopeActivity, envelope)).outcome;
  }

  if (outcome.status === 'completed') {
    const signed: RecordAgreementSignedInput = { requestId, route: 'electronic', envelopeId };
    yield call(recordAgreementSignedActivity, signed);
    return 'signed';
  }
  const ended = agreementEndedSchema.parse(yield call(recordAgreementEndedActivity, { requestId, outcome }));
  if (ended.notification !== undefined) yield* notify(context, ended.notification);
  return 'ended';
}

function* manual(
  context: OrchestrationContext,
  requestId: string,
  withdrawn: Task,
): Generator<Task, AgreementStepOutcome, unknown> {
  const awaited = awaitedUploadSchema.parse(
    yield context.df.callActivityWithRetry(awaitAgreementUploadActivity, activityRetry, { requestId }),
  );
  let upload = awaited.uploaded;
  if (upload === undefined) {
    const uploadedEvent = context.df.waitForExternalEvent(lifecycleEvents.agreementUploaded);
    const winner = yield context.df.Task.any([uploadedEvent, withdrawn]);
    if (winner === withdrawn) return 'withdrawn';
    upload = agreementUploadedSchema.parse(uploadedEvent.result);
  }
  const signed: RecordAgreementSignedInput = { requestId, route: 'manual', upload };
  yield context.df.callActivityWithRetry(recordAgreementSignedActivity, activityRetry, signed);
  return 'signed';
}
