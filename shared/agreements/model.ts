/**
 * The Data Access Agreement as this module sees it: who signs (in routing order), what the envelope carries,
 * where an envelope stands, and the uploaded versions of a hand-signed agreement.
 */
import { z } from 'zod';
import { problemKind } from '../http/errors';

export const personSchema = z.object({
  name: z.string().trim().min(1).max(200),
  email: z.email().max(320),
});
export type Person = z.infer<typeof personSchema>;

/** What the envelope is built from: the request's wizard answers and the DAUs the agreement covers. */
export const agreementSubjectSchema = z
  .object({
    requestId: z.string().min(1).max(100),
    projectName: z.string().min(1).max(200),
    institution: z.string().min(1).max(300),
    contemplatedUse: z.string().min(1).max(5000),
    downloadRequested: z.boolean(),
    requester: personSchema,
    principalInvestigator: personSchema,
    additionalApplicants: z.array(personSchema).max(8),
    institutionalAuthority: personSchema,
    informationSecurityOfficer: personSchema.optional(),
    daus: z.array(z.object({ id: z.string().min(1), name: z.string().min(1) })).min(1),
  })
  .refine((subject) => !subject.downloadRequested || subject.informationSecurityOfficer !== undefined, {
    path: ['informationSecurityOfficer'],
    message: 'is required when download is requested (the information security officer signs too)',
  });
export type AgreementSubject = z.infer<typeof agreementSubjectSchema>;

export const signerRoles = [
  'requester',
  'principalInvestigator',
  'additionalApplicant',
  'institutionalAuthority',
  'informationSecurityOfficer',
] as const;
export type SignerRole = (typeof signerRoles)[number];

/** One recipient of the envelope, in routing order (1 signs first). */
export interface Signatory extends Person {
  readonly recipientId: string;
  readonly routingOrder: number;
  /** Every role this person signs for (a requester who is also the PI signs once). */
  readonly roles: readonly SignerRole[];
}

/**
 * Recipients in routing order: requester, PI, additional applicants, institutional authority, and the
 * information security officer when download was asked. One person appearing in several roles signs once,
 * at their first place.
 */
export function signatoriesOf(subject: AgreementSubject): Signatory[] {
  if (subject.downloadRequested && subject.informationSecurityOfficer === undefined) {
    throw new Error('Download was requested, so the information security officer must sign too');
  }
  const parties: [SignerRole, Person][] = [
    ['requester', subject.requester],
    ['principalInvestigator', subject.principalInvestigator],
    ...subject.additionalApplicants.map((person): [SignerRole, Person] => ['additionalApplicant', person]),
    ['institutionalAuthority', subject.institutionalAuthority],
    ...(subject.downloadRequested && subject.informationSecurityOfficer !== undefined
      ? [['informationSecurityOfficer', subject.informationSecurityOfficer] as [SignerRole, Person]]
      : []),
  ];
  const byEmail = new Map<string, { person: Person; roles: SignerRole[] }>();
  for (const [role, person] of parties) {
    const key = person.email.toLowerCase();
    const existing = byEmail.get(key);
    if (existing === undefined) byEmail.set(key, { person, roles: [role] });
    else if (!existing.roles.includes(role)) existing.roles.push(role);
  }
  return [...byEmail.values()].map(({ person, roles }, index) => ({
    name: person.name,
    email: person.email,
    recipientId: String(index + 1),
    routingOrder: index + 1,
    roles,
  }));
}

/** Envelope statuses as DocuSign names them. */
export const envelopeStatuses = [
  'created',
  'sent',
  'delivered',
  'signed',
  'completed',
  'declined',
  'voided',
  'deleted',
] as const;
export type EnvelopeStatus = (typeof envelopeStatuses)[number];

/** Statuses after which an envelope never changes again. */
export const finalEnvelopeStatuses: ReadonlySet<string> = new Set([
  'completed',
  'declined',
  'voided',
  'deleted',
]);

// Where an envelope ends (completed, declined, voided — expiry is a void) is the lifecycle's
// `EnvelopeOutcome` event: shared/lifecycle/request-lifecycle-contract.ts; `outcomeOf` in outcome.ts builds it.

/** A signer's progress as the dashboard shows it (who has signed, whose turn it is). */
export const signerProgressSchema = z.object({
  recipientId: z.string(),
  name: z.string(),
  email: z.string(),
  routingOrder: z.number().int(),
  status: z.enum(['pending', 'sent', 'delivered', 'completed', 'declined']),
  at: z.string().optional(),
});
export type SignerProgress = z.infer<typeof signerProgressSchema>;

const progressRank: Record<SignerProgress['status'], number> = {
  pending: 0,
  sent: 1,
  delivered: 2,
  completed: 3,
  declined: 3,
};

/** DocuSign recipient statuses mapped onto the dashboard's; unknown ones say nothing new. */
export function signerStatusOf(docuSignStatus: string | undefined): SignerProgress['status'] | undefined {
  switch (docuSignStatus?.toLowerCase()) {
    case 'created':
      return 'pending';
    case 'sent':
      return 'sent';
    case 'delivered':
      return 'delivered';
    case 'signed':
    case 'completed':
      return 'completed';
    case 'declined':
      return 'declined';
    default:
      return undefined;
  }
}

/**
 * Merges news about signers into what is known: a status only moves forward, so a delivery that arrives
 * late or twice never undoes a signature. Returns the same array when nothing changed.
 */
export function mergeSignerProgress(
  known: readonly SignerProgress[],
  news: readonly Pick<SignerProgress, 'recipientId' | 'status' | 'at'>[],
): readonly SignerProgress[] {
  let changed = false;
  const merged = known.map((signer) => {
    // Of several items about one signer (an event and the envelope summary with it), the furthest counts.
    let update: (typeof news)[number] | undefined;
    for (const item of news) {
      if (item.recipientId !== signer.recipientId) continue;
      if (update === undefined || progressRank[item.status] > progressRank[update.status]) update = item;
    }
    // Completed and declined are both final: neither replaces the other.
    if (update === undefined || progressRank[update.status] <= progressRank[signer.status]) return signer;
    changed = true;
    return { ...signer, status: update.status, ...(update.at === undefined ? {} : { at: update.at }) };
  });
  return changed ? merged : known;
}

/** The signer whose turn it is: the lowest routing order not yet done. */
export function nextSigner(progress: readonly SignerProgress[]): SignerProgress | undefined {
  return [...progress]
    .sort((a, b) => a.routingOrder - b.routingOrder)
    .find((signer) => signer.status !== 'completed' && signer.status !== 'declined');
}

/** One uploaded version of a hand-signed agreement. */
export const agreementUploadSchema = z
  .object({
    version: z.number().int().min(1),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    bytes: z.number().int().min(1),
    uploadedAt: z.string(),
    uploadedBy: z.string(),
  })
  .meta({ id: 'AgreementUpload', description: 'One uploaded version of a signed agreement' });
export type AgreementUpload = z.infer<typeof agreementUploadSchema>;

/** The largest agreement upload accepted (a scanned, signed agreement is a few MiB). */
export const maxAgreementUploadBytes = 20 * 1024 * 1024;

export const agreementProblems = {
  docuSignUnavailable: problemKind('docusign-not-configured', 503, 'Electronic signing is not available'),
  invalidAgreementPdf: problemKind('invalid-agreement-pdf', 422, 'The file is not an acceptable PDF'),
  agreementNotExpected: problemKind('agreement-not-expected', 409, 'The request takes no agreement now'),
  invalidConnectSignature: problemKind('invalid-signature', 401, 'The delivery signature is not valid'),
} as const;
