import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { durableLifecycleEvents } from '../shared/agreements/adapters/durable-lifecycle-events';
import { readBodyBytes } from '../shared/http/body';
import { maxConnectDeliveryBytes } from '../shared/agreements/connect';
import type { RequestLifecycleEvents } from '../shared/agreements/ports';
import { getConnectDeliveries } from '../shared/composition-root';
import { correlated } from '../shared/http/handler';

/**
 * `POST /api/webhooks/docusign`: DocuSign Connect (JSON SIM, HMAC-signed). Anonymous at the Functions level:
 * the HMAC over the raw body is the authentication, checked by the use case before anything else happens
 * (401 otherwise). The body is read as bytes, capped (413), never parsed before the check. Any 2xx tells
 * Connect to stop retrying; a 5xx makes it retry later.
 */
export const receiveDocuSignConnect = correlated(
  async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const body = await readBodyBytes(request, maxConnectDeliveryBytes);
    // The durable client is built only when an outcome is raised (after the signature check).
    const lifecycle: RequestLifecycleEvents = {
      raiseEnvelopeOutcome: (requestId, outcome) =>
        durableLifecycleEvents(df.getClient(context)).raiseEnvelopeOutcome(requestId, outcome),
    };
    const result = await getConnectDeliveries().receive(
      { body, headers: request.headers },
      { lifecycle, log: (line) => context.log(line) },
    );
    return { status: 200, jsonBody: { received: true, outcome: result.outcome } };
  },
);

app.http('docusignConnect', {
  route: 'webhooks/docusign',
  methods: ['POST'],
  authLevel: 'anonymous',
  extraInputs: [df.input.durableClient()],
  handler: receiveDocuSignConnect,
});
