/**
 * The thin-adapter wrapper every HTTP function uses: authenticate, check the body's type and size, parse
 * query / path / body with zod, call the use case, and turn any failure into problem+json in one place.
 *
 *   export const getRequest = httpHandler(
 *     { auth: 'required', params: z.object({ id: z.uuid() }) },
 *     async ({ params }, principal) => ({ jsonBody: await requests.get(principal, params.id) }),
 *   );
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { authenticate, getTokenVerifier, requireSignedIn } from '../identity/authenticate';
import { requireRole, type Principal, type Role } from '../identity/principal';
import type { TokenVerifier } from '../identity/token-verifier';
import { AppError, problems, validationFailed, type FieldError, type FieldLocation } from './errors';
import { correlationIdHeader, toProblemResponse } from './problem';
import { readBodyBytes } from './body';

/** Who may call: anyone (a token, if sent, must be valid), any signed-in user, or users holding a role. */
export type AuthRequirement = 'optional' | 'required' | { readonly role: Role };

export interface HttpHandlerSpec {
  readonly auth: AuthRequirement;
  readonly query?: z.ZodType;
  readonly params?: z.ZodType;
  /** A JSON body; requests must send `Content-Type: application/json`. */
  readonly body?: z.ZodType;
  /** Largest accepted body in bytes (default 1 MiB). */
  readonly maxBodyBytes?: number;
  /** No body at all (no content type, nothing sent) counts as `{}`: for bodies whose fields all have defaults. */
  readonly optionalBody?: boolean;
}

type Parsed<S extends HttpHandlerSpec, K extends 'query' | 'params' | 'body'> = S extends {
  readonly [P in K]: infer T extends z.ZodType;
}
  ? z.output<T>
  : undefined;

export interface HandlerInput<S extends HttpHandlerSpec> {
  readonly query: Parsed<S, 'query'>;
  readonly params: Parsed<S, 'params'>;
  readonly body: Parsed<S, 'body'>;
  /** The raw request, for headers such as `If-None-Match`. */
  readonly request: HttpRequest;
}

export type PrincipalFor<A extends AuthRequirement> = A extends 'optional'
  ? Principal | undefined
  : Principal;

export type UseCaseHandler<S extends HttpHandlerSpec> = (
  input: HandlerInput<S>,
  principal: PrincipalFor<S['auth']>,
  context: InvocationContext,
) => Promise<HttpResponseInit>;

/** The Functions handler, carrying its spec so the OpenAPI document can be generated from the same schemas. */
export type SpecifiedHttpHandler<S extends HttpHandlerSpec> = ((
  request: HttpRequest,
  context: InvocationContext,
) => Promise<HttpResponseInit>) & { readonly spec: S };

export interface HttpHandlerDependencies {
  readonly verifier: () => TokenVerifier;
}

const defaultDependencies: HttpHandlerDependencies = { verifier: getTokenVerifier };

export const defaultMaxBodyBytes = 1024 * 1024;

export function httpHandler<const S extends HttpHandlerSpec>(
  spec: S,
  handle: UseCaseHandler<S>,
  dependencies: HttpHandlerDependencies = defaultDependencies,
): SpecifiedHttpHandler<S> {
  const handler = correlated(async (request, context) => {
    const principal = await authorize(request, spec.auth, dependencies);
    const body = spec.body === undefined ? undefined : await readJson(request, spec);
    const invalid: FieldError[] = [];
    const input = {
      query: parseInput(invalid, 'query', spec.query, queryToObject(request.query)),
      params: parseInput(invalid, 'params', spec.params, request.params),
      body: parseInput(invalid, 'body', spec.body, body),
      request,
    } as HandlerInput<S>;
    if (invalid.length > 0) throw validationFailed(invalid);
    return handle(input, principal as PrincipalFor<S['auth']>, context);
  });
  return Object.assign(handler, { spec });
}

/**
 * The part of `httpHandler` every app response needs, for functions that parse nothing (health, the OpenAPI
 * document): the invocation id in `X-Correlation-Id`, and any failure as problem+json.
 */
