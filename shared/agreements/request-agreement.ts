/**
 * The agreement as the request carries it (`request.agreement`, written by this module only): which route,
 * where it stands, the envelope and its signers' progress (so the dashboard needs no DocuSign or Cosmos
 * lookup of its own), the uploads, and why it ended. Each change here is a `ProgressChange` for
 * `RequestProgress.apply`: it returns `undefined` when its work is already done, so an activity that runs
 * twice changes the request once.
 */
import { z } from 'zod';
import type { EnvelopeOutcome } from '../lifecycle/request-lifecycle-contract';
import type { RequestDau, RequestDocument } from '../requests/model';
import {
  agreementSubjectSchema,
  mergeSignerProgress,
  nextSigner,
  signatoriesOf,
  signerProgressSchema,
  type AgreementSubject,
  type AgreementUpload,
  type SignerProgress,
} from './model';

const latestUploadSchema = z.object({
  version: z.number().int().min(1),
  sha256: z.string(),
  bytes: z.number().int(),
  uploadedAt: z.string(),
});

/** `request.agreement` as this module writes it (read back with this schema: a boundary like any other). */
export const requestAgreementSchema = z.looseObject({
  status: z.enum(['preparing', 'awaiting_signatures', 'awaiting_upload', 'signed', 'declined', 'voided']),
  route: z.enum(['electronic', 'manual']),
  envelopeId: z.string().optional(),
  signers: z.array(signerProgressSchema).optional(),
  sentAt: z.string().optional(),
  signedAt: z.string().optional(),
  endedAt: z.string().optional(),
  declinedBy: z.string().optional(),
  /** The decliner's reason, or why the envelope was voided (expiry, withdrawal). */
  reason: z.string().optional(),
  expired: z.boolean().optional(),
  uploads: z.number().int().min(0).optional(),
  latestUpload: latestUploadSchema.optional(),
});
export type RequestAgreement = z.infer<typeof requestAgreementSchema>;

/** The request's agreement, or undefined before the lifecycle (or an upload) wrote one. */
export function agreementOf(request: RequestDocument): RequestAgreement | undefined {
  return request.agreement === null ? undefined : requestAgreementSchema.parse(request.agreement);
}

/** What the dashboard and the request view show about the agreement. */
export const agreementSummarySchema = z
  .object({
    route: z.enum(['electronic', 'manual']),
    status: requestAgreementSchema.shape.status,
    envelopeId: z.string().nullable(),
    signers: z.array(signerProgressSchema),
    /** Whose turn it is to sign (lowest routing order not yet done), while the envelope is out. */
    nextSigner: signerProgressSchema.pick({ name: true, email: true, routingOrder: true }).nullable(),
    uploads: z.object({ count: z.number().int().min(0), latest: latestUploadSchema.nullable() }),
    declinedBy: z.string().nullable(),
    /** The decliner's reason, or why the envelope was voided. */
    reason: z.string().nullable(),
    expired: z.boolean(),
  })
  .meta({ id: 'AgreementSummary', description: 'Where the Data Access Agreement stands' });
export type AgreementSummary = z.infer<typeof agreementSummarySchema>;

export function agreementSummary(request: RequestDocument): AgreementSummary | null {
  const agreement = agreementOf(request);
  if (agreement === undefined) return null;
  const signers = agreement.signers ?? [];
  const next = agreement.status === 'awaiting_signatures' ? nextSigner(signers) : undefined;
  return {
    route: agreement.route,
    status: agreement.status,
    envelopeId: agreement.envelopeId ?? null,
    signers,
    nextSigner:
      next === undefined ? null : { name: next.name, email: next.email, routingOrder: next.routingOrder },
    uploads: { count: agreement.uploads ?? 0, latest: agreement.latestUpload ?? null },
    declinedBy: agreement.declinedBy ?? null,
    reason: agreement.reason ?? null,
    expired: agreement.expired ?? false,
  };
}

/** What the envelope is built from: the wizard's answers and the DAUs that wait for the agreement. */
export function agreementSubjectOf(request: RequestDocument): AgreementSubject {
  const { answers, owner } = request;
  const person = (draft: { name?: string | null; email?: string | null } | null | undefined) => ({
    name: draft?.name?.trim() ?? '',
    email: draft?.email?.trim() ?? '',
  });
  return agreementSubjectSchema.parse({
    requestId: request.id,
    projectName: answers.destination?.projectName?.trim() || 'Untitled request',
    institution: answers.institution?.name?.trim() ?? '',
    contemplatedUse: answers.contemplatedUse?.trim() ?? '',
    downloadRequested: answers.download?.wanted === true,
    requester: { name: owner.name ?? owner.email ?? '', email: owner.email ?? '' },
    principalInvestigator: person(answers.principalInvestigator),
    additionalApplicants: (answers.additionalApplicants ?? []).map(person),
    institutionalAuthority: person(answers.institutionalAuthority),
    ...(answers.download?.wanted === true
      ? { informationSecurityOfficer: person(answers.download.informationSecurityOfficer) }
      : {}),
    daus: awaitingAgreement(request.daus).map(({ id, name }) => ({ id, name })),
  });
}

/** The signers as they start: everyone pending, in routing order. */
export function initialSigners(subject: AgreementSubject): SignerProgress[] {
  return signatoriesOf(subject).map(({ recipientId, name, email, routingOrder }) => ({
    recipientId,
    name,
    email,
    routingOrder,
    status: 'pending',
  }));
}

function awaitingAgreement(daus: readonly RequestDau[]): RequestDau[] {
  return daus.filter((dau) => dau.status === 'awaiting_agreement');
}

