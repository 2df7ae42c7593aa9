import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';

/** Placeholder until the dependency checks land: reports that the app is loaded. */
export async function health(_request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> {
  return { status: 200, jsonBody: { status: 'ok' } };
}

app.http('health', {
  route: 'health',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: health,
});
