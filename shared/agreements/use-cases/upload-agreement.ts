/**
 * Accepting a hand-signed agreement (the manual route, and "Add a Form" for a revised one): the bytes are
 * judged by their content — a real, plain PDF within the size cap — and only then stored as the request's
 * next version (every version kept, under a name the server chooses, with its SHA-256). Whether this
 * caller may upload for this request, and whether the request expects an agreement now, is the route's
 * business (requests module) before it calls this.
 */
import { AppError, problems } from '../../http/errors';
import { agreementProblems, maxAgreementUploadBytes, type AgreementUpload } from '../model';
import { inspectPdf } from '../pdf-inspection';
import type { AgreementUploadStore } from '../ports';

export async function acceptAgreementUpload(
  store: AgreementUploadStore,
  upload: { readonly requestId: string; readonly pdf: Uint8Array; readonly uploadedBy: string },
  maxBytes: number = maxAgreementUploadBytes,
): Promise<AgreementUpload> {
  if (upload.pdf.byteLength > maxBytes) {
    throw new AppError(problems.payloadTooLarge, `An agreement must not exceed ${maxBytes} bytes.`);
  }
  const verdict = inspectPdf(upload.pdf, maxBytes);
  if (!verdict.ok) {
    throw new AppError(agreementProblems.invalidAgreementPdf, `The upload was refused: ${verdict.reason}.`);
  }
  return store.add(upload.requestId, upload.pdf, upload.uploadedBy);
}
