/**
 * What every conditional store of the app shares: a document with its version (Cosmos DB `_etag`, as the
 * store gives it; `strongEntityTag` in shared/http/etag.ts makes the HTTP ETag of it), and the error a
 * conditional write that lost raises.
 */

/** A stored document with its version. */
export interface Stored<T> {
  readonly document: T;
  readonly etag: string;
}

/** A conditional write lost: the stored document changed since it was read, was deleted, or already exists. */
export class StaleWriteError extends Error {
  override readonly name = 'StaleWriteError';
}
