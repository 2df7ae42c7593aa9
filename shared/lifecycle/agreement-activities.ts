/**
 * The durable contract of the agreement step's activities (names, input and output schemas), shared by the
 * orchestrator (agreement-step.ts) and the function file that registers the handlers (`functions/agreements.ts`).
 * Only zod here.
 */
import { z } from 'zod';
import { notificationSchema } from '../notifications/model';
import { agreementUploadedSchema, envelopeOutcomeSchema } from './request-lifecycle-contract';

/**
 * Finds the request's envelope by its idempotency key or creates it as a draft, and records its id on the
 * request and in the envelope index — before anything sends it.
 */
export const prepareAgreementEnvelopeActivity = 'prepareAgreementEnvelope';
/** Sends the recorded draft (once, however often it runs); the request waits for signatures. */
export const sendAgreementEnvelopeActivity = 'sendAgreementEnvelope';
/** Reads the envelope through the API (the lost-webhook fallback): its outcome, if it has one. */
export const checkAgreementEnvelopeActivity = 'checkAgreementEnvelope';
/** Voids the envelope (a draft not yet sent is discarded instead) after a withdrawal. */
export const withdrawAgreementEnvelopeActivity = 'withdrawAgreementEnvelope';
/** The envelope was declined or voided: the request ends with the reason. */
export const recordAgreementEndedActivity = 'recordAgreementEnded';
/** The agreement is signed: the controlled DAUs go to review. */
export const recordAgreementSignedActivity = 'recordAgreementSigned';
/** The manual route: the request waits for an upload, unless one came already. */
export const awaitAgreementUploadActivity = 'awaitAgreementUpload';

const requestId = z.uuid();
const envelopeId = z.string().min(1).max(100);

export const requestRefInputSchema = z.object({ requestId });
export const envelopeRefInputSchema = z.object({ requestId, envelopeId });

export const preparedEnvelopeSchema = z.object({
  envelopeId,
  /** How often the waiting step reads the envelope's status (`DocuSign__statusPollMinutes`). */
  pollMinutes: z.number().int().min(1),
});
export type PreparedEnvelope = z.infer<typeof preparedEnvelopeSchema>;

export const sentEnvelopeSchema = z.object({
  /** The requester's "envelope sent" mail, when they have an address. */
  notification: notificationSchema.optional(),
});

export const envelopeCheckSchema = z.object({ outcome: envelopeOutcomeSchema.optional() });

export const recordAgreementEndedInputSchema = z.object({ requestId, outcome: envelopeOutcomeSchema });
export const agreementEndedSchema = z.object({
  /** The requester's "signature declined" mail (declined envelopes only). */
  notification: notificationSchema.optional(),
});

export const recordAgreementSignedInputSchema = z.discriminatedUnion('route', [
  z.object({ requestId, route: z.literal('electronic'), envelopeId }),
  z.object({ requestId, route: z.literal('manual'), upload: agreementUploadedSchema }),
]);
export type RecordAgreementSignedInput = z.infer<typeof recordAgreementSignedInputSchema>;

export const awaitedUploadSchema = z.object({
  /** The latest upload when one was made before the step got here. */
  uploaded: agreementUploadedSchema.optional(),
});
