import type { DurableClient } from 'durable-functions';
import { notificationOrchestration } from '../notifications/activities';
import { notificationOperationId } from '../notifications/domain/operation-id';
import { notificationSchema, type NotificationInput } from '../notifications/model';
import type { RequestDocument } from '../requests/model';
import type { OnSubmitted } from '../requests/ports';

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
 * What a submit starts, through the route's durable client: the "request submitted" mail as its own
 * `notification` orchestration, under an instance id derived from the mail (a repeated submit finds it and
 * starts nothing). Until the request orchestration exists this is the whole lifecycle. A failure to start is
 * logged, never turned into a failed submit: the request is submitted, and submitting again retries.
 */
export function startOnSubmitted(client: DurableClient, log: (line: string) => void): OnSubmitted {
  return async (request) => {
    const notification = submittedNotification(request);
    if (notification === undefined) return;
    const instanceId = `notification-${notificationOperationId(notificationSchema.parse(notification))}`;
    try {
      if ((await existingInstance(client, instanceId)) !== undefined) return;
      await client.startNew(notificationOrchestration, { instanceId, input: notification });
    } catch (error) {
      log(`request ${request.id}: could not start its submitted mail: ${(error as Error).message}`);
    }
  };
}

async function existingInstance(client: DurableClient, instanceId: string): Promise<unknown> {
  try {
    return await client.getStatus(instanceId);
  } catch {
    return undefined; // not found
  }
}
