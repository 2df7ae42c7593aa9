import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import type { DurableClient } from 'durable-functions';

/**
 * `createCheckStatusResponse` as a plain response init: 202, `Location` = the status URL (on the caller's
 * origin), `Retry-After`, and the management URLs as the body.
 */
export async function checkStatusResponse(
  client: DurableClient,
  request: HttpRequest,
  instanceId: string,
): Promise<HttpResponseInit> {
  const response = client.createCheckStatusResponse(request, instanceId);
  return { status: response.status, headers: response.headers, jsonBody: await response.json() };
}
