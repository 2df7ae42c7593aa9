import type { DauId } from '../catalog/model';
import type { RequestDocument } from '../requests/model';
import type { Page } from '../requests/ports';
import type { ProjectSpace, VendedFile } from './model';

/** Port: the catalog's files of one DAU, by id (what a vend copies and describes). */
export interface CatalogFileSource {
  /** The catalog files among `fileIds` that belong to `dauId`, each as its data blob and its index blob. */
  vendableFiles(dauId: DauId, fileIds: ReadonlySet<string>): Promise<VendedFile[]>;
}

/** Port: a vend's plan, kept as batches outside the orchestration history (it can hold a million files). */
export interface PlanStore {
  /** Writes the plan's batches (replacing an earlier plan of the same vend). */
  write(requestId: string, dauId: string, batches: readonly (readonly VendedFile[])[]): Promise<void>;
  read(requestId: string, dauId: string, batch: number): Promise<VendedFile[]>;
}

/** What one batch of copies did. */
export interface CopyOutcome {
  /** Blobs copied now. */
  readonly copied: number;
  /** Blobs already there from an earlier run (or an earlier request into the same folder). */
  readonly skipped: number;
}

/** One vended blob as the project space holds it. */
export interface StoredFile {
  /** Path under the folder, as in the catalog (`restricted/bam/x.bam`). */
  readonly path: string;
  readonly dauId: string;
  /** The catalog's (true) size; `storedBytes` is what the blob holds (small synthetic data locally). */
  readonly bytes: number;
  readonly storedBytes: number;
  readonly index: boolean;
}

export interface StoredFilesPage {
  readonly files: readonly StoredFile[];
  /** Opaque; undefined on the last page. */
  readonly continuation: string | undefined;
}

/** Port: the requesters' project spaces (the vending storage account) and the source data they are copied from. */
export interface ProjectStorage {
  /** Creates the project's container when it is missing. */
  ensureSpace(space: ProjectSpace): Promise<void>;
  /**
   * Copies each file server-side from the source into the space, skipping those already there (copied from the
   * same source path before); a deleted file is copied again.
   */
  copy(space: ProjectSpace, dauId: string, files: readonly VendedFile[]): Promise<CopyOutcome>;
  /** Deletes the given paths from the space (missing ones are fine); answers how many were there. */
  remove(space: ProjectSpace, paths: readonly string[]): Promise<number>;
  /** One page of the vended blobs in the space's folder. */
  list(space: ProjectSpace, page: { pageSize: number; continuation?: string }): Promise<StoredFilesPage>;
  /**
   * Rewrites the folder's SAMPLE_INFO.txt with `render(current text)`, conditionally on what was read (several
   * DAUs vend into one folder at once).
   */
  updateSampleInfo(space: ProjectSpace, render: (current: string) => string): Promise<void>;
  /** A read-only URL of one vended blob, valid until `expiresOn`. */
  downloadUrl(space: ProjectSpace, path: string, expiresOn: Date): Promise<string>;
}

export interface RequestDirectoryQuery {
  /** Only these statuses (all when empty). */
  readonly statuses: readonly string[];
  /** Only requests touching one of these DAUs (all when empty). */
  readonly dauIds: readonly string[];
  readonly pageSize: number;
  readonly continuation?: string;
}

/** Port: every owner's submitted requests, for admins. */
export interface RequestDirectory {
  list(query: RequestDirectoryQuery): Promise<Page<RequestDocument>>;
}
