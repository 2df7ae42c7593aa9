/**
 * The Durable HTTP management API (protocols §2.8; `HttpApiHandler.cs` status codes) under
 * `/runtime/webhooks/durabletask/`: what `DurableClient` calls through `rpcBaseUrl` and what the URLs of
 * `createCheckStatusResponse` point at. Like `func start`, it does not require the `code` key locally: the
 * SDK's rpc calls never send one.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { managementPathPrefix, managementUrls, type ClientBindingOptions } from './client-binding';
import type { ClientResult, DurableEngine } from './engine';
import { compareInstances, instanceStatus, matchesQuery, type InstanceQuery } from './status';
import { terminalStatuses } from './store';

const runtimeStatuses = [
  'Pending',
  'Running',
  'Completed',
  'ContinuedAsNew',
  'Failed',
  'Canceled',
  'Terminated',
  'Suspended',
] as const;
const continuationHeader = 'x-ms-continuation-token';
const defaultPageSize = 100;
/** Instance ids: the Azure Storage provider's rules (1–100 characters, no `/ \ # ?`, no control characters). */
function isValidInstanceId(id: string): boolean {
  return id.length >= 1 && id.length <= 100 && !/[/\\#?]/.test(id) && !hasControlCharacter(id);
}

function isValidEventName(name: string): boolean {
  return name.length >= 1 && name.length <= 256 && !hasControlCharacter(name);
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

const booleanParam = z.enum(['true', 'false']).transform((value) => value === 'true');
const timeParam = z.string().transform((value, ctx) => {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) ctx.addIssue({ code: 'custom', message: `'${value}' is not a date-time` });
  return ms;
});
const statusListParam = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part !== ''),
  )
  .pipe(z.array(z.enum(runtimeStatuses)));

const listQuerySchema = z.object({
  createdTimeFrom: timeParam.optional(),
  createdTimeTo: timeParam.optional(),
  runtimeStatus: statusListParam.optional(),
  instanceIdPrefix: z.string().optional(),
  top: z.coerce.number().int().positive().optional(),
  showInput: booleanParam.optional(),
});

const statusQuerySchema = z.object({
  showHistory: booleanParam.optional(),
  showHistoryOutput: booleanParam.optional(),
  showInput: booleanParam.optional(),
});

class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface ManagementApiOptions {
  readonly engine: DurableEngine;
  readonly links: () => ClientBindingOptions;
  /** Largest accepted orchestration input or event payload. */
  readonly maxPayloadBytes: number;
}

export async function handleManagementRequest(
  options: ManagementApiOptions,
  request: IncomingMessage,
  body: Buffer,
  response: ServerResponse,
): Promise<void> {
  try {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const segments = pathSegments(url.pathname);
    const reply = await route(options, request.method ?? 'GET', segments, url.searchParams, request, body);
    send(response, reply.status, reply.body, reply.headers);
  } catch (error) {
    if (error instanceof ApiError) send(response, error.status, { Message: error.message });
    else throw error;
  }
}

