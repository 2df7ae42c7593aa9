import type { DurableClient } from 'durable-functions';

/**
 * Raises an external event to an orchestration instance through the durable client. The SDK resolves for
 * 202 and for 410 (the instance already finished, so the event no longer matters) and rejects a missing
 * instance with "No instance with ID …", which becomes `no-instance`; any other failure throws.
 */
export async function raiseEventTo(
  client: DurableClient,
  instanceId: string,
  eventName: string,
  payload: unknown,
): Promise<'raised' | 'no-instance'> {
  try {
    await client.raiseEvent(instanceId, eventName, payload);
    return 'raised';
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('No instance with ID')) return 'no-instance';
    throw error;
  }
}

/** The instance's status, or undefined when there is no such instance (the client rejects a missing one). */
export async function existingInstance(client: DurableClient, instanceId: string): Promise<unknown> {
  try {
    return await client.getStatus(instanceId);
  } catch {
    return undefined;
  }
}
