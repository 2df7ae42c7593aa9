import type { IndexedFile } from './engine/indexed-file';
import type { Dau } from './model';
import type { SnapshotHead, snapshotPartSchema } from './snapshot';
import type { z } from 'zod';

/** One change to the catalog's files, as the store's change feed reports it. */
export type FileChange =
  { readonly kind: 'upsert'; readonly file: IndexedFile } | { readonly kind: 'delete'; readonly id: string };

export interface ChangePage {
  readonly changes: readonly FileChange[];
  /** Where the next read continues; give it back to `readChanges`. */
  readonly continuation: string;
}

/** Where the catalog lives (Cosmos DB in production and locally). The source of truth; the index is a cache. */
export interface CatalogStore {
  readDaus(): Promise<Dau[]>;
  /** Changes after `continuation` (every current file when undefined), page by page, up to now. */
  readChanges(continuation: string | undefined): AsyncIterable<ChangePage>;
  /** The latest compact snapshot, if there is a complete one. */
  readSnapshot(): Promise<{ head: SnapshotHead; parts: z.infer<typeof snapshotPartSchema>[] } | undefined>;
  /** Stores a snapshot and makes it the latest; the previous one is removed. */
  writeSnapshot(head: SnapshotHead, parts: readonly unknown[][]): Promise<void>;
}

/** The DAUs a user holds a live grant on (owned by the requests module; the catalog only asks). */
export interface HeldDausLookup {
  heldDauIds(userId: string): Promise<ReadonlySet<string>>;
}

export const noGrantsHeld: HeldDausLookup = { heldDauIds: () => Promise.resolve(new Set()) };
