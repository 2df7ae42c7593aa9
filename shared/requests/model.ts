import { z } from 'zod';
import { accessTypeSchema, countsSchema, dauIdSchema, selectionSchema, type DauId } from '../catalog/model';
import { organisationTypeSchema } from '../users/model';

export type { Stored } from '../platform/stored';

/**
 * The request aggregate (DESIGN §4): who asks, for which DAUs (the selection and what it resolved to), the
 * wizard's answers, the agreement route and signatories, the per-DAU state later stages fill (agreement,
 * review, vending), and the status. One Cosmos document in `requests` (partition `/ownerId`); its `_etag` is
 * the ETag clients send back in `If-Match`.
 */

/** DESIGN §4, in lifecycle order; the dashboard shows these names. */
export const REQUEST_STATUSES = [
  'draft',
  'submitted',
  'awaiting_signatures',
  'awaiting_agreement_upload',
  'in_review',
  'returned',
  'approved',
  'partially_approved',
  'rejected',
  'provisioning',
  'active',
  'expiring',
  'expired',
  'withdrawn',
  'signature_declined',
  /** DocuSign voided the envelope (it expired, or was voided there): the request ended with the reason. */
  'agreement_voided',
  'revoked',
] as const;
export const requestStatusSchema = z.enum(REQUEST_STATUSES);
export type RequestStatus = z.infer<typeof requestStatusSchema>;

/** Where one DAU of a request stands (`submitted`: no agreement needed, the lifecycle takes it on). */
export const DAU_STATUSES = [
  'draft',
  'submitted',
  'awaiting_agreement',
  'in_review',
  'returned',
  'approved',
  'rejected',
  'provisioning',
  'active',
  'expired',
  'revoked',
  'withdrawn',
  /** The request ended before this DAU was decided (the agreement was declined or voided). */
  'closed',
] as const;
export const dauStatusSchema = z.enum(DAU_STATUSES);
export type DauStatus = z.infer<typeof dauStatusSchema>;

export const AGREEMENT_ROUTES = ['electronic', 'manual'] as const;
export const agreementRouteSchema = z.enum(AGREEMENT_ROUTES);
export type AgreementRoute = z.infer<typeof agreementRouteSchema>;

// --- wizard answers as stored: any shape-correct value, so an autosave never loses what was typed; whether a
// value is acceptable is the completeness report's job (wizard.ts). Members are nullish because a PATCH is a
// JSON merge patch (RFC 7396), where null removes a member.

export const MAX_CONTEMPLATED_USE = 5000;
export const MAX_ADDITIONAL_APPLICANTS_ELECTRONIC = 8;
export const MAX_ADDITIONAL_APPLICANTS = 50;

const typed = (max: number) => z.string().max(max, `must be at most ${max} characters`).nullish();

export const personDraftSchema = z.strictObject({
  name: typed(200),
  email: typed(320),
  title: typed(200),
});
export type PersonDraft = z.infer<typeof personDraftSchema>;

export const answersSchema = z
  .strictObject({
    destination: z
      .strictObject({
        kind: z.enum(['new', 'existing']).nullish(),
        projectName: typed(100),
        folderName: typed(100),
      })
      .nullish(),
    principalInvestigator: personDraftSchema.nullish(),
    institution: z
      .strictObject({
        name: typed(300),
        rorId: typed(100),
        country: typed(2),
        organisationType: organisationTypeSchema.nullish(),
      })
      .nullish(),
    additionalApplicants: z.array(personDraftSchema).max(MAX_ADDITIONAL_APPLICANTS).nullish(),
    institutionalAuthority: personDraftSchema.nullish(),
    contemplatedUse: typed(MAX_CONTEMPLATED_USE),
    download: z
      .strictObject({
        wanted: z.boolean().nullish(),
        informationSecurityOfficer: personDraftSchema.nullish(),
      })
      .nullish(),
    agreementRoute: agreementRouteSchema.nullish(),
  })
  .meta({ id: 'WizardAnswers', description: 'The set-up wizard as answered so far' });
export type Answers = z.infer<typeof answersSchema>;

