import { z } from 'zod';
import { FILTER_CATEGORIES, type CatalogFilters, type CatalogTab } from '../model';

/**
 * Opaque continuation tokens for row paging. A token names the last row given (its sort key), so paging
 * survives index updates, and carries a fingerprint of the query so it cannot be replayed on another one.
 */
export class InvalidContinuationError extends Error {
  override readonly name = 'InvalidContinuationError';
}

const tokenSchema = z.strictObject({ q: z.string(), after: z.string() });

export function queryFingerprint(
  tab: CatalogTab,
  filters: CatalogFilters,
  search: string | undefined,
): string {
  const canonical = JSON.stringify([
    tab,
    ...FILTER_CATEGORIES.map((category) => [...new Set<string>(filters[category])].sort()),
    search?.toLowerCase() ?? '',
  ]);
  let hash = 0x811c9dc5;
  for (let i = 0; i < canonical.length; i += 1) hash = Math.imul(hash ^ canonical.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(36);
}

export function encodeContinuation(fingerprint: string, afterKey: string): string {
  return Buffer.from(JSON.stringify({ q: fingerprint, after: afterKey }), 'utf8').toString('base64url');
}

/** The sort key to continue after; throws InvalidContinuationError for a malformed or foreign token. */
export function decodeContinuation(token: string, fingerprint: string): string {
  let parsed: z.infer<typeof tokenSchema>;
  try {
    parsed = tokenSchema.parse(JSON.parse(Buffer.from(token, 'base64url').toString('utf8')));
  } catch {
    throw new InvalidContinuationError('continuation is not a token this API issued');
  }
  if (parsed.q !== fingerprint) {
    throw new InvalidContinuationError('continuation belongs to a different tab, filter or search');
  }
  return parsed.after;
}
