/**
 * The contract of the request's orchestration (`requestLifecycle`) with the rest of the app: its name, the
 * instance id a request's orchestration runs under, and the external events others raise to it, each with
 * the zod schema of its payload. Webhooks and routes raise these through the durable client; the
 * orchestrator waits for them (`context.df.waitForExternalEvent(lifecycleEvents.envelopeOutcome)`) and
 * parses what it receives with the same schema.
 *
 * Only zod here: the agreements, requests and reviews modules import this file without pulling in
 * `durable-functions`.
 *
 * Delivery is at least once: the same event may be raised twice (a webhook retried after a lost answer, the
 * status poll and the webhook both seeing an outcome). The orchestrator acts on the first event for the
 * envelope it waits for and ignores the rest (`envelopeId` says which envelope an outcome is about).
 */
import { z } from 'zod';

export const requestLifecycleOrchestration = 'requestLifecycle';

const requestIdPattern = /^[A-Za-z0-9_-]{1,100}$/;

/**
 * The instance id of a request's orchestration: one per request, so a second submit finds it instead of
 * starting another. Request ids are UUIDs; anything outside `[A-Za-z0-9_-]` is refused because the durable
 * client puts the id into URL paths unencoded.
 */
export function lifecycleInstanceId(requestId: string): string {
  if (!requestIdPattern.test(requestId)) throw new Error(`Not a request id: ${JSON.stringify(requestId)}`);
  return `request-${requestId}`;
}

/** External event names (case-sensitive in the JS SDK). */
export const lifecycleEvents = {
  /** The DocuSign envelope ended: completed, declined or voided (an expired envelope is voided). */
  envelopeOutcome: 'EnvelopeOutcome',
  /** A signed (or revised) agreement PDF was uploaded on the manual route. */
  agreementUploaded: 'AgreementUploaded',
  /** The owner withdrew the request. */
  withdrawn: 'Withdrawn',
} as const;
export type LifecycleEventName = (typeof lifecycleEvents)[keyof typeof lifecycleEvents];

export const envelopeOutcomeStatuses = ['completed', 'declined', 'voided'] as const;

export const envelopeOutcomeSchema = z.object({
  envelopeId: z.string().min(1).max(100),
  status: z.enum(envelopeOutcomeStatuses),
  /** The signer's reason (declined) or DocuSign's (voided, e.g. "Envelope has expired."); empty if none. */
  reason: z.string().max(2000).default(''),
  /** Name (or e-mail) of the signer who declined. */
  declinedBy: z.string().max(400).optional(),
  /** True when DocuSign voided the envelope because it expired. */
  expired: z.boolean().default(false),
  /** When DocuSign says it happened (ISO 8601), if it said. */
  at: z.string().max(64).optional(),
  /** Who noticed: the Connect webhook or the orchestration's own status check. */
  source: z.enum(['connect', 'poll']),
});
export type EnvelopeOutcome = z.infer<typeof envelopeOutcomeSchema>;
export type EnvelopeOutcomeInput = z.input<typeof envelopeOutcomeSchema>;

export const agreementUploadedSchema = z.object({
  version: z.number().int().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  uploadedBy: z.string().min(1).max(200),
});
export type AgreementUploaded = z.infer<typeof agreementUploadedSchema>;

export const withdrawnSchema = z.object({
  by: z.string().min(1).max(200),
  reason: z.string().max(2000).default(''),
});
export type Withdrawn = z.infer<typeof withdrawnSchema>;

/** Each event's payload schema, by name. */
export const lifecycleEventSchemas = {
  [lifecycleEvents.envelopeOutcome]: envelopeOutcomeSchema,
  [lifecycleEvents.agreementUploaded]: agreementUploadedSchema,
  [lifecycleEvents.withdrawn]: withdrawnSchema,
} as const satisfies Record<LifecycleEventName, z.ZodType>;

