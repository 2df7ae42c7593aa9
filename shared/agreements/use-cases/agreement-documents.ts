/**
 * The signed agreement as the requester hands it in, and as they (and admins) read it back:
 *
 * - an upload is the owner's alone (anyone else: 404, as for a missing request); it is taken while the
 *   request waits for a hand-signed agreement (the manual route) or while DAUs are returned for a revised
 *   one ("Add a Form"), and refused (409) otherwise; the bytes are checked as a PDF and stored as the next
 *   version (every version kept), then the orchestration waiting for it is told;
 * - the same bytes as the latest version again (a client retrying after a lost answer) answer that version
 *   without storing another, and tell the orchestration again (the first telling may be what was lost);
 * - versions and the envelope's progress are listed, and a version downloaded, by the owner and admins only.
 */
import { createHash } from 'node:crypto';
import { AppError, notFound } from '../../http/errors';
import { requireOwner, type Principal } from '../../identity/principal';
import type { AgreementUploaded } from '../../lifecycle/request-lifecycle-contract';
import type { RequestDocument } from '../../requests/model';
import type { RequestProgress } from '../../requests/progress';
import { FINAL_REQUEST_STATUSES } from '../../requests/status';
import { agreementProblems, maxAgreementUploadBytes, type AgreementUpload } from '../model';
import type { AgreementUploadStore } from '../ports';
import { agreementSummary, uploadRecorded, type AgreementSummary } from '../request-agreement';
import { acceptAgreementUpload } from './upload-agreement';

/** Where an upload goes: the request's orchestration, or the reviews of the DAUs returned for a revision. */
export interface AgreementUploadEvents {
  uploaded(requestId: string, upload: AgreementUploaded): Promise<unknown>;
  revised(requestId: string, dauId: string, upload: AgreementUploaded): Promise<unknown>;
}

export interface AgreementDocumentsDependencies {
  readonly progress: Pick<RequestProgress, 'read' | 'apply'>;
  readonly uploads: AgreementUploadStore;
  readonly maxBytes?: number;
}

export interface UploadAnswer {
  readonly upload: AgreementUpload;
  /** False when the bytes were the latest version already (nothing new stored). */
  readonly created: boolean;
}

export interface AgreementDocumentsView {
  readonly agreement: AgreementSummary | null;
  readonly versions: AgreementUpload[];
}

/** What an upload would be now: the signed agreement, a revision for returned DAUs, or nothing expected. */
type Expectation =
  { readonly kind: 'signed' } | { readonly kind: 'revision'; readonly dauIds: readonly string[] } | undefined;

export class AgreementDocuments {
  constructor(private readonly dependencies: AgreementDocumentsDependencies) {}

  async upload(
    principal: Principal,
    requestId: string,
    pdf: Uint8Array,
    events: AgreementUploadEvents,
  ): Promise<UploadAnswer> {
    const { uploads } = this.dependencies;
    const request = await this.requestOf(principal, requestId, { allowAdmin: false });
    const expectation = expectationOf(request);
    const latest = (await uploads.list(requestId)).at(-1);
    const sha256 = createHash('sha256').update(pdf).digest('hex');
    if (latest !== undefined && latest.sha256 === sha256) {
      await this.record(requestId, latest);
      await tell(events, requestId, expectation, latest);
      return { upload: latest, created: false };
    }
    if (expectation === undefined) {
      throw new AppError(
        agreementProblems.agreementNotExpected,
        `The request is ${request.status}: it takes an agreement only while it waits for a signed one or ` +
          'after the committee returned it for a revision.',
      );
    }
    const upload = await acceptAgreementUpload(
      uploads,
      { requestId, pdf, uploadedBy: principal.subjectId },
      this.dependencies.maxBytes ?? maxAgreementUploadBytes,
    );
    await this.record(requestId, upload);
    await tell(events, requestId, expectation, upload);
    return { upload, created: true };
  }

  async list(principal: Principal, requestId: string): Promise<AgreementDocumentsView> {
    const request = await this.requestOf(principal, requestId, { allowAdmin: true });
    return {
      agreement: agreementSummary(request),
      versions: await this.dependencies.uploads.list(requestId),
    };
  }

  async download(
    principal: Principal,
    requestId: string,
    version: number,
  ): Promise<{ upload: AgreementUpload; pdf: Buffer }> {
    await this.requestOf(principal, requestId, { allowAdmin: true });
    const found = await this.dependencies.uploads.read(requestId, version);
    if (found === undefined) throw notFound(`The request has no agreement version ${version}.`);
    return found;
  }

  /** The request if the caller may act on it; 404 otherwise (also for a request that does not exist). */
  private async requestOf(
    principal: Principal,
    requestId: string,
    options: { allowAdmin: boolean },
  ): Promise<RequestDocument> {
    let request: RequestDocument;
    try {
      request = await this.dependencies.progress.read(requestId);
    } catch (error) {
      if (error instanceof AppError && error.kind.status === 404) throw notFound('No such request.');
      throw error;
    }
    requireOwner(principal, request.ownerId, 'request', options);
    return request;
  }

  /** The version on the request and its timeline (idempotent: a replay records nothing new). */
  private async record(requestId: string, upload: AgreementUpload): Promise<void> {
    await this.dependencies.progress.apply(requestId, uploadRecorded(upload), [
      {
        type: 'agreement.uploaded',
        actor: { kind: 'requester', id: upload.uploadedBy },
        details: { version: upload.version, sha256: upload.sha256, bytes: upload.bytes },
        idempotencyKey: `agreement.uploaded:${requestId}:v${upload.version}`,
      },
    ]);
  }
}

function expectationOf(request: RequestDocument): Expectation {
  if (FINAL_REQUEST_STATUSES.has(request.status)) return undefined;
  const returned = request.daus.filter((dau) => dau.status === 'returned').map((dau) => dau.id);
  if (returned.length > 0) return { kind: 'revision', dauIds: returned };
  // Also before the lifecycle reached its wait: the step finds the upload when it gets there.
  const waiting = request.daus.some((dau) => dau.status === 'awaiting_agreement');
  if (request.agreementRoute === 'manual' && waiting) return { kind: 'signed' };
  return undefined;
}

/** Tells whoever waits for this upload: the lifecycle (the signed agreement) or the returned DAUs' reviews. */
async function tell(
  events: AgreementUploadEvents,
  requestId: string,
  expectation: Expectation,
  upload: AgreementUpload,
): Promise<void> {
  const payload: AgreementUploaded = {
    version: upload.version,
    sha256: upload.sha256,
    uploadedBy: upload.uploadedBy,
  };
  if (expectation?.kind === 'signed') await events.uploaded(requestId, payload);
  if (expectation?.kind === 'revision') {
    await Promise.all(expectation.dauIds.map((dauId) => events.revised(requestId, dauId, payload)));
  }
}
