/**
 * DocuSign Connect deliveries: the HMAC check over the raw body and the JSON SIM payload. The signature is
 * checked before anything reads the body: `X-DocuSign-Signature-1..n` each carry
 * base64(HMAC-SHA256(secret, raw body)) for one of the account's active secrets; any one matching any
 * configured secret is enough (so secrets rotate without downtime). Comparison is constant time on the
 * decoded digests.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

const signatureHeader = /^x-docusign-signature-(\d{1,3})$/i;

/** Header names and values as received (a header sent twice arrives joined with ", " or as two entries). */
export type HeaderEntries = Iterable<readonly [string, string]>;

export function isConnectSignatureValid(
  rawBody: Uint8Array,
  headers: HeaderEntries,
  secrets: readonly string[],
): boolean {
  const candidates: Buffer[] = [];
  for (const [name, value] of headers) {
    if (!signatureHeader.test(name)) continue;
    // A duplicated header is joined with commas; a base64 digest never contains one, so it cannot match.
    if (!/^[A-Za-z0-9+/]{43}=$/.test(value.trim())) continue;
    candidates.push(Buffer.from(value.trim(), 'base64'));
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

/** The key a delivery is recorded under: the same bytes delivered again are the same delivery. */
export function deliveryKey(rawBody: Uint8Array): string {
  return createHash('sha256').update(rawBody).digest('hex');
}

const recipientSchema = z
  .object({
    recipientId: z.string(),
    email: z.string().optional(),
    name: z.string().optional(),
    status: z.string().optional(),
    routingOrder: z.union([z.string(), z.number()]).optional(),
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
    envelopeId: z.string().min(1).max(100),
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
