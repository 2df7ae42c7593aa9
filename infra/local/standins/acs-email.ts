/**
 * The Azure Communication Services Email stand-in: the REST endpoints `@azure/communication-email` calls
 * (protocols §4), over HTTPS with the local CA, so the real SDK runs unchanged with a connection string
 * `endpoint=https://127.0.0.1:<port>/;accesskey=<key>`.
 *
 * - `POST /emails:send` checks the HMAC-SHA256 signature (401 as ACS answers), validates the message as ACS
 *   does (400 with an ACS error body: sender, recipients 1..50 over to + cc + bcc, at most 10 MB), and
 *   answers 202 with `Operation-Location`. A repeated `Operation-Id` answers the operation it already has and
 *   sends nothing; only an operation that ended `Failed`, or is held by the `stall` switch, is attempted
 *   again (nothing was sent, so a retry of the same mail must be able to get through).
 * - `GET /emails/operations/{id}` answers `Running`, then `Succeeded` (or `Failed`); a mail lands in the
 *   outbox when its operation succeeds.
 * - `/outbox` (page) and `/outbox/messages` (JSON, `?to=`) show what was delivered; other stand-ins put
 *   their mails there with `deliver`.
 * - `setFault` makes the next sends fail (the send is accepted with 202, its operation then ends `Failed`, so
 *   `pollUntilDone` throws) or stall (its operation answers `Running` until it is sent again without the
 *   switch), for tests.
 *
 * State (operations and delivered mail) is journalled under `stateDir`; the access key lives there too.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import https from 'node:https';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { verifyRequestSignature } from './acs-email-auth';
import { Journal } from './cosmos-journal';
import {
  Outbox,
  extractLinks,
  outboxMessageSchema,
  type ForeignMail,
  type MailAddress,
  type OutboxMessage,
} from './outbox';
import { outboxPageCsp, renderOutboxList, renderOutboxMessage } from './outbox-page';

export const acsEmailDefaultPort = 8025;
/** ACS limits: recipients over to + cc + bcc, and the request size including base64 attachments. */
export const maxRecipients = 50;
export const maxRequestBytes = 10 * 1024 * 1024;

export interface AcsEmailStandInOptions {
  /** Port on 127.0.0.1 (default 8025; 0 picks a free one). */
  readonly port?: number;
  readonly tls: { readonly cert: string; readonly key: string };
  /** Where operations, mail and the access key persist; undefined keeps everything in memory. */
  readonly stateDir?: string;
  /** Forget persisted operations and mail first (the access key is kept). */
  readonly fresh?: boolean;
  /** Polls that still answer `Running` before an operation completes (default 1). */
  readonly runningPolls?: number;
  /** `Retry-After` of the 202 and of `Running` polls, in seconds (default 1). */
  readonly retryAfterSeconds?: number;
  /** An operation nobody polls completes by itself after this long (default 2 s), as the service's would. */
  readonly completeAfterMs?: number;
  readonly log?: (line: string) => void;
}

/** For tests: how the next sends go wrong. `times` undefined = every send until cleared. */
export interface SendFault {
  /**
   * `fail`: accepted (202), then the operation ends `Failed` with an ACS error; `stall`: it answers `Running`
   * until a send with the same `Operation-Id` comes in after the switch no longer applies.
   */
  readonly kind: 'fail' | 'stall';
  readonly times?: number;
}

export interface AcsEmailStandIn {
  /** `https://127.0.0.1:<port>/` */
  readonly endpoint: string;
  /** Base64 access key the HMAC signatures are checked against. */
  readonly accessKey: string;
  readonly connectionString: string;
  readonly outboxUrl: string;
  readonly outbox: Outbox;
  /** Puts a mail from another stand-in (e.g. DocuSign's signing mails) into the outbox, marked with its source. */
  deliver(mail: ForeignMail): Promise<OutboxMessage>;
  setFault(fault: SendFault | undefined): void;
  /** How many `POST /emails:send` calls named this operation (1 = sent once, however often polled). */
  sendAttempts(operationId: string): number;
  close(): Promise<void>;
}

