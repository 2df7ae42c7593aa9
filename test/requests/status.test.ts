/** A submitted request's status follows its DAUs (shared/requests/status.ts). */
import { describe, expect, it } from 'vitest';
import type { RequestDau, RequestDocument, RequestStatus } from '../../shared/requests/model';
import { derivedStatus } from '../../shared/requests/status';

type DauState = RequestDau['status'] | `${'active'}:expiring`;

function request(
  status: RequestStatus,
  daus: readonly DauState[],
  agreement: string | null = null,
): RequestDocument {
  return {
    status,
    agreement: agreement === null ? null : { status: agreement },
    daus: daus.map((state, index) => {
      const [dauStatus, flag] = state.split(':') as [RequestDau['status'], string | undefined];
      return {
        id: `DAU_${index}`,
        status: dauStatus,
        vending: flag === 'expiring' ? { status: 'vended', expiringSoon: true } : null,
      };
    }),
  } as unknown as RequestDocument;
}

describe('derivedStatus', () => {
  it.each<[string, RequestDocument, RequestStatus]>([
    ['a draft stays a draft', request('draft', ['draft']), 'draft'],
    ['the agreement being prepared', request('submitted', ['awaiting_agreement'], 'preparing'), 'submitted'],
    [
      'envelope sent',
      request('submitted', ['awaiting_agreement'], 'awaiting_signatures'),
      'awaiting_signatures',
    ],
    [
      'manual route',
      request('submitted', ['awaiting_agreement'], 'awaiting_upload'),
      'awaiting_agreement_upload',
    ],
    [
      'an open DAU vending does not hide the agreement',
      request('submitted', ['provisioning', 'awaiting_agreement'], 'awaiting_upload'),
      'awaiting_agreement_upload',
    ],
    ['both in review', request('awaiting_signatures', ['in_review', 'in_review']), 'in_review'],
    ['one approved, one in review', request('in_review', ['approved', 'in_review']), 'partially_approved'],
    ['one vended, one in review', request('in_review', ['active', 'in_review']), 'partially_approved'],
    ['one returned', request('in_review', ['returned', 'in_review']), 'returned'],
    ['approved, vending not begun', request('in_review', ['approved', 'approved']), 'approved'],
    ['open DAU waiting for vending', request('submitted', ['submitted']), 'submitted'],
    ['vending', request('approved', ['provisioning', 'approved']), 'provisioning'],
    ['one vended, one rejected', request('provisioning', ['active', 'rejected']), 'active'],
    ['all rejected', request('in_review', ['rejected', 'rejected']), 'rejected'],
    ['access ends soon', request('active', ['active:expiring', 'active']), 'expiring'],
    ['one expired, one active', request('active', ['expired', 'active']), 'active'],
    ['all expired', request('active', ['expired', 'expired']), 'expired'],
    ['all revoked', request('active', ['revoked', 'rejected']), 'revoked'],
    ['withdrawn is final', request('withdrawn', ['withdrawn', 'active']), 'withdrawn'],
    ['declined is final', request('signature_declined', ['closed']), 'signature_declined'],
    ['voided is final', request('agreement_voided', ['closed']), 'agreement_voided'],
  ])('%s', (_name, document, expected) => {
    expect(derivedStatus(document)).toBe(expected);
  });
});
