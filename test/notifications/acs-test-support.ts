/**
 * Helpers for the ACS Email stand-in tests: a stand-in on a fresh local CA, the real SDK client trusting
 * that CA, and raw HTTPS requests signed here independently of the stand-in's own code (protocols §4.2), so
 * tests can send what the SDK never would: stale dates, tampered bodies, missing headers.
 */
import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EmailClient, type EmailClientOptions, type EmailMessage } from '@azure/communication-email';
import {
  startAcsEmailStandIn,
  type AcsEmailStandIn,
  type AcsEmailStandInOptions,
} from '../../infra/local/standins/acs-email';
import { ensureLocalCertificates, type LocalCertificates } from '../../infra/local/standins/tls';
import { rawRequest, type RawRequestInit, type RawResponse } from '../support/raw-request';

export interface StandInFixture {
  readonly standIn: AcsEmailStandIn;
  readonly certificates: LocalCertificates;
  /** The real SDK client, trusting the local CA (as the app does with NODE_EXTRA_CA_CERTS). */
  client(connectionString?: string, options?: EmailClientOptions): EmailClient;
  /** A raw HTTPS request to the stand-in, trusting its CA. */
  request(pathAndQuery: string, init?: Omit<RawRequestInit, 'ca'>): Promise<RawResponse>;
}

let certificatesOnce: Promise<LocalCertificates> | undefined;

/** One CA per test file (RSA key generation is the slow part). */
export function localCertificates(): Promise<LocalCertificates> {
  certificatesOnce ??= ensureLocalCertificates(mkdtempSync(path.join(tmpdir(), 'acs-tls-')));
  return certificatesOnce;
}

export async function startStandIn(
  options: Partial<Omit<AcsEmailStandInOptions, 'tls'>> = {},
): Promise<StandInFixture> {
  const certificates = await localCertificates();
  const standIn = await startAcsEmailStandIn({
    port: 0,
    retryAfterSeconds: 0,
    ...options,
    tls: { cert: certificates.serverCertPem, key: certificates.serverKeyPem },
  });
  return {
    standIn,
    certificates,
    client: (connectionString = standIn.connectionString, clientOptions = {}) =>
      new EmailClient(connectionString, {
        ...clientOptions,
        tlsOptions: { ca: certificates.caPem },
      }),
    request: (pathAndQuery, init = {}) =>
      rawRequest(standIn.endpoint, pathAndQuery, { ...init, ca: certificates.caPem }),
  };
}

export interface SigningInput {
  readonly method: string;
  /** Absolute URL the request goes to. */
  readonly url: URL;
  /** The body the signature (and x-ms-content-sha256) is computed over. */
  readonly body: string;
  readonly accessKey: string;
  readonly date?: Date;
}

/** The headers `@azure/communication-common`'s access-key policy would add, computed by hand. */
export function hmacHeaders(input: SigningInput): Record<string, string> {
  const date = (input.date ?? new Date()).toUTCString();
  const contentHash = createHash('sha256').update(input.body).digest('base64');
  const query = input.url.searchParams.toString();
  const pathAndQuery = query === '' ? input.url.pathname : `${input.url.pathname}?${query}`;
  const toSign = `${input.method}\n${pathAndQuery}\n${date};${input.url.host};${contentHash}`;
  const signature = createHmac('sha256', Buffer.from(input.accessKey, 'base64'))
    .update(toSign)
    .digest('base64');
  return {
    'x-ms-date': date,
    'x-ms-content-sha256': contentHash,
    authorization: `HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=${signature}`,
  };
}

export const sendPath = '/emails:send?api-version=2025-09-01';

/** A signed raw `POST /emails:send`; `signedBody` (default: the body sent) is what the signature covers. */
export function sendRaw(
  fixture: StandInFixture,
  body: string,
  options: {
    readonly signedBody?: string;
    readonly date?: Date;
    readonly headers?: (signed: Record<string, string>) => Record<string, string>;
    readonly operationId?: string;
  } = {},
): Promise<RawResponse> {
  const url = new URL(sendPath, fixture.standIn.endpoint);
  const signed = hmacHeaders({
    method: 'POST',
    url,
    body: options.signedBody ?? body,
    accessKey: fixture.standIn.accessKey,
    date: options.date,
  });
  const headers = options.headers?.(signed) ?? signed;
  return fixture.request(sendPath, {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/json',
      ...(options.operationId === undefined ? {} : { 'operation-id': options.operationId }),
      ...headers,
    },
  });
}

/** A signed raw GET of an operation's status. */
export function pollRaw(fixture: StandInFixture, operationId: string): Promise<RawResponse> {
  const pathAndQuery = `/emails/operations/${operationId}?api-version=2025-09-01`;
  const url = new URL(pathAndQuery, fixture.standIn.endpoint);
  return fixture.request(pathAndQuery, {
    headers: hmacHeaders({ method: 'GET', url, body: '', accessKey: fixture.standIn.accessKey }),
  });
}

export function mail(overrides: Partial<EmailMessage> = {}): EmailMessage {
  return {
    senderAddress: 'DoNotReply@notifications.localhost',
    content: {
      subject: 'Hello',
      plainText: 'Open https://example.org/x',
      html: '<p><a href="https://example.org/x">x</a></p>',
    },
    recipients: { to: [{ address: 'alice@example.org' }] },
    ...overrides,
  };
}

/** Sends through the SDK and waits for the outcome (at most `timeoutMs`, so a stuck send fails fast). */
export async function sendAndWait(
  client: EmailClient,
  message: EmailMessage,
  operationId?: string,
  timeoutMs = 5000,
): Promise<{ readonly id: string; readonly status: string }> {
  const abortSignal = AbortSignal.timeout(timeoutMs);
  const poller = await client.beginSend(message, { operationId, updateIntervalInMs: 20, abortSignal });
  return poller.pollUntilDone({ abortSignal });
}