type OperationStatus = 'Running' | 'Succeeded' | 'Failed';

interface Operation {
  readonly id: string;
  status: OperationStatus;
  polls: number;
  sendAttempts: number;
  fault: SendFault['kind'] | undefined;
  /** The mail, until it is delivered (then it is in the outbox) or fails. */
  pending: OutboxMessage | undefined;
}

const addressSchema = z.object({
  address: z.string().regex(/^[^\s@<>]+@[^\s@<>]+$/, 'must be an email address'),
  displayName: z.string().max(256).optional(),
});

/** The send request as ACS validates it (field names from the SDK's mappers). */
const sendRequestSchema = z.object({
  senderAddress: z.string().regex(/^[^\s@<>]+@[^\s@<>]+$/, 'must be an email address'),
  content: z
    .object({ subject: z.string().min(1), plainText: z.string().optional(), html: z.string().optional() })
    .refine((content) => content.plainText !== undefined || content.html !== undefined, {
      message: 'plainText or html is required',
    }),
  recipients: z.object({
    to: z.array(addressSchema).default([]),
    cc: z.array(addressSchema).default([]),
    bcc: z.array(addressSchema).default([]),
  }),
  attachments: z
    .array(
      z.object({
        name: z.string().min(1),
        contentType: z.string().min(1),
        contentInBase64: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64'),
      }),
    )
    .default([]),
  replyTo: z.array(addressSchema).default([]),
  headers: z.record(z.string(), z.string()).optional(),
  userEngagementTrackingDisabled: z.boolean().optional(),
});

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const apiVersion = '2025-09-01';

const journalRecordSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('operation'),
    id: z.string(),
    status: z.enum(['Running', 'Succeeded', 'Failed']),
    pending: outboxMessageSchema.optional(),
  }),
  z.object({ kind: z.literal('delivered'), message: outboxMessageSchema }),
]);
type JournalRecord = z.infer<typeof journalRecordSchema>;

class AcsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly target?: string,
  ) {
    super(message);
  }
}

