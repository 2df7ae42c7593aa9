import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { isPreflight, preflightHeaders, responseHeaders, type CorsPolicy } from './cors';
import type { HostExtension, RegisteredFunction } from './extension';
import {
  flattenHeaders,
  flattenQuery,
  readBody,
  RequestAborted,
  RequestBodyTooLarge,
  toRpcHttpRequest,
  writeEmpty,
  writeProblem,
  writeRpcHttpResponse,
} from './http-messages';
import { hostApiReason, type Invoker } from './invoker';
import type { HostLogger } from './logger';
import { comparePrecedence, matchRoute, parseRouteTemplate, type RouteTemplate } from './routing';
import type { RpcTypedData } from './rpc-types';

/** The host's HTTP front door: CORS, extension APIs, the admin API, and HTTP-triggered functions. */

export type AuthLevel = 'anonymous' | 'function' | 'admin';

export interface HttpRoute {
  readonly functionName: string;
  readonly template: RouteTemplate;
  /** Upper-case methods; undefined accepts any method (a trigger without `methods`). */
  readonly methods: ReadonlySet<string> | undefined;
  readonly authLevel: AuthLevel;
}

const httpTriggerSchema = z
  .object({
    route: z.string().optional(),
    methods: z.array(z.string()).optional(),
    authLevel: z
      .string()
      .optional()
      .transform((level) => (level ?? 'function').toLowerCase())
      .pipe(z.enum(['anonymous', 'function', 'admin'])),
  })
  .loose();

/** Builds the route table, ordered by ASP.NET precedence; a bad route fails that function only. */
export function buildRoutes(
  functions: Iterable<RegisteredFunction>,
  routePrefix: string,
  logger: HostLogger,
): { routes: HttpRoute[]; failed: Map<string, string> } {
  const routes: HttpRoute[] = [];
  const failed = new Map<string, string>();
  for (const fn of functions) {
    if (fn.trigger.info.type?.toLowerCase() !== 'httptrigger') continue;
    try {
      const trigger = httpTriggerSchema.parse(fn.trigger.info);
      const template = parseRouteTemplate(trigger.route ?? fn.name);
      const firstSegment = (routePrefix === '' ? template.text : routePrefix).split('/')[0]!.toLowerCase();
      if (reservedFirstSegments.includes(firstSegment)) {
        throw new Error(`the route conflicts with the host's built-in /${firstSegment} routes`);
      }
      routes.push({
        functionName: fn.name,
        template,
        methods: trigger.methods && new Set(trigger.methods.map((method) => method.toUpperCase())),
        authLevel: trigger.authLevel,
      });
    } catch (error) {
      const message =
        error instanceof z.ZodError ? (error.issues[0]?.message ?? 'invalid') : (error as Error).message;
      failed.set(fn.name, message);
      logger.write('error', `The function '${fn.name}' cannot be served: ${message}`);
    }
  }
  // Stable sort: equal precedence keeps registration order.
  routes.sort((a, b) => comparePrecedence(a.template, b.template));
  warnAboutAmbiguousRoutes(routes, logger);
  return { routes, failed };
}

const reservedFirstSegments = ['admin', 'runtime'];

/** ASP.NET answers 500 (ambiguous match) for these at request time; here the first registered wins. */
function warnAboutAmbiguousRoutes(routes: readonly HttpRoute[], logger: HostLogger): void {
  routes.forEach((route, index) => {
    for (const other of routes.slice(index + 1)) {
      const sameTemplate = other.template.text.toLowerCase() === route.template.text.toLowerCase();
      const sharedMethod =
        route.methods === undefined ||
        other.methods === undefined ||
        [...route.methods].some((m) => other.methods!.has(m));
      if (sameTemplate && sharedMethod) {
        logger.write(
          'warn',
          `Functions '${route.functionName}' and '${other.functionName}' both answer route '${route.template.text}'; '${route.functionName}' wins`,
        );
      }
    }
  });
}