interface Reply {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

function pathSegments(pathname: string): string[] {
  const rest = pathname.slice(managementPathPrefix.length).replace(/\/$/, '');
  if (rest === '') return [];
  return rest.split('/').map((segment) => {
    try {
      return decodeURIComponent(segment);
    } catch {
      throw new ApiError(400, `The path segment '${segment}' is not valid percent-encoding.`);
    }
  });
}

async function route(
  options: ManagementApiOptions,
  method: string,
  segments: readonly string[],
  query: URLSearchParams,
  request: IncomingMessage,
  body: Buffer,
): Promise<Reply> {
  const [collection, first, action, eventName, ...extra] = segments;
  if (collection === 'entities') {
    throw new ApiError(501, 'Durable entities are not supported by the local durable engine.');
  }
  if (collection === 'orchestrators' && method === 'POST' && first !== undefined && eventName === undefined) {
    return startOrchestration(options, first, action, body);
  }
  if (collection !== 'instances' || extra.length > 0)
    throw new ApiError(404, 'No such durable management endpoint.');
  if (first === undefined) {
    if (method === 'GET') return listInstances(options, query, request);
    if (method === 'DELETE') return purgeByFilter(options, query);
    throw new ApiError(405, `${method} is not allowed here.`);
  }
  const instanceId = checkInstanceId(first);
  if (action === undefined) {
    if (method === 'GET') return getStatus(options, instanceId, query);
    if (method === 'DELETE') return purgeOne(options, instanceId);
    throw new ApiError(405, `${method} is not allowed here.`);
  }
  if (method !== 'POST') throw new ApiError(405, `${method} is not allowed here.`);
  switch (action) {
    case 'raiseEvent':
      return raiseEvent(options, instanceId, eventName, request, body);
    case 'terminate':
    case 'suspend':
    case 'resume':
      if (eventName !== undefined) break;
      return answer(await options.engine.control(instanceId, action, query.get('reason') ?? ''));
    case 'restart':
      return restart(options, instanceId, query);
    case 'rewind':
      throw new ApiError(501, 'Rewind is not supported by the local durable engine.');
  }
  throw new ApiError(404, 'No such durable management endpoint.');
}

function checkInstanceId(instanceId: string): string {
  if (!isValidInstanceId(instanceId)) {
    throw new ApiError(
      400,
      `Invalid instance ID '${instanceId.slice(0, 120)}': it must be 1–100 characters without '/', '\\', '#', '?' or control characters.`,
    );
  }
  return instanceId;
}

/** Empty body → no input; otherwise it must be JSON and within the size cap. */
function readPayload(options: ManagementApiOptions, body: Buffer): string | null {
  if (body.length > options.maxPayloadBytes) {
    throw new ApiError(
      413,
      `The payload is ${body.length} bytes; the limit is ${options.maxPayloadBytes} bytes.`,
    );
  }
  const text = body.toString('utf8').trim();
  if (text === '') return null;
  try {
    JSON.parse(text);
  } catch {
    throw new ApiError(400, 'Invalid JSON content: the request body must be JSON.');
  }
  return text;
}

async function startOrchestration(
  options: ManagementApiOptions,
  functionName: string,
  requestedId: string | undefined,
  body: Buffer,
): Promise<Reply> {
  const instanceId =
    requestedId === undefined ? randomUUID().replace(/-/g, '') : checkInstanceId(requestedId);
  const input = readPayload(options, body);
  const result = await options.engine.startNew(functionName, instanceId, input);
  if (!result.ok) return answer(result);
  return created(options, instanceId);
}

function created(options: ManagementApiOptions, instanceId: string): Reply {
  const links = managementUrls(options.links(), instanceId);
  return {
    status: 202,
    body: links,
    headers: { location: links.statusQueryGetUri!, 'retry-after': '10' },
  };
}

async function restart(
  options: ManagementApiOptions,
  instanceId: string,
  query: URLSearchParams,
): Promise<Reply> {
  const instance = options.engine.store.instances.get(instanceId);
  if (!instance) throw new ApiError(404, `No instance with ID '${instanceId}' found.`);
  const newId =
    query.get('restartWithNewInstanceId') === 'false' ? instanceId : randomUUID().replace(/-/g, '');
  const result = await options.engine.startNew(instance.meta.name, newId, instance.meta.inputJson);
  if (!result.ok) return answer(result);
  return created(options, newId);
}

async function raiseEvent(
  options: ManagementApiOptions,
  instanceId: string,
  eventName: string | undefined,
  request: IncomingMessage,
  body: Buffer,
): Promise<Reply> {
  if (eventName === undefined || !isValidEventName(eventName)) {
    throw new ApiError(400, 'An event name (1–256 characters, no control characters) is required.');
  }
  const contentType = request.headers['content-type'] ?? '';
  if (body.length > 0 && !/^application\/json\b/i.test(contentType)) {
    throw new ApiError(400, "Only 'application/json' request content is supported.");
  }
  const data = readPayload(options, body);
  return answer(await options.engine.raiseEvent(instanceId, eventName, data));
}

function getStatus(options: ManagementApiOptions, instanceId: string, query: URLSearchParams): Reply {
  const parsed = parseQuery(statusQuerySchema, query);
  const instance = options.engine.store.instances.get(instanceId);
  if (!instance) throw new ApiError(404, `No instance with ID '${instanceId}' found.`);
  const status = instanceStatus(instance, {
    showInput: parsed.showInput ?? true,
    showHistory: parsed.showHistory ?? false,
    showHistoryOutput: parsed.showHistoryOutput ?? false,
  });
  const done = terminalStatuses.has(instance.meta.status);
  const links = managementUrls(options.links(), instanceId);
  return {
    status: done ? 200 : 202,
    body: status,
    headers: done ? {} : { location: links.statusQueryGetUri!, 'retry-after': '10' },
  };
}

function listInstances(
  options: ManagementApiOptions,
  query: URLSearchParams,
  request: IncomingMessage,
): Reply {
  const parsed = parseQuery(listQuerySchema, query);
  const matching = selectInstances(options, parsed);
  const token = request.headers[continuationHeader];
  const offset = typeof token === 'string' && token !== '' ? decodeContinuation(token) : 0;
  const pageSize = parsed.top ?? defaultPageSize;
  const page = matching.slice(offset, offset + pageSize);
  const next = offset + page.length;
  return {
    status: 200,
    body: page.map((instance) =>
      instanceStatus(instance, {
        showInput: parsed.showInput ?? false,
        showHistory: false,
        showHistoryOutput: false,
      }),
    ),
    // The SDK keeps following the header: it must be absent on the last page.
    headers:
      next < matching.length ? { [continuationHeader]: Buffer.from(String(next)).toString('base64url') } : {},
  };
}

function selectInstances(options: ManagementApiOptions, query: InstanceQuery) {
  return [...options.engine.store.instances.values()]
    .filter((instance) => matchesQuery(instance, query))
    .sort(compareInstances);
}

function decodeContinuation(token: string): number {
  const offset = Number(Buffer.from(token, 'base64url').toString('utf8'));
  if (!Number.isInteger(offset) || offset < 0) throw new ApiError(400, 'Invalid continuation token.');
  return offset;
}

async function purgeOne(options: ManagementApiOptions, instanceId: string): Promise<Reply> {
  const instance = options.engine.store.instances.get(instanceId);
  if (!instance) throw new ApiError(404, `No instance with ID '${instanceId}' found.`);
  if (!terminalStatuses.has(instance.meta.status)) {
    throw new ApiError(
      409,
      `The instance '${instanceId}' is ${instance.meta.status}; terminate it before purging.`,
    );
  }
  return { status: 200, body: { instancesDeleted: await options.engine.purge([instanceId]) } };
}

async function purgeByFilter(options: ManagementApiOptions, query: URLSearchParams): Promise<Reply> {
  const parsed = parseQuery(listQuerySchema, query);
  const ids = selectInstances(options, parsed).map((instance) => instance.meta.instanceId);
  const deleted = await options.engine.purge(ids);
  if (deleted === 0) throw new ApiError(404, 'No finished instances matched the filter.');
  return { status: 200, body: { instancesDeleted: deleted } };
}

function parseQuery<T extends z.ZodType>(schema: T, query: URLSearchParams): z.infer<T> {
  const parsed = schema.safeParse(Object.fromEntries(query));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ApiError(
      400,
      `Invalid query parameter '${issue?.path.join('.') ?? ''}': ${issue?.message ?? 'invalid'}`,
    );
  }
  return parsed.data;
}

function answer(result: ClientResult): Reply {
  if (result.ok) return { status: 202 };
  const status = { notFound: 404, gone: 410, conflict: 409, badRequest: 400 }[result.code];
  return { status, body: { Message: result.message } };
}

function send(
  response: ServerResponse,
  status: number,
  body?: unknown,
  headers: Record<string, string> = {},
): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  response.writeHead(status, {
    ...headers,
    ...(text !== '' ? { 'content-type': 'application/json; charset=utf-8' } : {}),
    'content-length': String(Buffer.byteLength(text)),
  });
  response.end(text);
}
