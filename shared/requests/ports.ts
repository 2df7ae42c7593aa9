import type { Dau, Selection, SelectionAnswer } from '../catalog/model';
import type { NewEvent, RequestDocument, RequestKey, RequestStatus, Stored } from './model';
import type { TimelineEvent } from './timeline';

/** Port: the `requests` container. Writes are conditional on the ETag; reads by others are by id alone. */
export interface RequestStore {
  create(document: RequestDocument): Promise<Stored<RequestDocument>>;
  /** The owner's request (a point read in the owner's partition), or undefined. */
  read(key: RequestKey): Promise<Stored<RequestDocument> | undefined>;
  /** Any owner's request by id (staff, committee members, system activities): a cross-partition query. */
  find(id: string): Promise<Stored<RequestDocument> | undefined>;
  /** Replaces when the stored ETag is still `etag`; throws `StaleWriteError` otherwise. */
  replace(document: RequestDocument, etag: string): Promise<Stored<RequestDocument>>;
  delete(key: RequestKey, etag: string): Promise<void>;
  /** One page of an owner's requests, newest first. */
  listByOwner(ownerId: string, options: ListOptions): Promise<Page<Stored<RequestDocument>>>;
}

export interface ListOptions {
  readonly status?: RequestStatus;
  readonly pageSize: number;
  readonly continuation?: string;
}

export interface Page<T> {
  readonly items: readonly T[];
  /** Opaque; undefined on the last page. */
  readonly continuation: string | undefined;
}

/** A conditional write lost: the stored document changed since it was read (or was deleted). */
export class StaleWriteError extends Error {
  override readonly name = 'StaleWriteError';
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

/** Port: the frozen selections (Blob Storage `selections`). */
export interface SelectionArchive {
  /** Stores the ids as a gzip manifest, one per line, streaming; answers where and its SHA-256. */
  freeze(
    requestId: string,
    fileIds: AsyncIterable<string> | Iterable<string>,
  ): Promise<{ blobName: string; sha256: string; files: number; compressedBytes: number }>;
  /** The ids of a frozen selection, in stored order. */
  read(blobName: string): AsyncIterable<string>;
}

/** Port: what requests need from the catalog (its service implements it). */
export interface CatalogResolver {
  select(selection: Selection, held: ReadonlySet<string>): Promise<SelectionAnswer>;
  /** The selection's answer and its file ids, for freezing. */
  resolveFileIds(
    selection: Selection,
    held: ReadonlySet<string>,
  ): Promise<{ answer: SelectionAnswer; fileIds: Iterable<string> }>;
  daus(): Promise<{ body: Dau[] }>;
}

/** Called once a request is submitted (and again on a repeated submit): where the lifecycle starts. */
export type OnSubmitted = (request: RequestDocument) => Promise<void>;
