/**
 * `EnvelopeService` with the real `docusign-esign` SDK. The SDK is loaded on first use (a dynamic import,
 * kept out of the bundle in `infra/bundle.ts`), so it costs nothing at cold start. Authentication is the
 * JWT grant with the integration key's RSA key; the token is cached until shortly before it expires and the
 * account's REST base URI comes from userinfo.
 *
 * TLS: with `LOCAL_CA_CERT_PATH` set (local stand-ins only) requests to the configured OAuth host and to the
 * account's base URI — and to no other host — trust exactly that CA. Verification is never switched off.
 */
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { createRequire } from 'node:module';
import type { AxiosStatic } from 'axios';
import type { ApiClient, EnvelopesApi, Recipient } from 'docusign-esign';
import type { Settings } from '../../config/settings';
import type { EnvelopeDefinition } from '../envelope-definition';
import { envelopeFields } from '../envelope-definition';
import { signerStatusOf, type SignerProgress } from '../model';
import type { EnvelopeService, EnvelopeState } from '../ports';

export interface DocuSignConnection {
  /** host[:port] of the OAuth service. */
  readonly oAuthBasePath: string;
  readonly integrationKey: string;
  readonly userId: string;
  readonly privateKeyPem: string;
  readonly caCertPath?: string;
}

interface Session {
  readonly envelopes: EnvelopesApi;
  readonly accountId: string;
  readonly expiresAt: number;
}

const tokenLifetimeSeconds = 3600;
/** A token is renewed this long before it expires, so no call goes out with one about to lapse. */
const renewBeforeMs = 5 * 60 * 1000;
const scopes = ['signature', 'impersonation'];
/** Statuses after which an envelope no longer changes. */
const finalStatuses = new Set(['completed', 'declined', 'voided', 'deleted']);

export class DocuSignEnvelopeService implements EnvelopeService {
  private session: Promise<Session> | undefined;
  private sessionExpiresAt = 0;

  constructor(
    private readonly connection: DocuSignConnection,
    private readonly now: () => number = Date.now,
  ) {}

  async findByIdempotencyKey(idempotencyKey: string, createdSince: Date): Promise<string | undefined> {
    const { envelopes, accountId } = await this.api();
    const found = await envelopes.listStatusChanges(accountId, {
      fromDate: createdSince.toISOString(),
      customField: `${envelopeFields.idempotencyKey}=${idempotencyKey}`,
    });
    return found.envelopes?.find((envelope) => envelope.envelopeId !== undefined)?.envelopeId;
  }

  async createDraft(definition: EnvelopeDefinition): Promise<string> {
    const { envelopes, accountId } = await this.api();
    const summary = await envelopes.createEnvelope(accountId, { envelopeDefinition: definition });
    if (summary.envelopeId === undefined) throw new Error('DocuSign created an envelope without an id');
    return summary.envelopeId;
  }

  async send(envelopeId: string): Promise<void> {
    const { envelopes, accountId } = await this.api();
    const envelope = await envelopes.getEnvelope(accountId, envelopeId);
    if (envelope.status !== 'created') return;
    await envelopes.update(accountId, envelopeId, { envelope: { status: 'sent' } });
  }

  async get(envelopeId: string): Promise<EnvelopeState> {
    const { envelopes, accountId } = await this.api();
    const [envelope, recipients] = await Promise.all([
      envelopes.getEnvelope(accountId, envelopeId),
      envelopes.listRecipients(accountId, envelopeId),
    ]);
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
    const { envelopes, accountId } = await this.api();
    const envelope = await envelopes.getEnvelope(accountId, envelopeId);
    if (finalStatuses.has(envelope.status ?? '')) return;
    await envelopes.update(accountId, envelopeId, { envelope: { status: 'voided', voidedReason: reason } });
  }

  /** The authenticated API, reusing the session until its token is about to expire. */
  private api(): Promise<Session> {
    if (this.session === undefined || this.now() >= this.sessionExpiresAt - renewBeforeMs) {
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
    const docusign = await import('docusign-esign');
    const { oAuthBasePath, integrationKey, userId, privateKeyPem, caCertPath } = this.connection;
    const client: ApiClient = new docusign.ApiClient();
    client.setOAuthBasePath(oAuthBasePath);
    if (caCertPath !== undefined) trustLocalCa(caCertPath, oAuthBasePath);
    const started = this.now();
    const token = await client.requestJWTUserToken(
      integrationKey,
      userId,
      scopes,
      Buffer.from(privateKeyPem),
      tokenLifetimeSeconds,
    );
    const accessToken = token.body.access_token;
    const userInfo = await client.getUserInfo(accessToken);
    const account =
      userInfo.accounts?.find((candidate) => candidate.isDefault === 'true') ?? userInfo.accounts?.[0];
    if (account === undefined) throw new Error('The DocuSign user has no account');
    if (caCertPath !== undefined) trustLocalCa(caCertPath, new URL(account.baseUri).host);
    // setBasePath resets the OAuth host from the REST one; set it back (protocols.md §3.1).
    client.setBasePath(`${account.baseUri.replace(/\/$/, '')}/restapi`);
    client.setOAuthBasePath(oAuthBasePath);
    client.addDefaultHeader('Authorization', `Bearer ${accessToken}`);
    const lifetimeMs = Number(token.body.expires_in ?? tokenLifetimeSeconds) * 1000;
    return {
      envelopes: new docusign.EnvelopesApi(client),
      accountId: account.accountId,
      expiresAt: started + lifetimeMs,
    };
  }
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

const trustedHosts = new Set<string>();
let localCaAgent: https.Agent | undefined;

/**
 * The SDK sends every request through the default axios instance without an agent option; an interceptor
 * gives requests to the DocuSign hosts (and only those) an agent that trusts the local CA.
 */
function trustLocalCa(caCertPath: string, host: string): void {
  trustedHosts.add(host);
  if (localCaAgent !== undefined) return;
  localCaAgent = new https.Agent({ ca: readFileSync(caCertPath), keepAlive: true });
  const agent = localCaAgent;
  // The axios the SDK itself resolves (the SDK is not bundled, so a bundled axios would be another instance).
  const axios = createRequire(require.resolve('docusign-esign'))('axios') as AxiosStatic;
  axios.interceptors.request.use((config) => {
    const target = new URL(config.url ?? '', config.baseURL);
    if (target.protocol === 'https:' && trustedHosts.has(target.host)) config.httpsAgent = agent;
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