function withAgreement(request: RequestDocument, agreement: RequestAgreement): RequestDocument {
  return { ...request, agreement };
}

/** The request with `update` applied to every DAU still waiting for the agreement; undefined if none waits. */
function closeAgreementDaus(
  request: RequestDocument,
  update: (dau: RequestDau) => RequestDau,
): RequestDau[] | undefined {
  if (awaitingAgreement(request.daus).length === 0) return undefined;
  return request.daus.map((dau) => (dau.status === 'awaiting_agreement' ? update(dau) : dau));
}

// --- changes (each a ProgressChange) -----------------------------------------------------------------------

/** The envelope exists (a draft): its id is on the request before anything could send it. */
export const envelopeRecorded =
  (envelopeId: string, signers: readonly SignerProgress[]) =>
  (request: RequestDocument): RequestDocument | undefined => {
    if (agreementOf(request)?.envelopeId !== undefined) return undefined;
    return withAgreement(request, {
      status: 'preparing',
      route: 'electronic',
      envelopeId,
      signers: [...signers],
    });
  };

/** The envelope went out: the signatories are asked, in routing order. */
export const envelopeSent =
  (envelopeId: string, news: readonly Pick<SignerProgress, 'recipientId' | 'status' | 'at'>[], at: string) =>
  (request: RequestDocument): RequestDocument | undefined => {
    const agreement = agreementOf(request);
    if (agreement?.envelopeId !== envelopeId || agreement.status !== 'preparing') return undefined;
    return withAgreement(request, {
      ...agreement,
      status: 'awaiting_signatures',
      sentAt: at,
      signers: [...mergeSignerProgress(agreement.signers ?? [], news)],
    });
  };

/** Signer news (a Connect delivery, the status poll): progress only moves forward. */
export const signersProgressed =
  (envelopeId: string, news: readonly Pick<SignerProgress, 'recipientId' | 'status' | 'at'>[]) =>
  (request: RequestDocument): RequestDocument | undefined => {
    const agreement = agreementOf(request);
    if (agreement?.envelopeId !== envelopeId || agreement.signers === undefined) return undefined;
    const signers = mergeSignerProgress(agreement.signers, news);
    if (signers === agreement.signers) return undefined;
    return withAgreement(request, { ...agreement, signers: [...signers] });
  };

/** The agreement is signed (envelope completed, or a signed PDF uploaded): the controlled DAUs go to review. */
export const agreementSigned =
  (route: RequestAgreement['route'], at: string) =>
  (request: RequestDocument): RequestDocument | undefined => {
    const agreement = agreementOf(request);
    const daus = closeAgreementDaus(request, (dau) => ({
      ...dau,
      status: 'in_review',
      agreement: { status: 'signed', at },
    }));
    if (agreement?.status === 'signed' && daus === undefined) return undefined;
    return {
      ...withAgreement(request, { ...(agreement ?? { route }), status: 'signed', signedAt: at }),
      ...(daus === undefined ? {} : { daus }),
    };
  };

/** The envelope was declined or voided: the request ends with the reason, its waiting DAUs are closed. */
export const agreementEnded =
  (outcome: EnvelopeOutcome, at: string) =>
  (request: RequestDocument): RequestDocument | undefined => {
    const agreement = agreementOf(request);
    if (agreement === undefined || agreement.status === 'declined' || agreement.status === 'voided')
      return undefined;
    const status = outcome.status === 'declined' ? 'declined' : 'voided';
    const daus = closeAgreementDaus(request, (dau) => ({ ...dau, status: 'closed', agreement: { status } }));
    return {
      ...withAgreement(request, {
        ...agreement,
        status,
        endedAt: outcome.at ?? at,
        reason: outcome.reason,
        expired: outcome.expired,
        ...(outcome.declinedBy === undefined ? {} : { declinedBy: outcome.declinedBy }),
      }),
      ...(daus === undefined ? {} : { daus }),
      // A final status, set explicitly (a derived status never ends a request).
      status: outcome.status === 'declined' ? 'signature_declined' : 'agreement_voided',
    };
  };

/** The requester withdrew while the envelope was out: it is voided (or its draft discarded). */
export const envelopeWithdrawn =
  (envelopeId: string, reason: string, at: string) =>
  (request: RequestDocument): RequestDocument | undefined => {
    const agreement = agreementOf(request);
    if (agreement?.envelopeId !== envelopeId || agreement.status === 'voided') return undefined;
    if (agreement.status === 'signed' || agreement.status === 'declined') return undefined;
    return withAgreement(request, { ...agreement, status: 'voided', reason, endedAt: at });
  };

/** The manual route waits for a signed PDF. */
export function uploadAwaited(request: RequestDocument): RequestDocument | undefined {
  const agreement = agreementOf(request);
  if (agreement !== undefined) return undefined;
  return withAgreement(request, { status: 'awaiting_upload', route: 'manual' });
}

/** An uploaded version (the first signed one, or a revision): counted on the request, the latest named. */
export const uploadRecorded =
  (upload: AgreementUpload) =>
  (request: RequestDocument): RequestDocument | undefined => {
    const agreement = agreementOf(request) ?? { status: 'awaiting_upload', route: 'manual' };
    if ((agreement.latestUpload?.version ?? 0) >= upload.version) return undefined;
    const { version, sha256, bytes, uploadedAt } = upload;
    return withAgreement(request, {
      ...agreement,
      uploads: Math.max(agreement.uploads ?? 0, version),
      latestUpload: { version, sha256, bytes, uploadedAt },
    });
  };