export async function startAcsEmailStandIn(options: AcsEmailStandInOptions): Promise<AcsEmailStandIn> {
  const runningPolls = options.runningPolls ?? 1;
  const retryAfter = String(options.retryAfterSeconds ?? 1);
  const completeAfterMs = options.completeAfterMs ?? 2000;
  const outbox = new Outbox();
  const operations = new Map<string, Operation>();
  const timers = new Set<NodeJS.Timeout>();
  let fault: SendFault | undefined;

  const apply = (raw: unknown): void => {
    const record = journalRecordSchema.parse(raw);
    if (record.kind === 'delivered') {
      outbox.add(record.message);
      return;
    }
    // A restored operation keeps its status; one still running completes normally (its fault is gone).
    operations.set(record.id, {
      id: record.id,
      status: record.status,
      polls: 0,
      sendAttempts: 1,
      fault: undefined,
      pending: record.pending,
    });
  };
  const accessKey = await loadOrCreateAccessKey(options.stateDir);
  if (options.fresh === true && options.stateDir !== undefined) {
    await fs.rm(path.join(options.stateDir, 'journal'), { recursive: true, force: true });
  }
  const journal =
    options.stateDir === undefined
      ? undefined
      : await Journal.open(path.join(options.stateDir, 'journal'), apply, {
          capture: () => [
            ...outbox
              .list()
              .reverse()
              .map((message): JournalRecord => ({ kind: 'delivered', message })),
            ...[...operations.values()].map((operation): JournalRecord => ({
              kind: 'operation',
              id: operation.id,
              status: operation.status,
              pending: operation.pending,
            })),
          ],
        });
  const persist = async (record: JournalRecord): Promise<void> => {
    if (journal === undefined) return;
    journal.append(record);
    await journal.commit();
  };

  const server = https.createServer({ cert: options.tls.cert, key: options.tls.key });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? acsEmailDefaultPort, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `https://127.0.0.1:${port}/`;

  async function complete(operation: Operation): Promise<void> {
    if (operation.status !== 'Running' || operation.fault === 'stall') return;
    const message = operation.pending;
    operation.pending = undefined;
    if (operation.fault === 'fail' || message === undefined) {
      operation.status = 'Failed';
      await persist({ kind: 'operation', id: operation.id, status: 'Failed' });
      return;
    }
    operation.status = 'Succeeded';
    const delivered = { ...message, sentAt: new Date().toISOString() };
    outbox.add(delivered);
    await persist({ kind: 'delivered', message: delivered });
    await persist({ kind: 'operation', id: operation.id, status: 'Succeeded' });
  }

  function scheduleCompletion(operation: Operation): void {
    const timer = setTimeout(() => {
      timers.delete(timer);
      void complete(operation).catch((error: unknown) =>
        options.log?.(`ACS Email stand-in: ${String(error)}`),
      );
    }, completeAfterMs);
    timer.unref();
    timers.add(timer);
  }

  function takeFault(): SendFault['kind'] | undefined {
    if (fault === undefined) return undefined;
    const kind = fault.kind;
    if (fault.times !== undefined) fault = fault.times <= 1 ? undefined : { kind, times: fault.times - 1 };
    return kind;
  }

  async function send(
    request: http.IncomingMessage,
    body: Buffer,
    response: http.ServerResponse,
  ): Promise<void> {
    const operationIdHeader = request.headers['operation-id'];
    const requestedId = Array.isArray(operationIdHeader) ? operationIdHeader[0] : operationIdHeader;
    if (requestedId !== undefined && !uuidPattern.test(requestedId)) {
      throw new AcsError(400, 'InvalidOperationId', 'Operation-Id must be a GUID.', 'Operation-Id');
    }
    const payload = parseSendRequest(body);
    const existing = requestedId === undefined ? undefined : operations.get(requestedId.toLowerCase());
    if (existing !== undefined) {
      existing.sendAttempts += 1;
      if (existing.status === 'Failed' || existing.fault === 'stall') {
        // Nothing was delivered: this attempt goes through again (under whatever switch now applies).
        existing.status = 'Running';
        existing.polls = 0;
        existing.fault = takeFault();
        existing.pending = toOutboxMessage(existing.id, payload);
        await persist({ kind: 'operation', id: existing.id, status: 'Running', pending: existing.pending });
        scheduleCompletion(existing);
      }
      return accepted(response, existing);
    }
    const id = (requestedId ?? randomUUID()).toLowerCase();
    const operation: Operation = {
      id,
      status: 'Running',
      polls: 0,
      sendAttempts: 1,
      fault: takeFault(),
      pending: toOutboxMessage(id, payload),
    };
    operations.set(id, operation);
    await persist({ kind: 'operation', id, status: 'Running', pending: operation.pending });
    scheduleCompletion(operation);
    accepted(response, operation);
  }

  function accepted(response: http.ServerResponse, operation: Operation): void {
    const location = new URL(`emails/operations/${operation.id}`, endpoint);
    location.searchParams.set('api-version', apiVersion);
    sendJson(response, 202, operationBody(operation), {
      'operation-location': location.href,
      'retry-after': retryAfter,
      'operation-id': operation.id,
    });
  }

  async function poll(id: string | undefined, response: http.ServerResponse): Promise<void> {
    const operation = id === undefined ? undefined : operations.get(id.toLowerCase());
    if (operation === undefined) throw new AcsError(404, 'NotFound', `Operation ${id} was not found.`);
    operation.polls += 1;
    if (operation.polls > runningPolls) await complete(operation);
    const headers: Record<string, string> =
      operation.status === 'Running' ? { 'retry-after': retryAfter } : {};
    sendJson(response, 200, operationBody(operation), headers);
  }

  async function handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const target = request.url ?? '/';
    const url = new URL(target, endpoint);
    const method = request.method ?? 'GET';
    if (method === 'GET' && (url.pathname === '/' || url.pathname.startsWith('/outbox'))) {
      return serveOutbox(url, response);
    }
    const { body, hash, size } = await readBody(request);
    const signature = verifyRequestSignature(
      { method, target, headers: request.headers, bodyHash: hash },
      accessKey,
      Date.now(),
    );
    if (!signature.ok) {
      options.log?.(`ACS Email stand-in refused ${method} ${url.pathname}: ${signature.reason}`);
      throw new AcsError(401, 'Denied', 'Denied by the resource provider.');
    }
    if (method === 'POST' && url.pathname === '/emails:send') {
      if (size > maxRequestBytes) throw tooLarge();
      return send(request, body, response);
    }
    const operationPath = /^\/emails\/operations\/([^/]+)$/.exec(url.pathname);
    if (method === 'GET' && operationPath !== null) return poll(decodePart(operationPath[1]!), response);
    throw new AcsError(404, 'NotFound', `No operation ${method} ${url.pathname}.`);
  }

  function serveOutbox(url: URL, response: http.ServerResponse): void {
    const to = url.searchParams.get('to') ?? undefined;
    if (url.pathname === '/' || url.pathname === '/outbox/') {
      response.writeHead(302, { location: '/outbox' }).end();
      return;
    }
    if (url.pathname === '/outbox') return sendPage(response, 200, renderOutboxList(outbox.list({ to }), to));
    if (url.pathname === '/outbox/messages')
      return sendJson(response, 200, { messages: outbox.list({ to }) });
    const json = /^\/outbox\/messages\/([^/]+)$/.exec(url.pathname);
    const page = /^\/outbox\/([^/]+)$/.exec(url.pathname);
    const id = decodePart((json ?? page)?.[1] ?? '');
    const message = id === undefined ? undefined : outbox.get(id);
    if (message === undefined) {
      if (json !== null)
        return sendJson(response, 404, { error: { code: 'NotFound', message: 'No such mail.' } });
      return sendPage(response, 404, renderOutboxList([], undefined));
    }
    if (json !== null) return sendJson(response, 200, message);
    return sendPage(response, 200, renderOutboxMessage(message));
  }

  server.on('request', (request: http.IncomingMessage, response: http.ServerResponse) => {
    handle(request, response).catch((error: unknown) => {
      if (response.headersSent) {
        response.destroy();
        return;
      }
      if (error instanceof AcsError) {
        const body = {
          error: {
            code: error.code,
            message: error.message,
            ...(error.target ? { target: error.target } : {}),
          },
        };
        sendJson(response, error.status, body, { 'x-ms-error-code': error.code });
        return;
      }
      options.log?.(`ACS Email stand-in: ${(error as Error).stack ?? String(error)}`);
      sendJson(response, 500, { error: { code: 'InternalError', message: 'Internal error.' } });
    });
  });

  // Operations still running when the stand-in last stopped complete as they would have (their switch is gone).
  for (const operation of operations.values()) {
    if (operation.status === 'Running') scheduleCompletion(operation);
  }

  const outboxUrl = new URL('outbox', endpoint).href;
  options.log?.(`ACS Email stand-in  ${endpoint}  (outbox ${outboxUrl}, ${outbox.size} mails)`);

  return {
    endpoint,
    accessKey,
    connectionString: `endpoint=${endpoint};accesskey=${accessKey}`,
    outboxUrl,
    outbox,
    async deliver(mail) {
      const to = mail.to.map((entry) => (typeof entry === 'string' ? { address: entry } : entry));
      const message: OutboxMessage = {
        id: randomUUID(),
        source: mail.source,
        from: mail.from,
        replyTo: [],
        to,
        cc: [],
        bcc: [],
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        links: extractLinks(mail.html, mail.text),
        attachments: [],
        sentAt: new Date().toISOString(),
      };
      outbox.add(message);
      await persist({ kind: 'delivered', message });
      return message;
    },
    setFault(next) {
      fault = next;
    },
    sendAttempts: (operationId) => operations.get(operationId.toLowerCase())?.sendAttempts ?? 0,
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await journal?.close();
    },
  };
}

