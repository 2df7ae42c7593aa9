/**
 * The durable contract of vending and of a grant's orchestration: orchestration, activity and event names,
 * and the zod schemas of their inputs and outputs, for the orchestrators (dau-vending.ts, grant-access.ts)
 * and the function file that registers them (`functions/provisioning.ts`). Only zod here.
 */
import { z } from 'zod';
import { dauIdSchema } from '../catalog/model';
import { notificationSchema } from '../notifications/model';
import { projectSpaceSchema } from '../provisioning/model';

// --- vending -------------------------------------------------------------------------------------------

/** Plans a DAU's vend: its files of the frozen selection, in batches; creates the project space. */
export const planVendingActivity = 'planVending';
/** Copies one batch of the plan server-side (skipping what is already there). */
export const copyVendingBatchActivity = 'copyVendingBatch';
/** Records how far the copy is on the DAU's `vending` record. */
export const recordVendingProgressActivity = 'recordVendingProgress';
/** Writes SAMPLE_INFO.txt and the grant, marks the DAU active, and starts the grant's orchestration. */
export const completeVendingActivity = 'completeVending';

const requestDauFields = { requestId: z.uuid(), dauId: dauIdSchema };

export const planVendingInputSchema = z.object({ ...requestDauFields, now: z.iso.datetime() });

const batchSizeSchema = z.object({ files: z.number().int().min(0), bytes: z.number().int().min(0) });

export const vendingPlanSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('copy'),
    space: projectSpaceSchema,
    /** Data files and bytes of each batch (index files travel with their file). */
    batches: z.array(batchSizeSchema),
    files: z.number().int().min(0),
    bytes: z.number().int().min(0),
  }),
  /** The DAU's access ended (expired, revoked, withdrawn…) before the vend began: nothing is copied. */
  z.object({ kind: z.literal('ended'), status: z.string() }),
]);
export type VendingPlan = z.infer<typeof vendingPlanSchema>;

export const copyVendingBatchInputSchema = z.object({
  ...requestDauFields,
  space: projectSpaceSchema,
  batch: z.number().int().min(0),
});

export const copyOutcomeSchema = z.object({
  copied: z.number().int().min(0),
  skipped: z.number().int().min(0),
});

export const recordVendingProgressInputSchema = z.object({
  ...requestDauFields,
  filesDone: z.number().int().min(0),
  bytesDone: z.number().int().min(0),
});

export const completeVendingInputSchema = z.object({
  ...requestDauFields,
  space: projectSpaceSchema,
  batches: z.number().int().min(0),
  approvedAt: z.iso.datetime(),
  now: z.iso.datetime(),
});

export const completedVendingSchema = z.object({
  grantId: z.string(),
  expiresAt: z.iso.datetime(),
  /** The requester's "data vended" mail; absent when they have no address. */
  notification: notificationSchema.optional(),
});
export type CompletedVending = z.infer<typeof completedVendingSchema>;

/** What `dauVending` answers (the parent only looks at failure). */
export const vendingOutcomeSchema = z.object({
  outcome: z.enum(['vended', 'ended']),
  files: z.number().int().min(0),
  copied: z.number().int().min(0),
  skipped: z.number().int().min(0),
});
export type VendingOutcome = z.infer<typeof vendingOutcomeSchema>;

// --- a grant's orchestration ---------------------------------------------------------------------------

/** One orchestration per grant: reminder, expiry, revocation, extension, close-out (DESIGN §8). */
export const grantAccessOrchestration = 'grantAccess';

/** Instance id of a grant's orchestration (`grant-<requestId>-<DAU>`, started once): in the contract. */
export { grantInstanceId } from './request-lifecycle-contract';

export const grantAccessInputSchema = z.object({
  ...requestDauFields,
  userId: z.string().min(1),
  expiresAt: z.iso.datetime(),
  /** The 30-day reminder for this `expiresAt` was sent (kept across continue-as-new). */
  reminded: z.boolean().default(false),
});
export type GrantAccessInput = z.input<typeof grantAccessInputSchema>;

/** External events a grant's orchestration waits for. */
export const grantEvents = {
  revoked: 'GrantRevoked',
  extended: 'GrantExtended',
  closedOut: 'GrantClosedOut',
} as const;

export const grantRevokedSchema = z.object({
  by: z.string().min(1).max(200),
  reason: z.string().min(1).max(2000),
});
export const grantExtendedSchema = z.object({
  /** The extension's id: applying it twice moves the expiry once. */
  extensionId: z.string().min(1).max(200),
  approvedBy: z.string().min(1).max(200),
});
export const grantClosedOutSchema = z.object({ at: z.iso.datetime() });

/** Marks the DAU expiring and answers the reminder mail. */
export const remindExpiryActivity = 'remindGrantExpiry';
/** Removes the DAU's vended copy and ends the grant (expired or revoked); answers the mail. */
export const endAccessActivity = 'endGrantAccess';
/** Applies an approved extension: the new expiry. */
export const extendGrantActivity = 'extendGrant';
/** 30 days after expiry: records (and mails admins) when a grant with downloads has no close-out. */
export const checkCloseoutActivity = 'checkGrantCloseout';

const grantRefFields = { ...requestDauFields, userId: z.string().min(1) };

export const remindExpiryInputSchema = z.object({ ...grantRefFields, expiresAt: z.iso.datetime() });
export const endAccessInputSchema = z.object({
  ...grantRefFields,
  at: z.iso.datetime(),
  ending: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('expired') }),
    z.object({ kind: z.literal('revoked'), by: z.string().min(1), reason: z.string().min(1) }),
  ]),
});
export const endedAccessSchema = z.object({
  /** Whether the grant carried download permission (then a close-out is expected). */
  downloadAllowed: z.boolean(),
  removedFiles: z.number().int().min(0),
  notification: notificationSchema.optional(),
});
export const extendGrantInputSchema = z.object({
  ...grantRefFields,
  extensionId: z.string().min(1),
  approvedBy: z.string().min(1),
  at: z.iso.datetime(),
});
export const extendedGrantSchema = z.object({ expiresAt: z.iso.datetime() });
export const checkCloseoutInputSchema = z.object({ ...grantRefFields, at: z.iso.datetime() });
export const maybeNotificationSchema = z.object({ notification: notificationSchema.optional() });
