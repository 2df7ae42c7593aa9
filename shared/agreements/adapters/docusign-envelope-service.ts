/**
 * `EnvelopeService` with the real `docusign-esign` SDK. The SDK is loaded on first use (a dynamic import,
 * kept out of the bundle in `infra/bundle.ts`), so it costs nothing at cold start. Authentication is the
 * JWT grant with the integration key's RSA key; the token is cached until shortly before it expires (and
 * dropped at once if DocuSign answers 401) and the account's REST base URI comes from userinfo.
 *
 * Errors leave as `DocuSignError` with DocuSign's status and error code only: the SDK's axios errors carry
 * the request (the bearer token, the signed JWT assertion), which must never reach a log.
 *
 * TLS: with `LOCAL_CA_CERT_PATH` set (local stand-ins only) requests to the configured OAuth host and to the
 * account's base URI — and to no other host — trust exactly that CA. Verification is never switched off.
 */
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { createRequire } from 'node:module';
import type { AxiosStatic } from 'axios';
import type * as DocuSignSdk from 'docusign-esign';
import type { ApiClient, EnvelopesApi, FoldersApi, Recipient } from 'docusign-esign';
import type { Settings } from '../../config/settings';
import type { EnvelopeDefinition } from '../envelope-definition';
import { envelopeFields } from '../envelope-definition';
import { finalEnvelopeStatuses, signerStatusOf, type SignerProgress } from '../model';
import type { EnvelopeService, EnvelopeState } from '../ports';

export interface DocuSignConnection {
  /** host[:port] of the OAuth service. */
  readonly oAuthBasePath: string;
  readonly integrationKey: string;
  readonly userId: string;
  readonly privateKeyPem: string;
  readonly caCertPath?: string;
}

/** A failed DocuSign call: what was attempted, DocuSign's HTTP status and error code, nothing secret. */
export class DocuSignError extends Error {
  override readonly name = 'DocuSignError';
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly errorCode: string | undefined,
  ) {
    super(message);
  }
}

interface Session {
  readonly envelopes: EnvelopesApi;
  readonly folders: FoldersApi;
  readonly accountId: string;
  readonly expiresAt: number;
}

const tokenLifetimeSeconds = 3600;
/** A token is renewed this long before it expires, so no call goes out with one about to lapse. */
export const tokenRenewBeforeMs = 5 * 60 * 1000;
const scopes = ['signature', 'impersonation'];

let sdk: Promise<typeof DocuSignSdk> | undefined;

/** The SDK, loaded once on first use. It is UMD/CommonJS: Node's ESM loader puts it under `default`. */
function loadSdk(): Promise<typeof DocuSignSdk> {
  sdk ??= import('docusign-esign').then(
    (loaded) => (loaded as { default?: typeof DocuSignSdk }).default ?? loaded,
  );
  return sdk;
}

export class DocuSignEnvelopeService implements EnvelopeService {
  private session: Promise<Session> | undefined;
  private sessionExpiresAt = 0;

  constructor(
    private readonly connection: DocuSignConnection,
    private readonly now: () => number = Date.now,
  ) {}

  async findByIdempotencyKey(idempotencyKey: string, createdSince: Date): Promise<string | undefined> {
    const found = await this.call('list envelopes', ({ envelopes, accountId }) =>
      envelopes.listStatusChanges(accountId, {
        fromDate: createdSince.toISOString(),
        // DocuSign filters by the custom field; the fields come back too, and are checked here as well, so
        // a service that ignores the filter can never hand back another request's envelope.
        customField: `${envelopeFields.idempotencyKey}=${idempotencyKey}`,
        include: 'custom_fields',
      }),
    );
    const matching = (found.envelopes ?? []).filter(
      (envelope) =>
        envelope.envelopeId !== undefined &&
        (envelope.customFields?.textCustomFields ?? []).some(
          (field) => field.name === envelopeFields.idempotencyKey && field.value === idempotencyKey,
        ),
    );
    // The first one created is the one (a second could only exist if something created it past this check).
    matching.sort((a, b) => Date.parse(a.createdDateTime ?? '') - Date.parse(b.createdDateTime ?? ''));
    return matching[0]?.envelopeId;
  }

  async createDraft(definition: EnvelopeDefinition): Promise<string> {
    if (definition.status !== 'created') throw new Error('createDraft takes a draft (status "created")');
    const summary = await this.call('create the envelope', ({ envelopes, accountId }) =>
      envelopes.createEnvelope(accountId, { envelopeDefinition: definition }),
    );
    if (summary.envelopeId === undefined) throw new Error('DocuSign created an envelope without an id');
    return summary.envelopeId;
  }

  async send(envelopeId: string): Promise<void> {
    if ((await this.status(envelopeId)) !== 'created') return;
    try {
      await this.call('send the envelope', ({ envelopes, accountId }) =>
        envelopes.update(accountId, envelopeId, { envelope: { status: 'sent' } }),
      );
    } catch (error) {
      // Sent meanwhile by a concurrent attempt: that is what this call wanted.
      if ((await this.status(envelopeId)) !== 'created') return;
      throw error;
    }
  }