export function correlated(
  handle: (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>,
): (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> {
  return async (request, context) => {
    const correlationId = context.invocationId;
    try {
      const response = await handle(request, context);
      const headers = new Headers(response.headers);
      headers.set(correlationIdHeader, correlationId);
      return { ...response, headers };
    } catch (error) {
      return toProblemResponse(error, {
        correlationId,
        instance: new URL(request.url).pathname,
        log: context,
      });
    }
  };
}

/**
 * The error statuses the wrapper itself may answer for `spec` (for the OpenAPI document; use cases add their
 * own, e.g. 404). Any sent token can be refused (401/403) or unverifiable (503), even where auth is optional.
 */
export function wrapperProblemStatuses(spec: HttpHandlerSpec): number[] {
  const hasInput = spec.query !== undefined || spec.params !== undefined || spec.body !== undefined;
  return [...(hasInput ? [400] : []), 401, 403, ...(spec.body === undefined ? [] : [413, 415]), 500, 503];
}

async function authorize(
  request: HttpRequest,
  auth: AuthRequirement,
  dependencies: HttpHandlerDependencies,
): Promise<Principal | undefined> {
  const header = request.headers.get('authorization');
  const principal = header === null ? undefined : await authenticate(header, dependencies.verifier());
  if (auth === 'optional') return principal;
  const signedIn = requireSignedIn(principal);
  if (auth !== 'required') requireRole(signedIn, auth.role);
  return signedIn;
}

/**
 * Repeated keys become arrays; single keys stay strings (see `queryList` for list parameters). A
 * null-prototype object, so `__proto__=x` or `constructor=x` is an ordinary key that a strict schema refuses
 * like any unknown parameter instead of silently vanishing (or reaching `Object.prototype`).
 */
function queryToObject(query: URLSearchParams): Record<string, string | string[]> {
  const result = Object.create(null) as Record<string, string | string[]>;
  for (const key of new Set(query.keys())) {
    const values = query.getAll(key);
    result[key] = values.length === 1 ? values[0]! : values;
  }
  return result;
}

/** Parses one part of the request; its problems join `invalid` so that one answer names every bad value. */
function parseInput(
  invalid: FieldError[],
  location: FieldLocation,
  schema: z.ZodType | undefined,
  value: unknown,
): unknown {
  if (schema === undefined) return undefined;
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  invalid.push(...result.error.issues.flatMap((issue) => toFieldErrors(location, issue)));
  return undefined;
}

function toFieldErrors(location: FieldLocation, issue: z.core.$ZodIssue): FieldError[] {
  // Query parameters are named by their key; list positions mean nothing to the caller there.
  const nameOf = (path: readonly PropertyKey[]): string =>
    (location === 'query' ? path.slice(0, 1) : path).map(String).join('.');
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({
        in: location,
        name: nameOf([...issue.path, key]),
        message: 'is not allowed',
      }));
    case 'invalid_value':
      return [
        {
          in: location,
          name: nameOf(issue.path),
          message: `${issue.input === undefined ? 'is required; it ' : ''}must be one of: ${issue.values.map(String).join(', ')}`,
          allowed: issue.values.map(toJsonPrimitive),
        },
      ];
    case 'invalid_type':
      return [
        {
          in: location,
          name: nameOf(issue.path),
          message: issue.input === undefined ? 'is required' : `must be of type ${issue.expected}`,
        },
      ];
    default:
      return [{ in: location, name: nameOf(issue.path), message: issue.message }];
  }
}

function toJsonPrimitive(value: unknown): string | number | boolean | null {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return value === null || value === undefined ? null : String(value);
}

const jsonMediaType = /^application\/(?:[\w.+-]+\+)?json$/i;

/** Reads the body as JSON, refusing a wrong content type (415) and stopping as soon as it exceeds the cap (413). */
async function readJson(request: HttpRequest, spec: HttpHandlerSpec): Promise<unknown> {
  const contentType = request.headers.get('content-type');
  if (spec.optionalBody === true && contentType === null) {
    const body = await readBodyBytes(request, spec.maxBodyBytes ?? defaultMaxBodyBytes);
    if (body.byteLength === 0) return {};
  }
  const [mediaType = '', ...parameters] = (contentType ?? '').split(';');
  const charset = parameters
    .map((parameter) => parameter.trim().toLowerCase())
    .find((p) => p.startsWith('charset='));
  if (!jsonMediaType.test(mediaType.trim()) || (charset !== undefined && charset !== 'charset=utf-8')) {
    throw new AppError(problems.unsupportedMediaType, 'Send the body as application/json (UTF-8).', {
      headers: { accept: 'application/json' },
    });
  }
  const body = await readBodyBytes(request, spec.maxBodyBytes ?? defaultMaxBodyBytes);
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    throw new AppError(problems.invalidJson, 'The request body is not valid UTF-8 JSON.');
  }
}

/**
 * A list-valued query parameter: `?type=BAM&type=CNV` and `?type=BAM,CNV` both give `['BAM', 'CNV']`;
 * absent gives `[]`. Bad items are reported under the parameter's name with the allowed values.
 */
export function queryList<T extends z.ZodType<unknown, string>>(item: T, options: { readonly max: number }) {
  return z
    .union([z.string(), z.array(z.string())])
    .optional()
    .transform((value) =>
      (value === undefined ? [] : Array.isArray(value) ? value : [value])
        .flatMap((entry) => entry.split(','))
        .map((entry) => entry.trim())
        .filter((entry) => entry !== ''),
    )
    .pipe(z.array(item).max(options.max));
}

/**
 * A whole-number query parameter written in decimal digits only: `1e2`, `0x10`, ` 5`, `5.0` and an empty
 * value are refused (`z.coerce.number()` would take them all), with a message that says what is expected.
 */
export function queryInteger(options: {
  readonly min: number;
  readonly max: number;
  readonly default: number;
}) {
  const expected = `a whole number from ${options.min} to ${options.max} in decimal digits`;
  return z
    .string()
    .optional()
    .transform((text, context) => {
      if (text === undefined) return options.default;
      const value = /^\d{1,15}$/.test(text) ? Number(text) : Number.NaN;
      if (value >= options.min && value <= options.max) return value;
      context.addIssue({
        code: 'custom',
        message: text === '' ? `is empty; give ${expected}` : `must be ${expected}`,
      });
      return z.NEVER;
    })
    .meta({ description: `${expected} (default ${options.default})` });
}