/** A request's selection: the query as given and what it resolved to (frozen at submit). */
export const frozenSelectionSchema = z.object({
  /** Blob in the `selections` container: gzip, one file id per line. */
  blobName: z.string().min(1),
  /** SHA-256 (hex) of the blob's bytes, as stored. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  files: z.number().int().min(0),
  compressedBytes: z.number().int().min(0),
  indexVersion: z.string(),
  frozenAt: z.iso.datetime(),
});
export type FrozenSelection = z.infer<typeof frozenSelectionSchema>;

export const requestSelectionSchema = z.object({
  query: selectionSchema,
  counts: countsSchema,
  unknownSampleNames: z.array(z.string()),
  unknownRowIds: z.array(z.string()),
  indexVersion: z.string(),
  resolvedAt: z.iso.datetime(),
  frozen: frozenSelectionSchema.nullable(),
});
export type RequestSelection = z.infer<typeof requestSelectionSchema>;

/**
 * Per-stage records of a DAU that later issues own (agreement, review, vending): open objects with a
 * `status`, so each stage may add its own fields without a migration of this schema.
 */
const stageRecord = z.looseObject({ status: z.string().min(1) }).nullable();

export const requestDauSchema = z.object({
  id: dauIdSchema,
  name: z.string(),
  access: accessTypeSchema,
  files: z.number().int(),
  /** The requester held a live grant on it when the selection was last resolved. */
  held: z.boolean(),
  embargoDate: z.iso.date().nullable(),
  /** Controlled and not held: the agreement covers it and its committee decides. */
  agreementRequired: z.boolean(),
  status: dauStatusSchema,
  agreement: stageRecord,
  review: stageRecord,
  vending: stageRecord,
});
export type RequestDau = z.infer<typeof requestDauSchema>;

export const SIGNATORY_ROLES = [
  'requester',
  'principal_investigator',
  'additional_applicant',
  'institutional_authority',
  'information_security_officer',
] as const;

export const signatorySchema = z.object({
  role: z.enum(SIGNATORY_ROLES),
  name: z.string(),
  email: z.string(),
  title: z.string().nullable(),
});
export type Signatory = z.infer<typeof signatorySchema>;

/** Who did something: a signed-in user in one of their roles, or a part of the system. */
export const actorSchema = z.object({
  kind: z.enum(['requester', 'admin', 'committee', 'system', 'docusign']),
  /** The user's subject id, or the system component's name (e.g. `requestLifecycle`). */
  id: z.string().min(1),
  email: z.string().nullable().default(null),
});
export type Actor = z.infer<typeof actorSchema>;

/** An event to record: what happened, by whom, with details; `idempotencyKey` makes recording it twice a no-op. */
export const newEventSchema = z.object({
  type: z.string().regex(/^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/, 'looks like request.submitted'),
  actor: actorSchema,
  details: z.record(z.string(), z.unknown()).default({}),
  idempotencyKey: z.string().min(1).max(512),
  /** When it happened (ISO 8601); now when absent. */
  at: z.iso.datetime().optional(),
});
export type NewEvent = z.input<typeof newEventSchema>;

export const requestDocumentSchema = z.object({
  id: z.uuid(),
  ownerId: z.string().min(1),
  docType: z.literal('request'),
  schemaVersion: z.literal(1),
  /** Incremented by every change; names the change's event (`request:<id>:rev:<n>`). */
  revision: z.number().int().min(1),
  owner: z.object({ subjectId: z.string(), email: z.string().nullable(), name: z.string().nullable() }),
  status: requestStatusSchema,
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  submittedAt: z.iso.datetime().nullable(),
  copiedFrom: z.uuid().nullable(),
  selection: requestSelectionSchema,
  daus: z.array(requestDauSchema),
  answers: answersSchema,
  /** Fixed at submit from the answers: electronic, manual, or none (nothing needs an agreement). */
  agreementRoute: z.enum(['electronic', 'manual', 'none']).nullable(),
  signatories: z.array(signatorySchema),
  /** The request's agreement (envelope or uploaded document), owned by the agreements module. */
  agreement: z.looseObject({ status: z.string().min(1) }).nullable(),
  /** Events of the last change not yet known to be on the timeline (an outbox: written with the change). */
  pendingEvents: z.array(newEventSchema),
});
export type RequestDocument = z.infer<typeof requestDocumentSchema>;

export function requestKey(document: Pick<RequestDocument, 'id' | 'ownerId'>): RequestKey {
  return { id: document.id, ownerId: document.ownerId };
}

export interface RequestKey {
  readonly id: string;
  readonly ownerId: string;
}

export function controlledDauIds(daus: readonly RequestDau[]): DauId[] {
  return daus.filter((dau) => dau.access === 'controlled').map((dau) => dau.id);
}
