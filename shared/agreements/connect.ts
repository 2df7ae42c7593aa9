/**
 * DocuSign Connect deliveries: the HMAC check over the raw body and the JSON SIM payload. The signature is
 * checked before anything reads the body: `X-DocuSign-Signature-1..n` each carry
 * base64(HMAC-SHA256(secret, raw body)) for one of the account's active secrets; any one matching any
 * configured secret is enough (so secrets rotate without downtime). Comparison is constant time on the
 * decoded digests.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { signerStatusOf, type SignerProgress } from './model';

const signatureHeader = /^x-docusign-signature-(\d{1,3})$/i;

/** Header names and values as received (a header sent twice arrives joined with ", " or as two entries). */
export type HeaderEntries = Iterable<readonly [string, string]>;

/** DocuSign sends at most 100 signature headers (one per active secret); more are not looked at. */
const maxSignatureHeaders = 100;

/** The largest Connect delivery accepted (JSON SIM with recipients and custom fields is a few KiB). */
export const maxConnectDeliveryBytes = 1024 * 1024;

export function isConnectSignatureValid(
  rawBody: Uint8Array,
  headers: HeaderEntries,
  secrets: readonly string[],
): boolean {
  const candidates: Buffer[] = [];
  for (const [name, value] of headers) {
    if (!signatureHeader.test(name) || candidates.length >= maxSignatureHeaders) continue;
    const text = value.trim();
    // A duplicated header is joined with commas; a base64 digest never contains one, so it cannot match.
    if (!/^[A-Za-z0-9+/]{43}=$/.test(text)) continue;
    const digest = Buffer.from(text, 'base64');
    // Only the canonical spelling: the last character's two unused bits could otherwise be flipped and
    // still decode to the same digest (a header that differs from the one signed would pass).
    if (digest.toString('base64') !== text) continue;
    candidates.push(digest);
  }
  if (candidates.length === 0 || secrets.length === 0) return false;
  let matched = false;
  for (const secret of secrets) {
    const expected = createHmac('sha256', Buffer.from(secret, 'utf8')).update(rawBody).digest();
    for (const candidate of candidates) {
      // No early exit: the time taken does not say which secret or header matched.
      if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) matched = true;
    }
  }
  return matched;
}

/** The Connect signature a sender with `secret` puts on `rawBody` (the stand-in and tests sign with this). */
export function connectSignature(rawBody: Uint8Array, secret: string): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(rawBody).digest('base64');
}

/**
 * The key a delivery is recorded under. Connect re-signs every retry with a higher `retryCount`, so the bytes
 * of a redelivered message differ; what stays is the message itself: its envelope, event, recipient and the
 * time DocuSign generated it. Without `generatedDateTime` the body's bytes are the identity.
 */
export function deliveryKey(rawBody: Uint8Array, payload?: ConnectPayload): string {
  const hash = createHash('sha256');
  if (payload?.generatedDateTime === undefined) return hash.update(rawBody).digest('hex');
  const { event, generatedDateTime, data } = payload;
  return hash
    .update(JSON.stringify([data.envelopeId, event, data.recipientId ?? null, generatedDateTime]))
    .digest('hex');
}

const recipientSchema = z
  .object({
    recipientId: z.string(),
    email: z.string().optional(),
    name: z.string().optional(),
    status: z.string().optional(),
    routingOrder: z.union([z.string(), z.number()]).optional(),
    sentDateTime: z.string().optional(),
    deliveredDateTime: z.string().optional(),
    signedDateTime: z.string().optional(),
    declinedDateTime: z.string().optional(),
    declinedReason: z.string().optional(),
  })
  .loose();

/** The JSON SIM event model (envelope-level Connect, `eventData.format: json`). Unknown fields are kept out. */
export const connectPayloadSchema = z.object({
  event: z.string().regex(/^(envelope|recipient)-[a-z-]+$/),
  generatedDateTime: z.string().optional(),
  retryCount: z.union([z.number(), z.string()]).optional(),
  data: z.object({
    // Used as a Cosmos DB id and partition key: DocuSign's GUIDs; never a slash, backslash, `?` or `#`.
    envelopeId: z.string().regex(/^[A-Za-z0-9-]{1,100}$/),
    recipientId: z.string().max(100).optional(),
    envelopeSummary: z
      .object({
        status: z.string().optional(),
        voidedReason: z.string().optional(),
        recipients: z
          .object({ signers: z.array(recipientSchema).optional() })
          .loose()
          .optional(),
      })
      .loose()
      .optional(),
  }),
});

export type ConnectPayload = z.infer<typeof connectPayloadSchema>;

const recipientEventStatuses: Readonly<Record<string, SignerProgress['status']>> = {
  'recipient-sent': 'sent',
  'recipient-resent': 'sent',
  'recipient-delivered': 'delivered',
  'recipient-completed': 'completed',
  'recipient-declined': 'declined',
};

/**
 * What a delivery says about the signers: the event's own recipient (`recipient-*` events), and every signer
 * of the envelope summary when Connect includes recipients. Statuses only; `mergeSignerProgress` decides
 * what is news.
 */
export function signerNewsOf(
  payload: ConnectPayload,
): Pick<SignerProgress, 'recipientId' | 'status' | 'at'>[] {
  const news: Pick<SignerProgress, 'recipientId' | 'status' | 'at'>[] = [];
  for (const signer of payload.data.envelopeSummary?.recipients?.signers ?? []) {
    const status = signerStatusOf(signer.status);
    if (status === undefined) continue;
    const at =
      signer.signedDateTime ?? signer.declinedDateTime ?? signer.deliveredDateTime ?? signer.sentDateTime;
    news.push({ recipientId: signer.recipientId, status, ...(at === undefined ? {} : { at }) });
  }
  const status = recipientEventStatuses[payload.event];
  const { recipientId } = payload.data;
  if (status !== undefined && recipientId !== undefined) {
    news.push({
      recipientId,
      status,
      ...(payload.generatedDateTime === undefined ? {} : { at: payload.generatedDateTime }),
    });
  }
  return news;
}
