/** Instance ids of a request's orchestrations: one per request and DAU, distinct, and safe in URL paths. */
import { describe, expect, it } from 'vitest';
import { DAU_IDS } from '../../shared/catalog/model';
import {
  lifecycleInstanceId,
  reviewInstanceId,
  vendingInstanceId,
} from '../../shared/lifecycle/request-lifecycle-contract';

const requestId = '6f1c1a52-8a4e-4f57-9a7e-0b8e3c2d1f00';

describe('instance ids', () => {
  it('gives every DAU of the catalog its own URL-safe review and vending instance', () => {
    const ids = DAU_IDS.flatMap((dauId) => [
      reviewInstanceId(requestId, dauId),
      vendingInstanceId(requestId, dauId),
    ]);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^request-[0-9a-f-]{36}-(review|vend)-[A-Za-z0-9_]+$/);
    expect(reviewInstanceId(requestId, 'Clinical Genomics')).toBe(
      `request-${requestId}-review-Clinical_20Genomics`,
    );
  });

  it('keeps ids apart that differ only in the characters it encodes', () => {
    expect(reviewInstanceId(requestId, 'A B')).not.toBe(reviewInstanceId(requestId, 'A_20B'));
    expect(reviewInstanceId(requestId, 'A_B')).not.toBe(reviewInstanceId(requestId, 'A B'));
  });

  it('refuses what is not an id', () => {
    expect(() => lifecycleInstanceId('../other')).toThrow(/Not a request id/);
    expect(() => reviewInstanceId(requestId, '')).toThrow(/Not a DAU id/);
    expect(() => reviewInstanceId(requestId, 'Ünïcode')).toThrow(/Not a DAU id/);
  });
});
