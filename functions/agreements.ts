import { app, type HttpRequest } from '@azure/functions';
import * as df from 'durable-functions';
import type { ActivityHandler } from 'durable-functions';
import { z } from 'zod';
import { durableUploadEvents } from '../shared/agreements/adapters/durable-lifecycle-events';
import { agreementUploadSchema, maxAgreementUploadBytes } from '../shared/agreements/model';
import { agreementSummarySchema } from '../shared/agreements/request-agreement';
import { getAgreementDocuments, getAgreementLifecycle } from '../shared/composition-root';
import { readBodyBytes } from '../shared/http/body';
import { AppError, problems } from '../shared/http/errors';
import { httpHandler } from '../shared/http/handler';
import type { ApiRoute } from '../shared/http/openapi';
import {
  awaitAgreementUploadActivity,
  checkAgreementEnvelopeActivity,
  envelopeRefInputSchema,
  prepareAgreementEnvelopeActivity,
  recordAgreementEndedActivity,
  recordAgreementEndedInputSchema,
  recordAgreementSignedActivity,
  recordAgreementSignedInputSchema,
  requestRefInputSchema,
  sendAgreementEnvelopeActivity,
  withdrawAgreementEnvelopeActivity,
  type PreparedEnvelope,
} from '../shared/lifecycle/agreement-activities';

/**
 * The Data Access Agreement: the agreement step's activities (shared/lifecycle/agreement-step.ts), and the
 * requester's routes for the signed PDF — upload (the manual route, or a revision "Add a Form"), the list of
 * versions with the envelope's progress, and the download of one version. Who may do what is decided in
 * the use case (`AgreementDocuments`).
 */

// --- activities ---------------------------------------------------------------------------------------------

export const prepareAgreementEnvelope: ActivityHandler = async (input: unknown) => {
  const { requestId } = requestRefInputSchema.parse(input);
  const prepared: PreparedEnvelope = await getAgreementLifecycle().prepareEnvelope(requestId);
  return prepared;
};

export const sendAgreementEnvelope: ActivityHandler = async (input: unknown) => {
  const { requestId, envelopeId } = envelopeRefInputSchema.parse(input);
  const notification = await getAgreementLifecycle().sendEnvelope(requestId, envelopeId);
  return notification === undefined ? {} : { notification };
};

export const checkAgreementEnvelope: ActivityHandler = async (input: unknown) => {
  const { requestId, envelopeId } = envelopeRefInputSchema.parse(input);
  const outcome = await getAgreementLifecycle().checkEnvelope(requestId, envelopeId);
  return outcome === undefined ? {} : { outcome };
};

export const withdrawAgreementEnvelope: ActivityHandler = async (input: unknown) => {
  const { requestId, envelopeId } = envelopeRefInputSchema.parse(input);
  await getAgreementLifecycle().withdrawEnvelope(requestId, envelopeId);
};

export const recordAgreementEnded: ActivityHandler = async (input: unknown) => {
  const { requestId, outcome } = recordAgreementEndedInputSchema.parse(input);
  const notification = await getAgreementLifecycle().recordEnded(requestId, outcome);
  return notification === undefined ? {} : { notification };
};

export const recordAgreementSigned: ActivityHandler = async (input: unknown) => {
  const signed = recordAgreementSignedInputSchema.parse(input);
  await getAgreementLifecycle().recordSigned(
    signed.requestId,
    signed.route === 'electronic' ? { envelopeId: signed.envelopeId } : { upload: signed.upload },
  );
};

export const awaitAgreementUpload: ActivityHandler = async (input: unknown) => {
  const { requestId } = requestRefInputSchema.parse(input);
  const latest = await getAgreementLifecycle().awaitUpload(requestId);
  return latest === undefined
    ? {}
    : { uploaded: { version: latest.version, sha256: latest.sha256, uploadedBy: latest.uploadedBy } };
};

df.app.activity(prepareAgreementEnvelopeActivity, { handler: prepareAgreementEnvelope });
df.app.activity(sendAgreementEnvelopeActivity, { handler: sendAgreementEnvelope });
df.app.activity(checkAgreementEnvelopeActivity, { handler: checkAgreementEnvelope });
df.app.activity(withdrawAgreementEnvelopeActivity, { handler: withdrawAgreementEnvelope });
df.app.activity(recordAgreementEndedActivity, { handler: recordAgreementEnded });
df.app.activity(recordAgreementSignedActivity, { handler: recordAgreementSigned });
df.app.activity(awaitAgreementUploadActivity, { handler: awaitAgreementUpload });

// --- routes -------------------------------------------------------------------------------------------------

