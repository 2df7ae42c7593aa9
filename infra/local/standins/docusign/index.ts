/**
 * The DocuSign eSignature stand-in: what the unmodified `docusign-esign` SDK calls, on one HTTPS port with the
 * local CA's certificate (127.0.0.1 only), plus pages for people and Connect webhooks.
 *
 * Public API (everything else in this folder is internal):
 *
 *   const docusign = await startDocuSignStandIn({ tls, caPem, dataDir, clock, deliverMail, log });
 *   docusign.env            // the app's DocuSign__* settings for this stand-in (names in shared/config/settings.ts)
 *   docusign.origin         // https://127.0.0.1:PORT — also userinfo's base_uri (REST: `${origin}/restapi`)
 *   docusign.oAuthBasePath  // 127.0.0.1:PORT — the SDK's setOAuthBasePath and the JWT `aud`
 *   docusign.credentials    // integrationKey, userId, accountId, privateKeyPem, publicKeyPem, connectHmacKeys
 *   docusign.pendingUrl     // the page listing pending signatures with their signing links
 *   docusign.pendingSignatures()   // the same, in process: [{envelopeId, recipientId, email, url, …}]
 *   docusign.setDeliverMail(fn)    // wire "please sign" mails to an outbox later
 *   docusign.connect.faults.drop(n, events?) / .duplicate(n, events?) / .reorder(n) / .clear()
 *   docusign.connect.attempts      // every Connect attempt: event, envelopeId, retryCount, outcome (status)
 *   docusign.connect.idle()        // resolves when no delivery is due or in flight
 *   docusign.connect.pending()     // unacknowledged deliveries (waiting retries, failed)
 *   await docusign.close()
 *
 * HTTP:
 *   POST /oauth/token                      JWT grant (oauth.ts says what is checked and how it fails)
 *   GET  /oauth/userinfo                   the user and its one account, base_uri = origin
 *   /restapi/v2.1/accounts/{accountId}/envelopes            POST create (201; status sent|created), GET list
 *                                                            (from_date | envelope_ids [, status])
 *     …/envelopes/{envelopeId}                               GET (?include=recipients,documents), PUT
 *                                                            ({status:"voided",voidedReason} | {status:"sent"} |
 *                                                            ?resend_envelope=true)
 *     …/envelopes/{envelopeId}/recipients                    GET (?include_tabs=true)
 *     …/envelopes/{envelopeId}/documents[/{documentId}]      GET (the PDF as sent; `combined` for one document)
 *     …/envelopes/{envelopeId}/notification                  GET, PUT (reminders, expirations)
 *   /restapi/v2.1/accounts/{accountId}/folders/recyclebin   PUT {envelopeIds}: a draft is deleted (discarded);
 *                                                            voiding a draft is refused, as DocuSign does
 *   GET  /signing/{envelopeId}/{recipientId}?token=…       a recipient's signing page (the link in the mail)
 *   POST /signing/{envelopeId}/{recipientId}               form: token, action=sign|decline, reason
 *   GET  /pending, /pending.json                           pending signatures with their links
 *
 * Connect (connect.ts): envelope-level `eventNotification` only, JSON SIM (`eventData.format:"json"`), to its
 * `url`, for the events listed in `events` (nothing is sent for events not listed). HMAC headers only with
 * `includeHMAC:"true"`; retries only with `requireAcknowledgment:"true"` — as DocuSign does.
 *
 * Envelopes, documents and the Connect queue persist under `<dataDir>/docusign/` (crash-safe, see store.ts);
 * a restart resumes pending deliveries and expiry/reminder timers, which run on the injected clock. OAuth
 * assertions and access tokens use the wall clock, because the SDK stamps `iat`/`exp` with `Date.now()`.
 *
 * Trusting the local CA from the SDK: `docusign-esign` sends every request through the default instance of the
 * CommonJS `axios` it `require`s, with no agent option; give that instance the CA for the stand-in's origin
 * only, e.g. `axios.interceptors.request.use(config => (isStandIn(config) ? {...config, httpsAgent} : config))`
 * with `httpsAgent = new https.Agent({ ca })` (test/docusign-standin/support.ts does exactly this).
 */
import { promises as fs } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { SystemClock, type Clock } from '../../clock';
import { ConnectDispatcher, type ConnectFaults, type DeliveryAttempt } from './connect';
import { loadOrCreateCredentials } from './credentials';
import { EnvelopeService, type MailSender, type PendingSignature } from './envelopes';
import {
  BodyTooLargeError,
  DocuSignApiError,
  OAuthError,
  readBody,
  sendHtml,
  sendJson,
  sendPdf,
} from './http';
import type { StoredDelivery } from './model';
import { OAuthService } from './oauth';
import { errorPage, pendingPage, signingPage } from './pages';
import { EnvelopeStore } from './store';