export interface FrontDoorOptions {
  readonly routePrefix: string;
  readonly routes: readonly HttpRoute[];
  readonly invoker: Invoker;
  readonly extensions: readonly HostExtension[];
  readonly masterKey: string;
  readonly cors: CorsPolicy | undefined;
  readonly maxRequestBodyBytes: number;
  readonly logger: HostLogger;
  readonly baseUrl: () => string;
  /** Runs a non-HTTP function for the admin API, building its trigger input from the posted text. */
  readonly runOnDemand: (fn: RegisteredFunction, input: string) => void;
  readonly accepting: () => boolean;
}

class BadRequestPath extends Error {}

function badRequest(response: ServerResponse, detail: string): void {
  writeProblem(response, { status: 400, title: 'Bad Request', detail });
}

/** Splits and decodes the request path; `//`, `.`/`..` segments and bad percent-encoding are refused. */
function parsePath(rawUrl: string): { segments: string[]; search: string } {
  if (!rawUrl.startsWith('/')) throw new BadRequestPath('The request target must be an absolute path');
  const queryAt = rawUrl.indexOf('?');
  const rawPath = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
  const search = queryAt === -1 ? '' : rawUrl.slice(queryAt);
  const rawSegments = rawPath.slice(1).split('/');
  // One trailing slash is tolerated, as ASP.NET routing does.
  if (rawSegments.length > 1 && rawSegments[rawSegments.length - 1] === '') rawSegments.pop();
  const segments = rawSegments.map((segment, index) => {
    if (segment === '' && !(index === 0 && rawSegments.length === 1)) {
      throw new BadRequestPath('The request path has an empty segment');
    }
    let decoded: string;
    try {
      // Kestrel decodes the path except %2F, so an encoded slash reaches route values as "%2F".
      decoded = decodeURIComponent(segment.replace(/%2f/gi, '%252F'));
    } catch {
      throw new BadRequestPath('The request path has an invalid percent-encoding');
    }
    if (
      decoded === '.' ||
      decoded === '..' ||
      decoded.includes('\0') ||
      /[\\/]\.\.?(?:[\\/]|$)/.test(`/${decoded}`)
    ) {
      throw new BadRequestPath('The request path may not contain dot segments');
    }
    return decoded;
  });
  return { segments: segments.length === 1 && segments[0] === '' ? [] : segments, search };
}

