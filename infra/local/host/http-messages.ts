import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RpcHttpCookie, RpcHttpData, RpcTypedData } from './rpc-types';

/** Conversions between Node's HTTP messages and the worker's `RpcHttpData`, as the Functions host does them. */

export class RequestBodyTooLarge extends Error {}

export class RequestAborted extends Error {}

/** Reads the whole body, refusing (without buffering further) once it exceeds `limit` bytes. */
export function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(new RequestBodyTooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
        reject(new RequestBodyTooLarge());
      } else {
        chunks.push(chunk);
      }
    });
    request.on('end', () => {
      if (!tooLarge) resolve(Buffer.concat(chunks));
    });
    // A client that goes away mid-body (or is dropped by the request timeout) never sends 'end': Node reports
    // `aborted` as an error, or only closes; either way the request is over, and it is the client's doing.
    request.on('error', () => reject(new RequestAborted()));
    request.on('close', () => {
      if (!request.complete) reject(new RequestAborted());
    });
  });
}

/**
 * Header values as the host hands them to the worker: lower-case names, repeated values joined with ','
 * (ASP.NET's StringValues.ToString(), in the host's ToRpcHttp).
 */
export function flattenHeaders(request: IncomingMessage): Record<string, string> {
  const headers = Object.create(null) as Record<string, string>;
  for (const [name, values] of Object.entries(request.headersDistinct)) {
    if (values !== undefined) headers[name] = values.join(',');
  }
  return headers;
}

export function flattenQuery(search: URLSearchParams): Record<string, string> {
  // Null prototype: `__proto__` is a key like any other, as in the real host's dictionary.
  const query = Object.create(null) as Record<string, string>;
  for (const key of new Set(search.keys())) query[key] = search.getAll(key).join(',');
  return query;
}

export interface HttpInput {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly query: Record<string, string>;
  readonly params: Record<string, string>;
  readonly body: Buffer;
}

export function toRpcHttpRequest(input: HttpInput): RpcTypedData {
  const http: RpcHttpData = {
    method: input.method,
    url: input.url,
    headers: input.headers,
    query: input.query,
    params: input.params,
  };
  if (input.body.length > 0) http.body = { bytes: new Uint8Array(input.body) };
  return { http };
}

const sameSiteNames: Record<string, string | undefined> = {
  lax: 'Lax',
  strict: 'Strict',
  explicitNone: 'None',
  '1': 'Lax',
  '2': 'Strict',
  '3': 'None',
};

export function serializeCookie(cookie: RpcHttpCookie): string {
  const parts = [`${cookie.name}=${cookie.value}`];
  if (cookie.domain?.value) parts.push(`Domain=${cookie.domain.value}`);
  if (cookie.path?.value) parts.push(`Path=${cookie.path.value}`);
  if (cookie.expires?.value)
    parts.push(`Expires=${new Date(cookie.expires.value.seconds * 1000).toUTCString()}`);
  if (cookie.maxAge !== undefined && cookie.maxAge !== null) parts.push(`Max-Age=${cookie.maxAge.value}`);
  if (cookie.secure?.value) parts.push('Secure');
  if (cookie.httpOnly?.value) parts.push('HttpOnly');
  const sameSite = sameSiteNames[String(cookie.sameSite)];
  if (sameSite !== undefined) parts.push(`SameSite=${sameSite}`);
  return parts.join('; ');
}

function bodyBytes(body: RpcTypedData | null | undefined): Buffer {
  if (!body) return Buffer.alloc(0);
  if (body.bytes) return Buffer.from(body.bytes);
  if (body.stream) return Buffer.from(body.stream);
  if (typeof body.string === 'string') return Buffer.from(body.string);
  if (typeof body.json === 'string') return Buffer.from(body.json);
  return Buffer.alloc(0);
}

const framingHeaders = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive']);

/** Writes the function's `returnValue.http` (status as a string, headers, cookies, body bytes). */
export function writeRpcHttpResponse(
  response: ServerResponse,
  http: RpcHttpData | null | undefined,
  method: string,
): void {
  if (!http) {
    // No HTTP response from the function: the host's FunctionInvocationMiddleware answers OkResult.
    response.writeHead(200, { 'content-length': 0 }).end();
    return;
  }
  const status = Number.parseInt(http.statusCode ?? '200', 10);
  const body = bodyBytes(http.body);
  for (const [name, value] of Object.entries(http.headers ?? {})) {
    // The body is sent whole with its length, so the function's framing headers would contradict it.
    if (!framingHeaders.has(name.toLowerCase())) response.setHeader(name, value);
  }
  const cookies = (http.cookies ?? []).map(serializeCookie);
  if (cookies.length > 0) response.appendHeader('set-cookie', cookies);
  const bodyless = method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200);
  if (!bodyless) response.setHeader('content-length', body.length);
  response.writeHead(Number.isInteger(status) && status >= 100 && status <= 999 ? status : 500);
  response.end(bodyless ? undefined : body);
}

export interface Problem {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly type?: string;
}

/** The host's own errors (400, 413, 503...) as RFC 9457 problem+json. */
export function writeProblem(
  response: ServerResponse,
  problem: Problem,
  extraHeaders: Record<string, string> = {},
): void {
  const body = JSON.stringify({ type: problem.type ?? 'about:blank', ...problem });
  response.writeHead(problem.status, {
    ...extraHeaders,
    'content-type': 'application/problem+json',
    'content-length': Buffer.byteLength(body),
  });
  response.end(body);
}

/** An empty answer with just a status, as the Functions host gives for 401/404/500. */
export function writeEmpty(
  response: ServerResponse,
  status: number,
  extraHeaders: Record<string, string> = {},
): void {
  response.writeHead(status, { ...extraHeaders, 'content-length': 0 });
  response.end();
}
