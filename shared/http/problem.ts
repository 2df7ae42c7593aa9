/**
 * RFC 9457 problem details: the one place where any error becomes an HTTP answer. Expected failures
 * (`AppError`) keep their status and safe detail; anything else is a 500 whose body says nothing about the
 * cause, while the log gets the cause with the correlation id (secrets masked).
 */
import type { HttpResponseInit } from '@azure/functions';
import { z } from 'zod';
import { AppError, fieldErrorSchema, isAppError, problems, problemTypeUri } from './errors';

export const problemContentType = 'application/problem+json';
export const correlationIdHeader = 'x-correlation-id';

/** The body of every error answer (also the OpenAPI schema of error responses). */
export const problemDetailsSchema = z
  .object({
    type: z.url(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string(),
    correlationId: z.string(),
    errors: z.array(fieldErrorSchema).optional(),
  })
  // Extension members (RFC 9457 §3.2), e.g. `current` with a 412 or `rules` with a refused submit.
  .catchall(z.unknown())
  .meta({ id: 'ProblemDetails', description: 'RFC 9457 problem details' });

export type ProblemDetails = z.infer<typeof problemDetailsSchema>;

/** What the log needs: InvocationContext fits. */
export interface ErrorLog {
  error(...args: unknown[]): void;
  warn(...args: unknown[]): void;
}

export interface ProblemContext {
  /** The invocation id: in the response header and body, and in every log line about the failure. */
  readonly correlationId: string;
  /** The request path, identifying the occurrence. */
  readonly instance: string;
  readonly log: ErrorLog;
}

/** Maps any thrown value to a problem+json response. */
export function toProblemResponse(error: unknown, context: ProblemContext): HttpResponseInit {
  const appError = isAppError(error)
    ? error
    : new AppError(
        problems.internal,
        `An unexpected error occurred. Quote ${context.correlationId} when reporting it.`,
      );
  if (appError.status >= 500) {
    context.log.error(
      `[${context.correlationId}] ${appError.code}: ${describeForLog(appError === error ? appError.cause : error)}`,
    );
  } else if (appError.cause !== undefined) {
    // The client got a deliberately vague answer (e.g. "invalid token"); the log says exactly why.
    context.log.warn(`[${context.correlationId}] ${appError.code}: ${describeBriefly(appError.cause)}`);
  }
  const body: ProblemDetails = {
    ...appError.extensions,
    type: problemTypeUri(appError.kind),
    title: appError.kind.title,
    status: appError.status,
    detail: appError.detail,
    instance: context.instance,
    correlationId: context.correlationId,
    ...(appError.errors === undefined ? {} : { errors: [...appError.errors] }),
  };
  return {
    status: appError.status,
    headers: {
      ...appError.headers,
      'content-type': problemContentType,
      [correlationIdHeader]: context.correlationId,
    },
    body: JSON.stringify(body),
  };
}

/** Error text for the log: name, message and stack, with credentials masked. */
export function describeForLog(error: unknown): string {
  if (error === undefined) return '(no cause)';
  const text = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
  const cause =
    error instanceof Error && error.cause !== undefined ? `\ncaused by: ${describeForLog(error.cause)}` : '';
  return redactSecrets(text) + cause;
}

/** One line: the error's code or name and message, credentials masked. */
function describeBriefly(error: unknown): string {
  if (!(error instanceof Error)) return redactSecrets(String(error));
  const code = (error as { code?: unknown }).code;
  return redactSecrets(`${typeof code === 'string' ? code : error.name}: ${error.message}`);
}

const secretPatterns: readonly RegExp[] = [
  // key=value pairs in connection strings and query strings (AccountKey=, sig=, code=, password=, ...)
  /\b(AccountKey|SharedAccessKey|SharedAccessSignature|sig|code|password|pwd|secret|client_secret|token|access_token)=([^;&\s"']+)/gi,
  // bearer credentials in copied headers
  /\bBearer\s+[A-Za-z0-9\-._~+/]+=*/gi,
  // anything shaped like a JWT
  /\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g,
];

export function redactSecrets(text: string): string {
  return secretPatterns.reduce(
    (masked, pattern) =>
      masked.replace(pattern, (match, name: unknown) =>
        typeof name === 'string' && match.includes('=') ? `${name}=[redacted]` : '[redacted]',
      ),
    text,
  );
}
