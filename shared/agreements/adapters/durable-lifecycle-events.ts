/**
 * `RequestLifecycleEvents` through the Durable Functions client of the invocation (`df.getClient(context)`
 * in a function with `df.input.durableClient()`): `raiseEvent` to the request's `requestLifecycle` instance.
 */
import type { DurableClient } from 'durable-functions';
import { raiseEventTo } from '../../lifecycle/raise-event';
import {
  envelopeOutcomeSchema,
  lifecycleEvents,
  lifecycleInstanceId,
} from '../../lifecycle/request-lifecycle-contract';
import type { RequestLifecycleEvents } from '../ports';

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
