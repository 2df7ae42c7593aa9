import type { DurableClient } from 'durable-functions';
import type { NotificationInput } from '../notifications/model';
import type { RequestDocument } from '../requests/model';
import type { OnSubmitted } from '../requests/ports';
import { existingInstance } from './raise-event';
import {
  lifecycleInstanceId,
  requestLifecycleOrchestration,
  type LifecycleInput,
} from './request-lifecycle-contract';

/** The requester's "request submitted" mail; none when the token that created the request had no e-mail. */
export function submittedNotification(request: RequestDocument): NotificationInput | undefined {
  if (request.owner.email === null) return undefined;
  return {
    event: 'request_submitted',
    requestId: request.id,
    projectName: request.answers.destination?.projectName?.trim() || 'Untitled request',
    recipients: [
      {
        address: request.owner.email,
        ...(request.owner.name === null ? {} : { displayName: request.owner.name }),
      },
    ],
  };
}

/**
 * What a submit starts, through the route's durable client: the request's `requestLifecycle` orchestration,
 * under the instance id derived from the request id, so a repeated submit finds it and starts nothing. A
 * failure to start is logged, never turned into a failed submit: the request is submitted, and submitting
 * again starts it then.
 */
export function startOnSubmitted(client: DurableClient, log: (line: string) => void): OnSubmitted {
  return async (request) => {
    const instanceId = lifecycleInstanceId(request.id);
    try {
      if ((await existingInstance(client, instanceId)) !== undefined) return;
      const input: LifecycleInput = { requestId: request.id };
      await client.startNew(requestLifecycleOrchestration, { instanceId, input });
    } catch (error) {
      log(`request ${request.id}: could not start its lifecycle: ${(error as Error).message}`);
    }
  };
}