  async get(envelopeId: string): Promise<EnvelopeState> {
    const [envelope, recipients] = await this.call('read the envelope', ({ envelopes, accountId }) =>
      Promise.all([
        envelopes.getEnvelope(accountId, envelopeId),
        envelopes.listRecipients(accountId, envelopeId),
      ]),
    );
    const signers = recipients.signers ?? [];
    const decliner = signers.find((signer) => signer.status?.toLowerCase() === 'declined');
    return {
      envelopeId,
      status: envelope.status ?? 'unknown',
      signers: signers.flatMap(progressOf),
      ...(decliner === undefined
        ? {}
        : {
            declinedReason: decliner.declinedReason ?? '',
            declinedBy: decliner.name ?? decliner.email ?? '',
          }),
      ...(envelope.voidedReason === undefined ? {} : { voidedReason: envelope.voidedReason }),
    };
  }

  async void(envelopeId: string, reason: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const status = await this.status(envelopeId);
      if (finalEnvelopeStatuses.has(status)) return;
      try {
        // DocuSign refuses to void a draft (only sent or delivered envelopes are voided): a draft that was
        // never sent is discarded by moving it to the recycle bin, which deletes it.
        if (status === 'created') await this.discardDraft(envelopeId);
        else {
          await this.call('void the envelope', ({ envelopes, accountId }) =>
            envelopes.update(accountId, envelopeId, { envelope: { status: 'voided', voidedReason: reason } }),
          );
        }
        return;
      } catch (error) {
        // Sent, completed, declined or voided in the meantime: look again (once) and do what fits now.
        if (attempt >= 2) throw error;
      }
    }
  }

  private async discardDraft(envelopeId: string): Promise<void> {
    await this.call('discard the draft', ({ folders, accountId }) =>
      folders.moveEnvelopes(accountId, 'recyclebin', { foldersRequest: { envelopeIds: [envelopeId] } }),
    );
  }

  private async status(envelopeId: string): Promise<string> {
    const envelope = await this.call('read the envelope', ({ envelopes, accountId }) =>
      envelopes.getEnvelope(accountId, envelopeId),
    );
    return envelope.status ?? 'unknown';
  }

  /**
   * Runs `action` with the session; a 401 (token revoked or expired early) drops the session and tries once
   * more with a new grant. SDK errors become `DocuSignError`s.
   */
  private async call<T>(what: string, action: (session: Session) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const session = this.api();
      try {
        return await action(await session);
      } catch (error) {
        if (error instanceof DocuSignError) throw error;
        if (statusOf(error) === 401 && attempt === 1) {
          if (this.session === session) this.session = undefined;
          continue;
        }
        throw toDocuSignError(`DocuSign could not ${what}`, error);
      }
    }
  }

  /** The authenticated API, reusing the session until its token is about to expire. */
  private api(): Promise<Session> {
    if (this.session === undefined || this.now() >= this.sessionExpiresAt - tokenRenewBeforeMs) {
      const session = this.authenticate();
      this.session = session;
      this.sessionExpiresAt = Number.POSITIVE_INFINITY;
      session.then(
        (established) => {
          if (this.session === session) this.sessionExpiresAt = established.expiresAt;
        },
        () => {
          // A failed grant is not cached: the next call tries again.
          if (this.session === session) this.session = undefined;
        },
      );
    }
    return this.session;
  }

  private async authenticate(): Promise<Session> {
    const docusign = await loadSdk();
    const { oAuthBasePath, integrationKey, userId, privateKeyPem, caCertPath } = this.connection;
    const client: ApiClient = new docusign.ApiClient();
    client.setOAuthBasePath(oAuthBasePath);
    if (caCertPath !== undefined) trustLocalCa(caCertPath, oAuthBasePath);
    const started = this.now();
    let token: Awaited<ReturnType<ApiClient['requestJWTUserToken']>>;
    try {
      token = await client.requestJWTUserToken(
        integrationKey,
        userId,
        scopes,
        Buffer.from(privateKeyPem),
        tokenLifetimeSeconds,
      );
    } catch (error) {
      throw toDocuSignError('DocuSign refused the JWT grant', error);
    }
    const accessToken = token.body.access_token;
    let userInfo: Awaited<ReturnType<ApiClient['getUserInfo']>>;
    try {
      userInfo = await client.getUserInfo(accessToken);
    } catch (error) {
      throw toDocuSignError('DocuSign refused userinfo', error);
    }
    const account =
      userInfo.accounts?.find((candidate) => candidate.isDefault === 'true') ?? userInfo.accounts?.[0];
    if (account === undefined)
      throw new DocuSignError('The DocuSign user has no account', undefined, undefined);
    if (caCertPath !== undefined) trustLocalCa(caCertPath, new URL(account.baseUri).host);
    // setBasePath resets the OAuth host from the REST one; set it back (protocols.md §3.1).
    client.setBasePath(`${account.baseUri.replace(/\/$/, '')}/restapi`);
    client.setOAuthBasePath(oAuthBasePath);
    client.addDefaultHeader('Authorization', `Bearer ${accessToken}`);
    const lifetimeMs = Number(token.body.expires_in ?? tokenLifetimeSeconds) * 1000;
    return {
      envelopes: new docusign.EnvelopesApi(client),
      folders: new docusign.FoldersApi(client),
      accountId: account.accountId,
      expiresAt: started + lifetimeMs,
    };
  }
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { response?: { status?: unknown } } | null)?.response?.status;
  return typeof status === 'number' ? status : undefined;
}

