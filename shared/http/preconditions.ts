/**
 * Optimistic concurrency for changes (`If-Match` on every change, DESIGN §8): a change without `If-Match` is
 * refused with 428, one whose tag is stale with 412. Both answers carry the current representation (`current`)
 * and its `ETag`, so a client can merge its edit onto what is there and try again without another read.
 */
import { AppError, problems } from './errors';
import { ifMatchMatches, strongEntityTag } from './etag';

export interface CurrentVersion {
  /** The stored version (Cosmos DB `_etag`). */
  readonly etag: string;
  /** What a GET would answer now. */
  readonly representation: unknown;
}

/** Throws 428 or 412 unless `ifMatch` (the request header, or null) names the current version. */
export function requireCurrentVersion(ifMatch: string | null, current: CurrentVersion, what: string): void {
  const matches = ifMatchMatches(ifMatch, current.etag);
  if (matches === true) return;
  throw matches === undefined
    ? new AppError(
        problems.preconditionRequired,
        `Send If-Match with the ETag of the ${what} you changed (the current one is ${strongEntityTag(current.etag)}).`,
        versionDetails(current),
      )
    : stale(current, what);
}

/** 412 with the current representation: the stored version is not the one the client changed. */
export function stale(current: CurrentVersion, what: string): AppError {
  return new AppError(
    problems.preconditionFailed,
    `The ${what} changed since you read it; merge your change onto "current" and send it with its ETag.`,
    versionDetails(current),
  );
}

function versionDetails(current: CurrentVersion) {
  return {
    headers: { etag: strongEntityTag(current.etag) },
    extensions: { current: current.representation },
  };
}