function operationBody(operation: Operation): Record<string, unknown> {
  return {
    id: operation.id,
    status: operation.status,
    ...(operation.status === 'Failed'
      ? { error: { code: 'EmailDeliveryFailed', message: 'The stand-in was told to fail this send.' } }
      : {}),
  };
}

type SendRequest = z.infer<typeof sendRequestSchema>;

function parseSendRequest(body: Buffer): SendRequest {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw new AcsError(400, 'BadRequest', 'The request body is not valid JSON.');
  }
  const parsed = sendRequestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const target = issue.path.join('.');
    throw new AcsError(
      400,
      'BadRequest',
      `Invalid ${target || 'request'}: ${issue.message}`,
      target || undefined,
    );
  }
  const { to, cc, bcc } = parsed.data.recipients;
  const count = to.length + cc.length + bcc.length;
  if (count === 0) throw new AcsError(400, 'BadRequest', 'At least one recipient is required.', 'recipients');
  if (count > maxRecipients) {
    throw new AcsError(400, 'BadRequest', `The number of recipients exceeds ${maxRecipients}.`, 'recipients');
  }
  return parsed.data;
}

function toOutboxMessage(id: string, request: SendRequest): OutboxMessage {
  const { content } = request;
  const strip = (list: readonly MailAddress[]): MailAddress[] =>
    list.map(({ address, displayName }) =>
      displayName === undefined ? { address } : { address, displayName },
    );
  return {
    id,
    source: 'acs',
    from: request.senderAddress,
    replyTo: strip(request.replyTo),
    to: strip(request.recipients.to),
    cc: strip(request.recipients.cc),
    bcc: strip(request.recipients.bcc),
    subject: content.subject,
    text: content.plainText,
    html: content.html,
    links: extractLinks(content.html, content.plainText),
    attachments: request.attachments.map((attachment) => ({
      name: attachment.name,
      contentType: attachment.contentType,
      bytes: Buffer.byteLength(attachment.contentInBase64, 'base64'),
    })),
    sentAt: new Date().toISOString(),
  };
}

