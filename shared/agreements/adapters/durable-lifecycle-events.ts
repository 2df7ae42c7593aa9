/**
 * `RequestLifecycleEvents` and `AgreementUploadEvents` through the Durable Functions client of the
 * invocation (`df.getClient(context)` in a function with `df.input.durableClient()`): `raiseEvent` to the
 * request's `requestLifecycle` instance, or to the review of one of its DAUs.
 */
import type { DurableClient } from 'durable-functions';
import { raiseEventTo } from '../../lifecycle/raise-event';
import {
  agreementRevisedSchema,
  agreementUploadedSchema,
  envelopeOutcomeSchema,
  lifecycleEvents,
  lifecycleInstanceId,
  reviewEvents,
  reviewInstanceId,
} from '../../lifecycle/request-lifecycle-contract';
import type { RequestLifecycleEvents } from '../ports';
import type { AgreementUploadEvents } from '../use-cases/agreement-documents';

export function durableLifecycleEvents(client: DurableClient): RequestLifecycleEvents {
  return {
    raiseEnvelopeOutcome: (requestId, outcome) =>
      raiseEventTo(
        client,
        lifecycleInstanceId(requestId),
        lifecycleEvents.envelopeOutcome,
        envelopeOutcomeSchema.parse(outcome),
      ),
  };
}

/**
 * A missing instance is no failure here: the lifecycle not yet at its wait finds the upload itself, and a
 * review not (or no longer) running has nothing to wait for.
 */
export function durableUploadEvents(client: DurableClient): AgreementUploadEvents {
  return {
    uploaded: (requestId, upload) =>
      raiseEventTo(
        client,
        lifecycleInstanceId(requestId),
        lifecycleEvents.agreementUploaded,
        agreementUploadedSchema.parse(upload),
      ),
    revised: (requestId, dauId, upload) =>
      raiseEventTo(
        client,
        reviewInstanceId(requestId, dauId),
        reviewEvents.agreementRevised,
        agreementRevisedSchema.parse(upload),
      ),
  };
}