export type { Mail, MailSender, PendingSignature } from './envelopes';
export type { ConnectFaults, DeliveryAttempt } from './connect';
export { expiredVoidedReason } from './envelopes';

export const docuSignStandInDefaultPort = 7443;
/** DocuSign's limit is 25 MB per document; a whole envelope request in base64 stays under this. */
const maxEnvelopeRequestBytes = 40 * 1024 * 1024;
const maxFormBytes = 16 * 1024;

export interface DocuSignStandInOptions {
  /** Server certificate and key (PEM), signed by the local CA. */
  readonly tls: { readonly cert: string; readonly key: string };
  /** The local CA (PEM): trusted when a Connect receiver is https. */
  readonly caPem?: string;
  /** Port on 127.0.0.1 (default 7443; 0 picks a free one). */
  readonly port?: number;
  /** Root of local state; the stand-in keeps `<dataDir>/docusign/`. Undefined keeps everything in memory. */
  readonly dataDir?: string;
  /** Forget envelopes and deliveries first (the credentials are kept, so the app's settings stay valid). */
  readonly fresh?: boolean;
  /** Expiry, reminders and Connect retries run on this clock (a VirtualClock in tests). */
  readonly clock?: Clock;
  /** Where "please sign" mails go; without it, `/pending` is the way to the signing pages. */
  readonly deliverMail?: MailSender;
  /** Connect HMAC secrets instead of the generated one (several: `X-DocuSign-Signature-1..n`). */
  readonly connectHmacKeys?: readonly string[];
  /** Connect retry schedule (default: ten retries from 5 s to a day) and receiver timeout (default 100 s). */
  readonly connectRetryDelaysMs?: readonly number[];
  readonly connectTimeoutMs?: number;
  readonly log?: (line: string) => void;
}

export interface DocuSignStandInCredentials {
  readonly integrationKey: string;
  readonly userId: string;
  readonly accountId: string;
  readonly privateKeyPem: string;
  readonly publicKeyPem: string;
  readonly connectHmacKeys: readonly string[];
}

export interface DocuSignStandIn {
  readonly origin: string;
  readonly oAuthBasePath: string;
  readonly pendingUrl: string;
  readonly credentials: DocuSignStandInCredentials;
  /** `DocuSign__oAuthBasePath`, `__integrationKey`, `__userId`, `__privateKey`, `__connectHmacKeys`. */
  readonly env: Readonly<Record<string, string>>;
  readonly connect: {
    readonly faults: ConnectFaults;
    readonly attempts: readonly DeliveryAttempt[];
    idle(): Promise<void>;
    pending(): readonly (StoredDelivery & { readonly envelopeId: string })[];
  };
  pendingSignatures(): PendingSignature[];
  setDeliverMail(deliverMail: MailSender | undefined): void;
  close(): Promise<void>;
}

