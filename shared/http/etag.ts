/**
 * `If-None-Match` evaluation (RFC 9110 §13.1.2): the header lists entity tags, or is `*`; it matches with the
 * *weak* comparison, so `W/"v1"` matches `"v1"` and `W/"v1"` (proxies and compressing servers weaken tags).
 */

/** Entity tags inside a header value: an optional `W/` and a quoted opaque tag (which may contain commas). */
const entityTagPattern = /(?:W\/)?"[\x21\x23-\x7e\x80-\xff]*"/g;

function opaqueTag(entityTag: string): string {
  return entityTag.startsWith('W/') ? entityTag.slice(2) : entityTag;
}

/** True when `header` (the request's If-None-Match, or null) names `etag`: a 304 for a GET. */
export function ifNoneMatchMatches(header: string | null, etag: string): boolean {
  if (header === null) return false;
  if (header.trim() === '*') return true;
  const current = opaqueTag(etag);
  return (header.match(entityTagPattern) ?? []).some((candidate) => opaqueTag(candidate) === current);
}

/** An entity tag for a stored version (Cosmos DB `_etag`, quoted or not): always a quoted, strong tag. */
export function strongEntityTag(version: string): string {
  return version.startsWith('"') ? version : `"${version}"`;
}

/**
 * `If-Match` evaluation (RFC 9110 §13.1.1) against the current version: `*` matches any current
 * representation; otherwise one of the listed tags must match with the *strong* comparison, so a weak tag
 * (`W/"v1"`) never matches. Undefined when the header is absent (the caller decides whether that is a 428).
 */
export function ifMatchMatches(header: string | null, version: string): boolean | undefined {
  if (header === null || header.trim() === '') return undefined;
  if (header.trim() === '*') return true;
  const current = strongEntityTag(version);
  return (header.match(entityTagPattern) ?? []).some((candidate) => candidate === current);
}
