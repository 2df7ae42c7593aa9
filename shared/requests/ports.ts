import type { Dau, Selection, SelectionAnswer } from '../catalog/model';
import type { Stored } from '../platform/stored';
import type { NewEvent, RequestDocument, RequestKey, RequestStatus } from './model';
import type { TimelineEvent } from './timeline';

export { StaleWriteError } from '../platform/stored';

/** Port: the `requests` container. Writes are conditional on the ETag; reads by others are by id alone. */
export interface RequestStore {
  /** Throws `StaleWriteError` when the id exists. */
  create(document: RequestDocument): Promise<Stored<RequestDocument>>;
  /** The owner's request (a point read in the owner's partition), or undefined. */
  read(key: RequestKey): Promise<Stored<RequestDocument> | undefined>;
  /** Any owner's request by id (staff, committee members, system activities): a cross-partition query. */
  find(id: string): Promise<Stored<RequestDocument> | undefined>;
  /** Replaces when the stored ETag is still `etag`; throws `StaleWriteError` otherwise. */
  replace(document: RequestDocument, etag: string): Promise<Stored<RequestDocument>>;
  /** Deletes when the stored ETag is still `etag`; throws `StaleWriteError` otherwise. */
  delete(key: RequestKey, etag: string): Promise<void>;
  /** One page of an owner's requests, newest first. */
  listByOwner(ownerId: string, options: ListOptions): Promise<Page<Stored<RequestDocument>>>;
}

export interface ListOptions {
  /** Only these statuses (all when empty). */
  readonly statuses: readonly RequestStatus[];
  readonly pageSize: number;
  /** A token from an earlier page of the same query. */
  readonly continuation?: string;
}

export interface Page<T> {
  readonly items: readonly T[];
  /** Opaque; undefined on the last page. */
  readonly continuation: string | undefined;
}

/** The continuation token is not one the store issued (tampered, or from another query). */
export class InvalidContinuationError extends Error {
  override readonly name = 'InvalidContinuationError';
}

/** Port: the append-only `requestEvents` timeline. */
export interface TimelineStore {
  /**
   * Appends `event` after the request's last one; recording the same `idempotencyKey` again returns the event
   * recorded the first time and changes nothing.
   */
  append(requestId: string, event: NewEvent): Promise<TimelineEvent>;
  /** Every event of the request, oldest first. */
  read(requestId: string): Promise<TimelineEvent[]>;
}

/** What freezing a selection stored. */
export interface FrozenManifest {
  readonly blobName: string;
  /** SHA-256 (hex) of the stored (gzip) bytes. */
  readonly sha256: string;
  readonly files: number;
  readonly compressedBytes: number;
}

/** Port: the frozen selections (Blob Storage `selections`). */
export interface SelectionArchive {
  /** Stores the ids as a gzip manifest, one per line, streaming; answers where and its SHA-256. */
  freeze(requestId: string, fileIds: Iterable<string>): Promise<FrozenManifest>;
  /** The ids of a frozen selection, in stored order. */
  read(blobName: string): AsyncIterable<string>;
}

/** Port: what requests need from the catalog (its service implements it). */
export interface CatalogResolver {
  select(selection: Selection, held: ReadonlySet<string>): Promise<SelectionAnswer>;
  /** The selection's answer and its file ids (produced lazily, in index order), for freezing. */
  resolveFileIds(
    selection: Selection,
    held: ReadonlySet<string>,
  ): Promise<{ answer: SelectionAnswer; fileIds: Iterable<string> }>;
  daus(): Promise<{ readonly body: readonly Dau[] }>;
}

/** Called once a request is submitted (and again on a repeated submit): where the lifecycle starts. */
export type OnSubmitted = (request: RequestDocument) => Promise<void>;

/** Called once a withdrawal is recorded (and again on a repeated withdraw): tells the lifecycle to end. */
export type OnWithdrawn = (
  request: RequestDocument,
  withdrawal: { by: string; reason: string },
) => Promise<void>;