const idParameter = z.strictObject({ id: z.uuid('must be a request id (a UUID)') });
const versionParameter = idParameter.extend({
  version: z
    .string()
    .regex(/^[1-9]\d{0,5}$/, 'must be a version number (1, 2, …)')
    .transform(Number),
});

export const agreementVersionsSchema = z
  .object({ agreement: agreementSummarySchema.nullable(), versions: z.array(agreementUploadSchema) })
  .meta({ id: 'AgreementVersions', description: 'Uploaded versions and where the agreement stands' });

/** The upload's body is the PDF itself (not JSON, so `httpHandler` does not read it). */
async function pdfBody(request: HttpRequest): Promise<Buffer> {
  const mediaType = (request.headers.get('content-type') ?? '').split(';', 1)[0]!.trim().toLowerCase();
  if (mediaType !== 'application/pdf') {
    throw new AppError(problems.unsupportedMediaType, 'Send the signed agreement as application/pdf.', {
      headers: { accept: 'application/pdf' },
    });
  }
  return readBodyBytes(request, maxAgreementUploadBytes);
}

const versionLocation = (id: string, version: number) => `/api/requests/${id}/agreement/versions/${version}`;

export const uploadAgreement = httpHandler(
  { auth: 'required', params: idParameter },
  async ({ params, request }, principal, context) => {
    const pdf = await pdfBody(request);
    const { upload, created } = await getAgreementDocuments().upload(
      principal,
      params.id,
      pdf,
      durableUploadEvents(df.getClient(context)),
    );
    return {
      status: created ? 201 : 200,
      headers: { location: versionLocation(params.id, upload.version) },
      jsonBody: upload,
    };
  },
);

export const listAgreementVersions = httpHandler(
  { auth: 'required', params: idParameter },
  async ({ params }, principal) => ({
    headers: { 'cache-control': 'private, no-cache' },
    jsonBody: agreementVersionsSchema.parse(await getAgreementDocuments().list(principal, params.id)),
  }),
);

export const downloadAgreementVersion = httpHandler(
  { auth: 'required', params: versionParameter },
  async ({ params }, principal) => {
    const { upload, pdf } = await getAgreementDocuments().download(principal, params.id, params.version);
    return {
      headers: {
        'content-type': 'application/pdf',
        'content-length': String(pdf.byteLength),
        'content-disposition': `attachment; filename="agreement-v${upload.version}.pdf"`,
        'cache-control': 'private, no-store',
        'x-content-type-options': 'nosniff',
        etag: `"${upload.sha256}"`,
      },
      body: pdf,
    };
  },
);

app.http('uploadAgreement', {
  route: 'requests/{id}/agreement',
  methods: ['POST'],
  authLevel: 'anonymous',
  extraInputs: [df.input.durableClient()],
  handler: uploadAgreement,
});
app.http('listAgreementVersions', {
  route: 'requests/{id}/agreement',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: listAgreementVersions,
});
app.http('downloadAgreementVersion', {
  route: 'requests/{id}/agreement/versions/{version}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: downloadAgreementVersion,
});

/** For the OpenAPI document. */
export const agreementRoutes: readonly ApiRoute[] = [
  {
    method: 'post',
    path: '/api/requests/{id}/agreement',
    summary: 'Upload the signed agreement (the body is the PDF, Content-Type: application/pdf)',
    description:
      `The owner only (404 for anyone else). Taken while the request waits for a hand-signed agreement, or ` +
      `while DAUs are returned for a revised one; 409 otherwise. Checked by content (a real PDF, not a ` +
      `renamed file; 422), at most ${maxAgreementUploadBytes} bytes (413). Every version is kept; the same ` +
      'bytes as the latest version again answer that version (200) without storing another.',
    spec: uploadAgreement.spec,
    responses: {
      201: { description: 'The new version (Location: its download)', schema: agreementUploadSchema },
      200: { description: 'The latest version, which has these bytes', schema: agreementUploadSchema },
    },
    problemStatuses: [404, 409, 413, 415, 422],
  },
  {
    method: 'get',
    path: '/api/requests/{id}/agreement',
    summary: "The agreement's uploaded versions, and the envelope with its signers' progress",
    description: 'The requester and admins only (404 for anyone else).',
    spec: listAgreementVersions.spec,
    responses: { 200: { description: 'Versions, oldest first', schema: agreementVersionsSchema } },
    problemStatuses: [404],
  },
  {
    method: 'get',
    path: '/api/requests/{id}/agreement/versions/{version}',
    summary: 'Download one uploaded version (PDF)',
    description: 'The requester and admins only (404 for anyone else).',
    spec: downloadAgreementVersion.spec,
    responses: { 200: { description: 'The PDF as uploaded', contentType: 'application/pdf' } },
    problemStatuses: [404],
  },
];
