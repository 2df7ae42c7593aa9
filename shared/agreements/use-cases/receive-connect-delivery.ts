/**
 * A DocuSign Connect delivery, as the story goes: DocuSign proves it sent the bytes (HMAC over the raw body
 * with one of our secrets) — before that nothing is read or written, a failed proof is 401 and nothing
 * else; then we find whose envelope it is (an unknown one is acknowledged and logged, so Connect stops
 * retrying); a delivery seen before changes nothing; otherwise the signers' progress moves forward (never
 * back, whatever order deliveries arrive in), in the envelope index and on the request (for the dashboard),
 * and an envelope that completed, was declined or voided is raised to the request's orchestration. The delivery is recorded last, once everything it caused is done:
 * a failure before that answers 5xx, Connect retries, and the retry does the (idempotent) work again.
 *
 * There is no user here: the signature is the authorization.
 */
import { AppError } from '../../http/errors';
import type { EnvelopeOutcome } from '../../lifecycle/request-lifecycle-contract';
import {
  connectPayloadSchema,
  deliveryKey,
  isConnectSignatureValid,
  signerNewsOf,
  type ConnectPayload,
  type HeaderEntries,
} from '../connect';
import { agreementProblems, mergeSignerProgress } from '../model';
import { outcomeOfDelivery } from '../outcome';
import type { EnvelopeIndex, RequestLifecycleEvents, RequestSignerProgress } from '../ports';

export interface ConnectDelivery {
  /** The body exactly as received: the signature covers these bytes. */
  readonly body: Uint8Array;
  readonly headers: HeaderEntries;
}

export type ConnectDeliveryResult =
  | {
      readonly outcome: 'processed';
      readonly envelopeId: string;
      readonly requestId: string;
      readonly signersChanged: boolean;
      /** The envelope outcome raised to the orchestration, and whether an instance took it. */
      readonly raised?: { readonly status: EnvelopeOutcome['status']; readonly to: 'raised' | 'no-instance' };
    }
  | { readonly outcome: 'duplicate'; readonly envelopeId: string }
  | { readonly outcome: 'unknown-envelope'; readonly envelopeId: string }
  /** Signed, but not a JSON SIM message we understand: acknowledged, since a retry would not change it. */
  | { readonly outcome: 'ignored'; readonly reason: string };

export interface ConnectDeliveryDependencies {
  /** The configured Connect HMAC secrets (several while a key is being rotated). */
  readonly secrets: () => readonly string[];
  readonly envelopes: EnvelopeIndex;
  /** The signers' progress is copied onto the request too, for the dashboard. */
  readonly requests: RequestSignerProgress;
}

export interface ConnectDeliveryContext {
  readonly lifecycle: RequestLifecycleEvents;
  readonly log: (line: string) => void;
}

export class ConnectDeliveries {
  private warnedNoSecrets = false;

  constructor(private readonly dependencies: ConnectDeliveryDependencies) {}

  async receive(delivery: ConnectDelivery, context: ConnectDeliveryContext): Promise<ConnectDeliveryResult> {
    this.verify(delivery, context);

    const payload = parse(delivery.body);
    if (payload === undefined) {
      context.log('Connect: a signed delivery that is not a JSON SIM message was acknowledged and ignored');
      return { outcome: 'ignored', reason: 'not a JSON SIM message' };
    }
    const { envelopeId } = payload.data;
    const { envelopes } = this.dependencies;
    const envelope = await envelopes.find(envelopeId);
    if (envelope === undefined) {
      context.log(`Connect: ${payload.event} for unknown envelope ${envelopeId} acknowledged`);
      return { outcome: 'unknown-envelope', envelopeId };
    }
    const key = deliveryKey(delivery.body, payload);
    if (await envelopes.hasDelivery(envelopeId, key)) return { outcome: 'duplicate', envelopeId };

    const news = signerNewsOf(payload);
    const updated =
      news.length === 0
        ? undefined
        : await envelopes.updateSigners(envelopeId, (known) => mergeSignerProgress(known, news));
    // Also when the index did not change: a retry after a failure here brings the request up to date.
    if (updated !== undefined)
      await this.dependencies.requests.record(envelope.requestId, envelopeId, updated.signers);

    const outcome = outcomeOfDelivery(payload);
    let raised: { status: EnvelopeOutcome['status']; to: 'raised' | 'no-instance' } | undefined;
    if (outcome !== undefined) {
      const to = await context.lifecycle.raiseEnvelopeOutcome(envelope.requestId, outcome);
      if (to === 'no-instance') {
        context.log(
          `Connect: envelope ${envelopeId} ${outcome.status}, but request ${envelope.requestId} has no orchestration to tell`,
        );
      }
      raised = { status: outcome.status, to };
    }

    // Concurrent copies of one delivery may both get here; the work above is idempotent, so either wins.
    await envelopes.recordDelivery(envelopeId, key);
    return {
      outcome: 'processed',
      envelopeId,
      requestId: envelope.requestId,
      signersChanged: updated?.changed ?? false,
      ...(raised === undefined ? {} : { raised }),
    };
  }

  /** 401 unless one signature header matches one secret; nothing has been read or written yet. */
  private verify(delivery: ConnectDelivery, context: ConnectDeliveryContext): void {
    const secrets = this.dependencies.secrets();
    if (secrets.length === 0 && !this.warnedNoSecrets) {
      this.warnedNoSecrets = true;
      context.log('Connect: DocuSign__connectHmacKeys is not set, so every delivery is refused');
    }
    const headers = [...delivery.headers];
    if (!isConnectSignatureValid(delivery.body, headers, secrets)) {
      const signatures = headers.filter(([name]) => /^x-docusign-signature-/i.test(name)).length;
      throw new AppError(
        agreementProblems.invalidConnectSignature,
        'The delivery carries no valid X-DocuSign-Signature header.',
        // For the log (a warning): how many signature headers came, never their values.
        {
          cause: new Error(
            `${signatures} signature header(s), none matching any of ${secrets.length} secret(s)`,
          ),
        },
      );
    }
  }
}

function parse(body: Uint8Array): ConnectPayload | undefined {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    return undefined;
  }
  const parsed = connectPayloadSchema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}