export async function startDocuSignStandIn(options: DocuSignStandInOptions): Promise<DocuSignStandIn> {
  const log = options.log ?? (() => undefined);
  const clock = options.clock ?? new SystemClock();
  const stateDir =
    options.dataDir === undefined ? undefined : path.join(path.resolve(options.dataDir), 'docusign');
  if (stateDir !== undefined && options.fresh === true) {
    await fs.rm(path.join(stateDir, 'envelopes'), { recursive: true, force: true });
    await fs.rm(path.join(stateDir, 'documents'), { recursive: true, force: true });
  }
  const stored = await loadOrCreateCredentials(stateDir);
  const hmacKeys = options.connectHmacKeys ?? [stored.connectHmacKey];
  const store = await EnvelopeStore.open(stateDir);

  const server = https.createServer({ cert: options.tls.cert, key: options.tls.key });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? docuSignStandInDefaultPort, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const origin = `https://127.0.0.1:${port}`;
  const oAuthBasePath = `127.0.0.1:${port}`;

  const user = {
    userId: stored.userId,
    name: 'Data Requests (local sender)',
    givenName: 'Data Requests',
    familyName: 'Sender',
    email: 'docusign-sender@data-requests.example',
  };
  const oauth = new OAuthService(stored, oAuthBasePath, user, origin);
  const connect = new ConnectDispatcher({
    clock,
    userId: stored.userId,
    hmacKeys: () => hmacKeys,
    save: (envelopeId) => store.save(envelopeId),
    envelope: (envelopeId) => store.get(envelopeId),
    retryDelaysMs: options.connectRetryDelaysMs,
    timeoutMs: options.connectTimeoutMs,
    ca: options.caPem,
    log,
  });
  let deliverMail = options.deliverMail;
  const envelopes = new EnvelopeService({
    store,
    clock,
    connect,
    accountId: stored.accountId,
    user,
    origin,
    mail: () => deliverMail,
    log,
  });
  connect.resume(store.all());
  envelopes.resume();

  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    route(request, response).catch((error: unknown) => answerError(response, error, log));
  });

  async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', origin);
    const { pathname } = url;
    const method = request.method ?? 'GET';
    if (pathname === '/oauth/token' && method === 'POST') {
      const form = new URLSearchParams((await readBody(request, maxFormBytes)).toString('utf8'));
      return sendJson(response, 200, await oauth.grant(form), { 'cache-control': 'no-store' });
    }
    if (pathname === '/oauth/userinfo' && method === 'GET') {
      return sendJson(response, 200, oauth.userInfo(request.headers.authorization), {
        'cache-control': 'no-store',
      });
    }
    if (pathname.startsWith('/restapi/')) return rest(request, response, url);
    const signing = /^\/signing\/([0-9a-f-]{36})\/([1-9]\d{0,8})(?:\/documents\/([A-Za-z0-9]{1,20}))?$/.exec(
      pathname,
    );
    if (signing !== null) return signingRoute(request, response, url, signing[1]!, signing[2]!, signing[3]);
    if (pathname === '/pending.json' && method === 'GET')
      return sendJson(response, 200, envelopes.pendingSignatures());
    if (pathname === '/pending' && method === 'GET') {
      return sendHtml(response, 200, pendingPage(envelopes.pendingSignatures(), deliverMail !== undefined));
    }
    if (pathname === '/' && method === 'GET') {
      response.writeHead(302, { location: '/pending' });
      return void response.end();
    }
    throw new DocuSignApiError(404, 'RESOURCE_NOT_FOUND', `No such resource: ${method} ${pathname}`);
  }

  async function rest(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const claims = oauth.authenticate(request.headers.authorization);
    if (claims === undefined || !claims.scope.split(' ').includes('signature')) {
      throw new DocuSignApiError(
        401,
        'AUTHORIZATION_INVALID_TOKEN',
        'The access token provided is expired, revoked or malformed.',
      );
    }
    const folder = /^\/restapi\/v2\.1\/accounts\/([^/]+)\/folders\/([^/]+)\/?$/.exec(url.pathname);
    if (folder !== null && request.method === 'PUT') {
      const [accountId, folderId] = [folder[1]!, folder[2]!].map(decodeURIComponent) as [string, string];
      const body = parseJson(await readBody(request, maxFormBytes));
      return sendJson(response, 200, await envelopes.moveToFolder(accountId, folderId, body));
    }
    const match =
      /^\/restapi\/v2\.1\/accounts\/([^/]+)\/envelopes(?:\/([^/]+)(?:\/(recipients|documents|notification)(?:\/([^/]+))?)?)?\/?$/.exec(
        url.pathname,
      );
    if (match === null) {
      throw new DocuSignApiError(
        404,
        'INVALID_REQUEST_PARAMETER',
        `The stand-in does not serve ${url.pathname}`,
      );
    }
    const [, accountId, envelopeId, part, documentId] = match.map((segment) =>
      segment === undefined ? undefined : decodeURIComponent(segment),
    ) as [string, string, string | undefined, string | undefined, string | undefined];
    const method = request.method ?? 'GET';
    const query = url.searchParams;
    const json = async (): Promise<unknown> => parseJson(await readBody(request, maxEnvelopeRequestBytes));

    if (envelopeId === undefined) {
      if (method === 'POST') return sendJson(response, 201, await envelopes.create(accountId, await json()));
      if (method === 'GET') return sendJson(response, 200, envelopes.list(accountId, query));
    } else if (part === undefined) {
      if (method === 'GET') {
        const include = (query.get('include') ?? '').split(',').map((each) => each.trim());
        return sendJson(response, 200, envelopes.get(accountId, envelopeId, include));
      }
      if (method === 'PUT') {
        const resend = query.get('resend_envelope') === 'true';
        return sendJson(response, 200, await envelopes.update(accountId, envelopeId, await json(), resend));
      }
    } else if (part === 'recipients' && documentId === undefined && method === 'GET') {
      return sendJson(
        response,
        200,
        envelopes.recipients(accountId, envelopeId, query.get('include_tabs') === 'true'),
      );
    } else if (part === 'documents' && method === 'GET') {
      if (documentId === undefined)
        return sendJson(response, 200, envelopes.documents(accountId, envelopeId));
      const document = await envelopes.document(accountId, envelopeId, documentId);
      return sendPdf(response, document.bytes, document.name, false);
    } else if (part === 'notification' && documentId === undefined) {
      if (method === 'GET') return sendJson(response, 200, envelopes.notification(accountId, envelopeId));
      if (method === 'PUT')
        return sendJson(
          response,
          200,
          await envelopes.updateNotification(accountId, envelopeId, await json()),
        );
    }
    throw new DocuSignApiError(
      405,
      'INVALID_REQUEST_METHOD',
      `The stand-in does not support ${method} ${url.pathname}`,
    );
  }

  async function signingRoute(
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
    envelopeId: string,
    recipientId: string,
    documentId: string | undefined,
  ): Promise<void> {
    const method = request.method ?? 'GET';
    try {
      if (method === 'GET') {
        const token = url.searchParams.get('token') ?? '';
        if (documentId !== undefined) {
          const document = await envelopes.signingDocument(envelopeId, recipientId, token, documentId);
          return sendPdf(response, document.bytes, document.name, true);
        }
        const view = await envelopes.open(envelopeId, recipientId, token);
        const notice = { signed: 'Thank you: you have signed.', declined: 'You declined to sign.' }[
          url.searchParams.get('done') ?? ''
        ];
        return sendHtml(response, 200, signingPage(view, notice));
      }
      if (method === 'POST' && documentId === undefined) {
        const form = new URLSearchParams((await readBody(request, maxFormBytes)).toString('utf8'));
        const token = form.get('token') ?? '';
        const action = form.get('action');
        if (action === 'sign') await envelopes.sign(envelopeId, recipientId, token);
        else if (action === 'decline')
          await envelopes.decline(envelopeId, recipientId, token, form.get('reason') ?? '');
        else throw new DocuSignApiError(400, 'INVALID_ACTION', 'action must be sign or decline');
        const done = action === 'sign' ? 'signed' : 'declined';
        response.writeHead(303, {
          location: `/signing/${envelopeId}/${recipientId}?token=${encodeURIComponent(token)}&done=${done}`,
        });
        return void response.end();
      }
      throw new DocuSignApiError(405, 'INVALID_REQUEST_METHOD', `${method} is not supported here`);
    } catch (error) {
      if (error instanceof DocuSignApiError)
        return sendHtml(response, error.status, errorPage(error.status, error.message));
      if (error instanceof BodyTooLargeError)
        return sendHtml(response, 413, errorPage(413, 'The form is too large.'));
      throw error;
    }
  }

  log(`DocuSign stand-in   ${origin}  (pending signatures ${origin}/pending; ${stateDir ?? 'in memory'})`);

  let closing: Promise<void> | undefined;
  return {
    origin,
    oAuthBasePath,
    pendingUrl: `${origin}/pending`,
    credentials: {
      integrationKey: stored.integrationKey,
      userId: stored.userId,
      accountId: stored.accountId,
      privateKeyPem: stored.privateKeyPem,
      publicKeyPem: stored.publicKeyPem,
      connectHmacKeys: hmacKeys,
    },
    env: {
      DocuSign__oAuthBasePath: oAuthBasePath,
      DocuSign__integrationKey: stored.integrationKey,
      DocuSign__userId: stored.userId,
      DocuSign__privateKey: stored.privateKeyPem,
      DocuSign__connectHmacKeys: hmacKeys.join(','),
    },
    connect: {
      faults: connect.faults,
      attempts: connect.attempts,
      idle: () => connect.idle(),
      pending: () => connect.pending(),
    },
    pendingSignatures: () => envelopes.pendingSignatures(),
    setDeliverMail: (next) => {
      deliverMail = next;
    },
    close: () =>
      (closing ??= (async () => {
        envelopes.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await connect.close();
        await store.flush();
      })()),
  };
}

function parseJson(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    throw new DocuSignApiError(400, 'INVALID_REQUEST_BODY', 'The request body is not valid JSON.');
  }
}

function answerError(response: ServerResponse, error: unknown, log: (line: string) => void): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  if (error instanceof OAuthError) {
    const body =
      error.description === undefined
        ? { error: error.error }
        : { error: error.error, error_description: error.description };
    return sendJson(response, error.status, body, { 'cache-control': 'no-store' });
  }
  if (error instanceof DocuSignApiError) {
    return sendJson(response, error.status, { errorCode: error.errorCode, message: error.message });
  }
  if (error instanceof BodyTooLargeError) {
    return sendJson(response, 413, {
      errorCode: 'REQUEST_ENTITY_TOO_LARGE',
      message: 'The request is too large.',
    });
  }
  log(`docusign stand-in: ${(error as Error).stack ?? String(error)}`);
  sendJson(response, 500, { errorCode: 'UNSPECIFIED_ERROR', message: 'The DocuSign stand-in failed.' });
}