/** The reason DocuSign gives when it voids an expired envelope. */
export function isExpiryReason(reason: string | undefined): boolean {
  return /\bexpired\b/i.test(reason ?? '');
}

// --- the request orchestration's children (DESIGN §8) ------------------------------------------------------

/** The input of `requestLifecycle`. */
export const lifecycleInputSchema = z.object({ requestId: z.uuid() });
export type LifecycleInput = z.infer<typeof lifecycleInputSchema>;

/** One DAU's committee review (a sub-orchestration of `requestLifecycle`, one per DAU needing review). */
export const dauReviewOrchestration = 'dauReview';
/** Copying one DAU's files into the requester's project space, then granting access (a sub-orchestration). */
export const dauVendingOrchestration = 'dauVending';

/**
 * A DAU id as a part of an instance id: letters and digits as they are, every other character `_` and its two
 * hex digits (`Clinical Genomics` → `Clinical_20Genomics`), so distinct ids stay distinct and the result is safe
 * unencoded in the durable client's URL paths.
 */
function instanceIdPart(dauId: string): string {
  if (!/^[\x20-\x7e]{1,100}$/.test(dauId)) throw new Error(`Not a DAU id: ${JSON.stringify(dauId)}`);
  return dauId.replace(
    /[^A-Za-z0-9]/g,
    (character) => `_${character.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

function childInstanceId(requestId: string, stage: string, dauId: string): string {
  return `${lifecycleInstanceId(requestId)}-${stage}-${instanceIdPart(dauId)}`;
}

/** A grant's own orchestration (not a child: the request's must not wait a year for it). */
export function grantInstanceId(requestId: string, dauId: string): string {
  return `grant-${lifecycleInstanceId(requestId).slice('request-'.length)}-${instanceIdPart(dauId)}`;
}

/** One DAU's way after the agreement (or at once when open): its review, then its vending. */
export const dauBranchOrchestration = 'dauBranch';

export function dauBranchInstanceId(requestId: string, dauId: string): string {
  return childInstanceId(requestId, 'dau', dauId);
}

/** The instance id of a DAU's review: events for one DAU's decision go here. */
export function reviewInstanceId(requestId: string, dauId: string): string {
  return childInstanceId(requestId, 'review', dauId);
}

export function vendingInstanceId(requestId: string, dauId: string): string {
  return childInstanceId(requestId, 'vend', dauId);
}

/** The input of both children: which request, which DAU. */
export const dauStageInputSchema = z.object({
  requestId: z.uuid(),
  dauId: z.string().min(1).max(100),
});
export type DauStageInput = z.infer<typeof dauStageInputSchema>;

/** What a DAU's review ended with (its output). */
export const dauReviewOutcomeSchema = z.object({
  decision: z.enum(['approved', 'rejected', 'withdrawn']),
  /** When the decision was made (the orchestration's time), ISO 8601: an approval starts the access period. */
  at: z.iso.datetime(),
});
export type DauReviewOutcome = z.infer<typeof dauReviewOutcomeSchema>;

export const dauVendingInputSchema = dauStageInputSchema.extend({
  /** When access was approved (for open and held DAUs: when vending began); the grant's period starts here. */
  approvedAt: z.iso.datetime(),
});
export type DauVendingInput = z.infer<typeof dauVendingInputSchema>;

/** External events a DAU's review waits for (raised to `reviewInstanceId`). */
export const reviewEvents = {
  /** A committee member decided (through the e-mailed link or signed in); recorded before it is raised. */
  decision: 'ReviewDecision',
  /** The requester uploaded a revised agreement while this DAU was returned to them. */
  agreementRevised: 'AgreementRevised',
  /** The request was withdrawn: the review ends, its links stop working. */
  withdrawn: lifecycleEvents.withdrawn,
} as const;

/** `AgreementRevised` carries the upload it is about. */
export const agreementRevisedSchema = agreementUploadedSchema;