/** A path segment decoded, or undefined when it is not valid percent-encoding. */
function decodePart(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/**
 * Reads the body and hashes all of it (so an oversized request is still authenticated before it is refused);
 * past the size limit it keeps draining, so the answer can still go out on the connection, but stops
 * buffering.
 */
async function readBody(
  request: http.IncomingMessage,
): Promise<{ readonly body: Buffer; readonly hash: string; readonly size: number }> {
  const chunks: Buffer[] = [];
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of request) {
    const bytes = chunk as Buffer;
    hash.update(bytes);
    size += bytes.length;
    if (size <= maxRequestBytes) chunks.push(bytes);
  }
  return { body: Buffer.concat(chunks), hash: hash.digest('base64'), size };
}

function tooLarge(): AcsError {
  return new AcsError(
    400,
    'BadRequest',
    `The email message exceeds the maximum size of ${maxRequestBytes} bytes.`,
  );
}

function sendJson(
  response: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}

function sendPage(response: http.ServerResponse, status: number, text: string): void {
  response.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'content-security-policy': outboxPageCsp,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
  });
  response.end(text);
}

const accessKeyFile = 'access-key';

/** The stand-in's access key: random per run in memory, or created once under `stateDir` (owner-only). */
async function loadOrCreateAccessKey(stateDir: string | undefined): Promise<string> {
  const created = randomBytes(32).toString('base64');
  if (stateDir === undefined) return created;
  await fs.mkdir(stateDir, { recursive: true, mode: 0o700 });
  const file = path.join(stateDir, accessKeyFile);
  try {
    await fs.writeFile(file, created, { flag: 'wx', mode: 0o600 });
    return created;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return (await fs.readFile(file, 'utf8')).trim();
  }
}
