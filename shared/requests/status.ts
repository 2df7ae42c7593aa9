/**
 * A submitted request's status, derived from where its DAUs stand (and, before review, from its agreement):
 * the lifecycle's stages change DAUs, never the request's status directly, so branches running in parallel
 * (one DAU vending while another is in review) never overwrite each other's idea of the whole.
 */
import type { RequestDau, RequestDocument, RequestStatus } from './model';

/** Statuses a request never leaves: the lifecycle ended it as a whole. */
export const FINAL_REQUEST_STATUSES: ReadonlySet<RequestStatus> = new Set([
  'withdrawn',
  'signature_declined',
  'agreement_voided',
]);

/** DAU statuses after which nothing more happens to that DAU in this request. */
const endedDau: ReadonlySet<RequestDau['status']> = new Set(['rejected', 'withdrawn', 'closed']);

/** What the agreement stage says while controlled DAUs wait for it (`request.agreement.status`). */
export const AGREEMENT_STAGE_STATUSES = [
  'preparing',
  'awaiting_signatures',
  'awaiting_upload',
  'signed',
  'declined',
  'voided',
] as const;
export type AgreementStageStatus = (typeof AGREEMENT_STAGE_STATUSES)[number];

/** The status `request` should show; drafts and ended requests keep theirs. */
export function derivedStatus(request: RequestDocument): RequestStatus {
  if (request.status === 'draft' || FINAL_REQUEST_STATUSES.has(request.status)) return request.status;
  const statuses = request.daus.map((dau) => dau.status);
  const has = (...wanted: RequestDau['status'][]) => statuses.some((status) => wanted.includes(status));
  if (has('awaiting_agreement')) {
    const agreement = request.agreement?.status;
    if (agreement === 'awaiting_signatures') return 'awaiting_signatures';
    if (agreement === 'awaiting_upload') return 'awaiting_agreement_upload';
    return 'submitted';
  }
  if (has('returned')) return 'returned';
  if (has('in_review')) return has('approved', 'provisioning', 'active') ? 'partially_approved' : 'in_review';
  if (has('provisioning')) return 'provisioning';
  if (has('submitted')) return 'submitted';
  if (has('approved')) return 'approved';
  const live = request.daus.filter((dau) => !endedDau.has(dau.status));
  if (live.length === 0) return has('rejected') ? 'rejected' : request.status;
  if (live.some((dau) => dau.status === 'active')) {
    return live.some((dau) => dau.status === 'active' && dau.vending?.expiringSoon === true)
      ? 'expiring'
      : 'active';
  }
  if (live.every((dau) => dau.status === 'revoked')) return 'revoked';
  return 'expired';
}
