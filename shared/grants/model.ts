import { z } from 'zod';
import { dauIdSchema } from '../catalog/model';

/**
 * A grant (DESIGN §4): user × DAU → when granted, until when, whether download is allowed, and the request it
 * came from. One document per (request, DAU) in Cosmos `grants` (partition `/userId`), created by its id so a
 * vend that runs twice grants once; an extension moves `expiresAt`, a revocation or the expiry ends it.
 * Each grant has its own orchestration (`grantAccess`, instance `grantInstanceId`) that ends it on time.
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
  /** When access ended (expiry or revocation: the orchestration's time) and why. */
  endedAt: z.iso.datetime().optional(),
  revocation: z.object({ by: z.string(), reason: z.string() }).optional(),
  /** Approved extensions, oldest first: each moved `expiresAt` from `from` to `to`. */
  extensions: z
    .array(z.object({ id: z.string(), from: z.iso.datetime(), to: z.iso.datetime(), approvedBy: z.string() }))
    .optional(),
  /** The requester attested that downloaded copies are destroyed (close-out). */
  closeout: z.object({ at: z.iso.datetime(), by: z.string(), statement: z.string() }).optional(),
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