function keysEqual(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function suppliedKey(request: IncomingMessage, query: URLSearchParams): string | undefined {
  const header = request.headers['x-functions-key'];
  if (typeof header === 'string' && header !== '') return header;
  return query.get('code') ?? undefined;
}

/** The request target for logs: a function key passed as `?code=` must not end up in them. */
function withoutKey(target: string): string {
  return target.replace(/([?&]code=)[^&#]*/gi, '$1[redacted]');
}

const loopbackHostNames = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Extension APIs (the Durable management API) check no key locally, as under func start. So that only local
 * tools and the allowed web origins reach them, refuse a request whose Host is not a loopback name (DNS
 * rebinding) or that a browser sent from another, not allowed origin (a cross-site form post needs no
 * preflight). Returns why, or undefined when the request may pass.
 */
function untrustedCaller(request: IncomingMessage, cors: CorsPolicy | undefined): string | undefined {
  const host = request.headers.host ?? '';
  const hostName = host.replace(/:\d+$/, '').toLowerCase();
  if (!loopbackHostNames.has(hostName)) return 'The Host header must name the loopback interface.';
  const origin = request.headers.origin;
  if (origin === undefined || origin.toLowerCase() === `http://${host.toLowerCase()}`) return undefined;
  // Only origins listed by name: CORS "*" lets any page read answers, not drive this API.
  if (cors?.origins.has(origin.toLowerCase()) === true) return undefined;
  return `Requests from the origin '${origin.slice(0, 200)}' are not allowed here.`;
}

const adminInvokeBodySchema = z.object({ input: z.unknown().optional() }).loose();

export interface FrontDoor {
  readonly handle: (req: IncomingMessage, res: ServerResponse) => void;
  /**
   * At shutdown: drops the requests still sending their body. No invocation has started for them, and a
   * client that stalls mid-body would otherwise hold the shutdown until Node's request timeout (minutes).
   */
  readonly abortUploads: () => void;
}

export function createFrontDoor(options: FrontDoorOptions): FrontDoor {
  const uploading = new Set<IncomingMessage>();
  const prefixSegments = options.routePrefix === '' ? [] : options.routePrefix.split('/');
  const { logger } = options;

  const authorized = (request: IncomingMessage, query: URLSearchParams, level: AuthLevel): boolean => {
    if (level === 'anonymous') return true;
    const key = suppliedKey(request, query);
    return key !== undefined && keysEqual(key, options.masterKey);
  };

  const readBodyOr413 = async (
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<Buffer | undefined> => {
    uploading.add(request);
    try {
      return await readBody(request, options.maxRequestBodyBytes);
    } catch (error) {
      if (!(error instanceof RequestBodyTooLarge)) throw error;
      writeProblem(
        response,
        {
          status: 413,
          title: 'Payload Too Large',
          detail: `The request body exceeds the host's limit of ${options.maxRequestBodyBytes} bytes.`,
        },
        { connection: 'close' },
      );
      return undefined;
    } finally {
      uploading.delete(request);
    }
  };

  const handleAdmin = async (
    request: IncomingMessage,
    response: ServerResponse,
    segments: string[],
    query: URLSearchParams,
  ): Promise<void> => {
    if (!authorized(request, query, 'admin')) return writeEmpty(response, 401);
    if (segments.length !== 3 || segments[1]!.toLowerCase() !== 'functions') return writeEmpty(response, 404);
    if (request.method !== 'POST') return writeEmpty(response, 405, { allow: 'POST' });
    const fn = options.invoker.functions.get(segments[2]!);
    if (fn === undefined) return writeEmpty(response, 404);
    const body = await readBodyOr413(request, response);
    if (body === undefined) return;
    // Like the host's FunctionsController.Invoke: the body must be a FunctionInvocation object.
    let parsed: z.output<typeof adminInvokeBodySchema>;
    try {
      parsed = adminInvokeBodySchema.parse(JSON.parse(body.toString('utf8')));
    } catch {
      return badRequest(response, 'The body must be a JSON object like {"input": "..."}.');
    }
    const triggerType = fn.trigger.info.type?.toLowerCase();
    if (triggerType === 'httptrigger') {
      return badRequest(response, `'${fn.name}' is HTTP-triggered: call its route instead.`);
    }
    // Run outside its extension, an orchestrator fails (no orchestration context) and an activity skips it.
    const driver = options.extensions.find((extension) =>
      extension.triggerTypes.some((type) => type.toLowerCase() === triggerType),
    );
    if (driver !== undefined) {
      return badRequest(
        response,
        `'${fn.name}' is a ${fn.trigger.info.type} function that the ${driver.name} extension runs: start it through that extension.`,
      );
    }
    const input =
      parsed.input === undefined
        ? ''
        : typeof parsed.input === 'string'
          ? parsed.input
          : JSON.stringify(parsed.input);
    options.runOnDemand(fn, input);
    writeEmpty(response, 202);
  };

  const handleFunction = async (
    request: IncomingMessage,
    response: ServerResponse,
    segments: string[],
    query: URLSearchParams,
  ): Promise<void> => {
    const method = (request.method ?? 'GET').toUpperCase();
    let matched: { route: HttpRoute; params: Record<string, string> } | undefined;
    for (const route of options.routes) {
      if (route.methods !== undefined && !route.methods.has(method)) continue;
      const params = matchRoute(route.template, segments);
      if (params !== undefined) {
        matched = { route, params };
        break;
      }
    }
    // Unknown route, or a known route with another method: the Functions host answers 404 for both.
    if (matched === undefined) return writeEmpty(response, 404);
    if (!authorized(request, query, matched.route.authLevel)) return writeEmpty(response, 401);
    const body = await readBodyOr413(request, response);
    if (body === undefined) return;

    const hostHeader = request.headers.host ?? '';
    const origin = /^[A-Za-z0-9.:[\]-]+$/.test(hostHeader) ? `http://${hostHeader}` : options.baseUrl();
    const input = toRpcHttpRequest({
      method,
      url: `${origin}${request.url}`,
      headers: flattenHeaders(request),
      query: flattenQuery(query),
      params: matched.params,
      body,
    });
    const trigger = options.invoker.functions.get(matched.route.functionName)!.trigger;
    const outcome = await options.invoker.invoke(
      matched.route.functionName,
      [{ name: trigger.name, data: input }],
      {},
      { reason: hostApiReason },
    );
    if (!outcome.ok) return writeEmpty(response, 500);
    const returned = outcome.response.returnValue as RpcTypedData | null | undefined;
    writeRpcHttpResponse(response, returned?.http, method);
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    if (!options.accepting()) {
      return writeProblem(
        response,
        { status: 503, title: 'Service Unavailable', detail: 'The host is shutting down.' },
        { connection: 'close' },
      );
    }
    let parsedPath: { segments: string[]; search: string };
    try {
      parsedPath = parsePath(request.url ?? '/');
    } catch (error) {
      if (!(error instanceof BadRequestPath)) throw error;
      return badRequest(response, error.message);
    }
    const { segments, search } = parsedPath;
    const query = new URLSearchParams(search);

    if (options.cors !== undefined) {
      if (isPreflight(request)) return writeEmpty(response, 204, preflightHeaders(options.cors, request));
      for (const [name, value] of Object.entries(responseHeaders(options.cors, request))) {
        response.setHeader(name, value);
      }
    }

    const rawPath = (request.url ?? '/').split('?')[0]!;
    const extension = options.extensions.find((candidate) =>
      candidate.httpPathPrefixes?.some((prefix) => rawPath.toLowerCase().startsWith(prefix.toLowerCase())),
    );
    if (extension?.handleHttp !== undefined) {
      const untrusted = untrustedCaller(request, options.cors);
      if (untrusted !== undefined) {
        return writeProblem(response, { status: 403, title: 'Forbidden', detail: untrusted });
      }
      const body = await readBodyOr413(request, response);
      if (body === undefined) return;
      return extension.handleHttp(request, body, response);
    }

    if (segments[0]?.toLowerCase() === 'admin') return handleAdmin(request, response, segments, query);

    const underPrefix = prefixSegments.every(
      (segment, index) => segments[index]?.toLowerCase() === segment.toLowerCase(),
    );
    if (!underPrefix) return writeEmpty(response, 404);
    return handleFunction(request, response, segments.slice(prefixSegments.length), query);
  };

  const answer = (request: IncomingMessage, response: ServerResponse): void => {
    options.invoker.track(handle(request, response)).catch((error: unknown) => {
      if (error instanceof RequestAborted) {
        // Nothing ran for it; one line says so (a stack trace here would only describe Node's socket code).
        logger.write(
          'warn',
          `${request.method} ${withoutKey(request.url ?? '/')} dropped before its whole body arrived ` +
            '(the client went away, stalled past the request timeout, or the host is stopping)',
        );
        return;
      }
      logger.write(
        'error',
        `The host failed to answer ${request.method} ${withoutKey(request.url ?? '/')}: ${(error as Error).stack ?? String(error)}`,
      );
      if (!response.headersSent) writeEmpty(response, 500);
      else response.destroy();
    });
  };
  return {
    handle: answer,
    abortUploads: () => {
      for (const request of uploading) request.destroy();
    },
  };
}
