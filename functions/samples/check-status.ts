import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import * as df from 'durable-functions';
import type { DurableClient } from 'durable-functions';
import { httpHandler, type HttpHandlerSpec } from '../../shared/http/handler';

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

/**
 * Registers a sample's HTTP starter: `POST /api/{route}` (function key) starts `orchestrator` with the request
 * body the spec validates as its input (none without a body schema) and answers `createCheckStatusResponse`.
 */
export function registerOrchestrationStarter<S extends HttpHandlerSpec>(
  functionName: string,
  route: string,
  orchestrator: string,
  spec: S,
): void {
  app.http(functionName, {
    route,
    methods: ['POST'],
    authLevel: 'function',
    extraInputs: [df.input.durableClient()],
    handler: httpHandler(spec, async ({ request, body }, _principal, context) => {
      const client = df.getClient(context);
      const instanceId = await client.startNew(
        orchestrator,
        body === undefined ? undefined : { input: body },
      );
      context.log(`Started ${orchestrator} instance ${instanceId}`);
      return checkStatusResponse(client, request, instanceId);
    }),
  });
}
