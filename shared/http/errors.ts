/**
 * Application errors with a stable problem type. Use cases throw them; the HTTP layer turns them into
 * RFC 9457 problem+json in one place (`problem.ts`). Nothing here depends on the Functions runtime, so domain
 * code may import it.
 */
import { z } from 'zod';

/** Base of every problem `type` URI; the code after it never changes once published. */
export const problemTypeBase = 'https://datarequests.dev/problems/';

/** One kind of failure: a stable code (the last segment of the problem `type`), its HTTP status and title. */
export interface ProblemKind {
  readonly code: string;
  readonly status: number;
  readonly title: string;
}

const codePattern = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** Declares a problem kind; modules declare their own (e.g. `for-profit-refused`) next to their use cases. */
export function problemKind(code: string, status: number, title: string): ProblemKind {
  if (!codePattern.test(code)) throw new Error(`Problem code must be kebab-case: ${code}`);
  if (!Number.isInteger(status) || status < 400 || status > 599) {
    throw new Error(`Problem status must be 4xx or 5xx: ${status}`);
  }
  return Object.freeze({ code, status, title });
}

export function problemTypeUri(kind: ProblemKind): string {
  return problemTypeBase + kind.code;
}

/** The problem kinds every module shares. */
export const problems = {
  validation: problemKind('validation', 400, 'The request is invalid'),
  invalidJson: problemKind('invalid-json', 400, 'The request body is not valid JSON'),
  unauthorized: problemKind('unauthorized', 401, 'Authentication required'),
  invalidToken: problemKind('invalid-token', 401, 'The access token is not valid'),
  forbidden: problemKind('forbidden', 403, 'Not allowed'),
  insufficientScope: problemKind('insufficient-scope', 403, 'The access token lacks the required scope'),
  notFound: problemKind('not-found', 404, 'Not found'),
  conflict: problemKind('conflict', 409, 'Conflict with the current state'),
  preconditionFailed: problemKind('precondition-failed', 412, 'The resource changed since it was read'),
  preconditionRequired: problemKind('precondition-required', 428, 'If-Match is required'),
  payloadTooLarge: problemKind('payload-too-large', 413, 'The request body is too large'),
  unsupportedMediaType: problemKind('unsupported-media-type', 415, 'Unsupported content type'),
  tooManyRequests: problemKind('too-many-requests', 429, 'Too many requests; retry later'),
  internal: problemKind('internal', 500, 'Internal error'),
  unavailable: problemKind('unavailable', 503, 'A dependency is unavailable'),
} as const;

export const fieldLocations = ['query', 'params', 'body', 'header'] as const;

/** One bad value: where, which (dotted path; empty for the whole body), why, and the allowed values if few. */
export const fieldErrorSchema = z.object({
  in: z.enum(fieldLocations),
  name: z.string(),
  message: z.string(),
  allowed: z.array(z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
});

export type FieldError = z.infer<typeof fieldErrorSchema>;
export type FieldLocation = FieldError['in'];

export interface AppErrorOptions {
  readonly errors?: readonly FieldError[];
  /** Response headers the failure needs (e.g. `WWW-Authenticate`, `Retry-After`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** The underlying error, logged on the server, never sent to the client. */
  readonly cause?: unknown;
  /**
   * RFC 9457 extension members sent with the problem (e.g. the current representation with a 412, the
   * blocking rules of a refused submit). Safe data only; the standard members always win over them.
   */
  readonly extensions?: Readonly<Record<string, unknown>>;
}

/**
 * An expected failure. `detail` is sent to the client as is: it must be safe (no secrets, no internals).
 */
export class AppError extends Error {
  override readonly name = 'AppError';
  readonly errors: readonly FieldError[] | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly extensions: Readonly<Record<string, unknown>>;

  constructor(
    readonly kind: ProblemKind,
    readonly detail: string,
    options: AppErrorOptions = {},
  ) {
    super(`${kind.code}: ${detail}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.errors = options.errors;
    this.headers = options.headers ?? {};
    this.extensions = options.extensions ?? {};
  }

  get status(): number {
    return this.kind.status;
  }

  get code(): string {
    return this.kind.code;
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

/** 404 for anything the caller may not know exists (another requester's request answers the same). */
export function notFound(detail: string): AppError {
  return new AppError(problems.notFound, detail);
}

export function forbidden(detail: string): AppError {
  return new AppError(problems.forbidden, detail);
}

export function conflict(detail: string): AppError {
  return new AppError(problems.conflict, detail);
}

export function validationFailed(errors: readonly FieldError[]): AppError {
  const detail = errors.map((error) => describeFieldError(error)).join('; ');
  return new AppError(problems.validation, detail, { errors });
}

function describeFieldError(error: FieldError): string {
  const where = error.name === '' ? `request ${error.in}` : `${locationNoun[error.in]} '${error.name}'`;
  return `${where}: ${error.message}`;
}

const locationNoun: Record<FieldLocation, string> = {
  query: 'query parameter',
  params: 'path parameter',
  body: 'body field',
  header: 'header',
};
