import { readFileSync } from 'node:fs';
import path from 'node:path';
import { HttpRequest, HttpResponse, InvocationContext, type HttpResponseInit } from '@azure/functions';

/** The committed example settings (AUTH__* and friends); tests override the stand-in endpoints. */
export const exampleSettings = (
  JSON.parse(readFileSync(path.join(__dirname, '../../local.settings.example.json'), 'utf8')) as {
    Values: Record<string, string>;
  }
).Values;

type Handler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

/** Calls a handler the way the Functions worker does, with real request and context objects. */
export async function call(
  handler: Handler,
  url: string,
  headers: Record<string, string> = {},
): Promise<{ response: HttpResponse; logs: string[] }> {
  const logs: string[] = [];
  const context = new InvocationContext({
    invocationId: 'inv-platform-1',
    functionName: 'test',
    logHandler: (_level, ...args) => logs.push(args.map(String).join(' ')),
  });
  const request = new HttpRequest({ method: 'GET', url, headers });
  return { response: new HttpResponse(await handler(request, context)), logs };
}
