import type { IncomingMessage } from 'node:http';

/**
 * CORS as `func start` configures it from `local.settings.json` `Host.CORS` / `Host.CORSCredentials`: an
 * ASP.NET Core policy with the listed origins (or any origin for `*`), any method, any header, and
 * credentials when asked. Preflights are answered by the host before routing, always with 204.
 */
export interface CorsPolicy {
  readonly anyOrigin: boolean;
  readonly origins: ReadonlySet<string>;
  readonly credentials: boolean;
}

export function parseCorsPolicy(
  origins: string | undefined,
  credentials: boolean | undefined,
): CorsPolicy | undefined {
  const list = (origins ?? '')
    .split(',')
    .map((origin) => origin.trim().replace(/\/+$/, ''))
    .filter((origin) => origin !== '');
  if (list.length === 0) return undefined;
  // ASP.NET's CorsPolicy.AllowAnyOrigin: "*" as the only origin (func start passes the list to WithOrigins).
  const anyOrigin = list.length === 1 && list[0] === '*';
  if (anyOrigin && credentials === true) {
    // ASP.NET Core refuses this combination when it builds the policy, so func start does too.
    throw new Error(
      'Host.CORS "*" cannot be combined with Host.CORSCredentials true: list the allowed origins instead',
    );
  }
  return {
    anyOrigin,
    origins: new Set(list.map((origin) => origin.toLowerCase())),
    credentials: credentials === true,
  };
}

function allowedOrigin(policy: CorsPolicy, origin: string): boolean {
  return policy.anyOrigin || policy.origins.has(origin.toLowerCase());
}

export function isPreflight(request: IncomingMessage): boolean {
  return (
    request.method === 'OPTIONS' &&
    request.headers.origin !== undefined &&
    request.headers['access-control-request-method'] !== undefined
  );
}

/** Headers for a preflight answer; empty when the origin is not allowed (the browser then blocks). */
export function preflightHeaders(policy: CorsPolicy, request: IncomingMessage): Record<string, string> {
  const origin = request.headers.origin!;
  if (!allowedOrigin(policy, origin)) return {};
  const headers: Record<string, string> = {
    ...originHeaders(policy, origin),
    'access-control-allow-methods': String(request.headers['access-control-request-method']),
  };
  const requestedHeaders = request.headers['access-control-request-headers'];
  if (requestedHeaders !== undefined) headers['access-control-allow-headers'] = requestedHeaders;
  return headers;
}

/** Headers added to an actual (non-preflight) response for a cross-origin request. */
export function responseHeaders(policy: CorsPolicy, request: IncomingMessage): Record<string, string> {
  const origin = request.headers.origin;
  if (origin === undefined || !allowedOrigin(policy, origin)) return {};
  return originHeaders(policy, origin);
}

function originHeaders(policy: CorsPolicy, origin: string): Record<string, string> {
  if (policy.anyOrigin) return { 'access-control-allow-origin': '*' };
  const headers: Record<string, string> = { 'access-control-allow-origin': origin, vary: 'Origin' };
  if (policy.credentials) headers['access-control-allow-credentials'] = 'true';
  return headers;
}
