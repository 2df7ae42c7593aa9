/**
 * `RequestLifecycleEvents` through the Durable Functions client of the invocation (`df.getClient(context)`
 * in a function with `df.input.durableClient()`): `raiseEvent` to the request's `requestLifecycle`
 * instance. The SDK resolves for 202 and for 410 (the instance already finished, so the event no longer
 * matters) and rejects a missing instance with "No instance with ID …", which becomes `no-instance`.
 */
import type { DurableClient } from 'durable-functions';
import {
  envelopeOutcomeSchema,
  lifecycleEvents,
  lifecycleInstanceId,
} from '../../lifecycle/request-lifecycle-contract';
import type { RequestLifecycleEvents } from '../ports';

export function durableLifecycleEvents(client: DurableClient): RequestLifecycleEvents {
  return {
    async raiseEnvelopeOutcome(requestId, outcome) {
      const instanceId = lifecycleInstanceId(requestId);
      try {
        await client.raiseEvent(
          instanceId,
          lifecycleEvents.envelopeOutcome,
          envelopeOutcomeSchema.parse(outcome),
        );
        return 'raised';
      } catch (error) {
        if (error instanceof Error && error.message.startsWith('No instance with ID')) return 'no-instance';
        throw error;
      }
    },
  };
}
