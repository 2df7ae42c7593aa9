import { z } from 'zod';
import { dauIdSchema } from '../catalog/model';

/**
 * A grant (DESIGN §4): user × DAU → when granted, until when, whether download is allowed, and the request it
 * came from. One document per (request, DAU) in Cosmos `grants` (partition `/userId`), created by its id so a
 * vend that runs twice grants once; an extension moves `expiresAt`, a revocation or the expiry ends it.
 */
export const GRANT_STATUSES = ['active', 'expired', 'revoked', 'closed'] as const;

export const grantDocumentSchema = z.object({
  id: z.string().min(1),
  userId: z.string().min(1),
  docType: z.literal('grant'),
  dauId: dauIdSchema,
  requestId: z.string().min(1),
  grantedAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
  downloadAllowed: z.boolean(),
  status: z.enum(GRANT_STATUSES),
  updatedAt: z.iso.datetime(),
});
export type GrantDocument = z.infer<typeof grantDocumentSchema>;

/** The id a grant is created under: one per request and DAU. */
export function grantId(requestId: string, dauId: string): string {
  return `${requestId}:${dauId}`;
}

/** Live: active and not yet expired (the expiry timer may run a little late; the date is what counts). */
export function isLive(grant: GrantDocument, now: Date): boolean {
  return grant.status === 'active' && Date.parse(grant.expiresAt) > now.getTime();
}
