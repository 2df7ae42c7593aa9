/**
 * The HMAC-SHA256 request signature of Azure Communication Services, checked the way the service checks
 * what `@azure/communication-common`'s access-key policy signs (protocols §4.2):
 *
 *   x-ms-content-sha256 = base64(SHA-256(body))
 *   string to sign      = VERB \n path[?query] \n value;value;... (the SignedHeaders' values, in their order)
 *   Authorization       = HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=base64(HMAC(key))
 *
 * SignedHeaders must name at least x-ms-date, host and x-ms-content-sha256, each present on the request. The
 * query is re-serialised with `URLSearchParams` as the client does, and `host` is the Host header as sent
 * (with its port).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** How far x-ms-date may be from the server's clock, either way (the service allows 15 minutes). */
export const maxClockSkewMs = 15 * 60 * 1000;

export const requiredSignedHeaders = ['x-ms-date', 'host', 'x-ms-content-sha256'] as const;

export interface SignedRequest {
  readonly method: string;
  /** The request target as received (`/emails:send?api-version=...`). */
  readonly target: string;
  readonly headers: IncomingHttpHeaders;
  /** base64(SHA-256) of the body as received (see `contentHashOf`; hashed while streaming for large bodies). */
  readonly bodyHash: string;
}

export type SignatureCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export function contentHashOf(body: Buffer | string): string {
  return createHash('sha256').update(body).digest('base64');
}

/** The string the client signs: verb, path and query, then the signed headers' values joined by `;`. */
export function stringToSign(method: string, target: string, signedValues: readonly string[]): string {
  const url = new URL(target, 'http://signature.invalid');
  const query = url.searchParams.toString();
  const pathAndQuery = query === '' ? url.pathname : `${url.pathname}?${query}`;
  return `${method.toUpperCase()}\n${pathAndQuery}\n${signedValues.join(';')}`;
}

export function signatureOf(accessKeyBase64: string, text: string): string {
  return createHmac('sha256', Buffer.from(accessKeyBase64, 'base64')).update(text).digest('base64');
}

export function verifyRequestSignature(
  request: SignedRequest,
  accessKeyBase64: string,
  nowMs: number,
): SignatureCheck {
  const header = (name: string): string | undefined => {
    const value = request.headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const authorization = /^HMAC-SHA256 SignedHeaders=([^&]+)&Signature=(.+)$/.exec(
    header('authorization') ?? '',
  );
  if (authorization === null) return { ok: false, reason: 'missing or malformed HMAC-SHA256 Authorization' };
  const signedHeaders = authorization[1]!.toLowerCase().split(';');
  if (requiredSignedHeaders.some((name) => !signedHeaders.includes(name))) {
    return { ok: false, reason: `SignedHeaders must include ${requiredSignedHeaders.join(';')}` };
  }
  const signedValues: string[] = [];
  for (const name of signedHeaders) {
    const value = header(name);
    if (value === undefined) return { ok: false, reason: `the signed header ${name} is missing` };
    signedValues.push(value);
  }
  const date = header('x-ms-date')!;
  const sentAt = Date.parse(date);
  if (Number.isNaN(sentAt) || Math.abs(nowMs - sentAt) > maxClockSkewMs) {
    return { ok: false, reason: 'x-ms-date is malformed or outside the allowed clock skew' };
  }
  if (!equalText(request.bodyHash, header('x-ms-content-sha256')!)) {
    return { ok: false, reason: 'the body does not match x-ms-content-sha256' };
  }
  const expected = signatureOf(accessKeyBase64, stringToSign(request.method, request.target, signedValues));
  if (!equalText(expected, authorization[2]!)) return { ok: false, reason: 'the signature does not match' };
  return { ok: true };
}

function equalText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
