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