/**
 * DocuSign's answer in a few safe words: OAuth errors (`{error, error_description}`), REST errors
 * (`{errorCode, message}`), or the network failure's code. The SDK's error object is not kept as the cause.
 */
function toDocuSignError(what: string, error: unknown): DocuSignError {
  const status = statusOf(error);
  const data = (error as { response?: { data?: unknown } } | null)?.response?.data;
  const body = typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {};
  const text = (value: unknown): string | undefined =>
    typeof value === 'string' && value !== '' ? value.slice(0, 300) : undefined;
  const code = text(body['errorCode']) ?? text(body['error']);
  const description = text(body['message']) ?? text(body['error_description']);
  const network = text((error as { code?: unknown } | null)?.code);
  const hint =
    code === 'consent_required'
      ? ' (the impersonated user has not granted consent to the integration key)'
      : code === 'invalid_grant' && description === 'no_valid_keys_or_signatures'
        ? ' (the private key does not belong to the integration key: check DocuSign__privateKey)'
        : '';
  const detail =
    status === undefined
      ? (network ?? (error instanceof Error ? error.message.slice(0, 300) : 'unknown error'))
      : `HTTP ${status}${code === undefined ? '' : ` ${code}`}${description === undefined ? '' : `: ${description}`}`;
  return new DocuSignError(`${what}: ${detail}${hint}`, status, code);
}

function progressOf(recipient: Recipient): Pick<SignerProgress, 'recipientId' | 'status' | 'at'>[] {
  const status = signerStatusOf(recipient.status);
  if (recipient.recipientId === undefined || status === undefined) return [];
  const at =
    recipient.signedDateTime ??
    recipient.declinedDateTime ??
    recipient.deliveredDateTime ??
    recipient.sentDateTime;
  return [{ recipientId: recipient.recipientId, status, ...(at === undefined ? {} : { at }) }];
}

/** host → the agent trusting the local CA for it. */
const trustedHosts = new Map<string, https.Agent>();
const agentsByCa = new Map<string, https.Agent>();
let interceptorInstalled = false;

/**
 * The SDK sends every request through the default axios instance without an agent option; an interceptor
 * gives requests to the DocuSign hosts (and only those) an agent that trusts the local CA.
 */
function trustLocalCa(caCertPath: string, host: string): void {
  let agent = agentsByCa.get(caCertPath);
  if (agent === undefined) {
    agent = new https.Agent({ ca: readFileSync(caCertPath), keepAlive: true });
    agentsByCa.set(caCertPath, agent);
  }
  trustedHosts.set(host, agent);
  if (interceptorInstalled) return;
  interceptorInstalled = true;
  // The axios the SDK itself resolves (the SDK is not bundled, so a bundled axios would be another instance).
  const axios = createRequire(require.resolve('docusign-esign'))('axios') as AxiosStatic;
  axios.interceptors.request.use((config) => {
    const target = new URL(config.url ?? '', config.baseURL);
    const trusted = target.protocol === 'https:' ? trustedHosts.get(target.host) : undefined;
    if (trusted !== undefined) config.httpsAgent = trusted;
    return config;
  });
}

/** The connection the settings describe, or the names of the settings that are missing. */
export function docuSignConnectionFrom(
  settings: Settings,
): { readonly connection: DocuSignConnection } | { readonly missing: readonly string[] } {
  const {
    DocuSign__oAuthBasePath: oAuthBasePath,
    DocuSign__integrationKey: integrationKey,
    DocuSign__userId: userId,
    DocuSign__privateKey: privateKeyPem,
  } = settings;
  if (
    oAuthBasePath === undefined ||
    integrationKey === undefined ||
    userId === undefined ||
    privateKeyPem === undefined
  ) {
    const named = { oAuthBasePath, integrationKey, userId, privateKey: privateKeyPem };
    return {
      missing: Object.entries(named)
        .filter(([, value]) => value === undefined)
        .map(([name]) => `DocuSign__${name}`),
    };
  }
  return {
    connection: {
      oAuthBasePath,
      integrationKey,
      userId,
      privateKeyPem,
      ...(settings.LOCAL_CA_CERT_PATH === undefined ? {} : { caCertPath: settings.LOCAL_CA_CERT_PATH }),
    },
  };
}
