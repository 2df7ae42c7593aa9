import {
  ChangeFeedStartFrom,
  StatusCodes,
  type Container,
  type Database,
  type IndexingPolicy,
} from '@azure/cosmos';
import { z } from 'zod';
import { parseIndexedFile } from '../engine/indexed-file';
import { cosmosContainers } from '../../platform/storage-layout';
import { dauSchema, withoutSystemProperties, type Dau } from '../model';
import type { CatalogStore, ChangePage, FileChange } from '../ports';
import { snapshotHeadSchema, snapshotPartSchema, type SnapshotHead } from '../snapshot';

const LATEST = 'latest';

/**
 * Cosmos DB layout of the catalog.
 *
 * `catalogFiles`, partition key `/pk` = the file's DAU. Files never change DAU (access is per DAU), so the key
 * is stable; per-DAU reads (what a committee reviews, a vend) are single-partition; a transactional batch
 * (≤ 100 operations, one partition key) loads a DAU's files 100 at a time; six values spread writes enough for
 * a read-mostly container, and the largest DAU stays far below the 20 GB logical-partition cap (~2 KB per
 * document: 1M files ≈ 2 GB in all). Hydration reads everything through the change feed, and clicks are
 * answered from memory, so almost nothing needs a secondary index: the policy indexes only `/sampleName`
 * (operators' look-ups) and excludes the rest, which keeps write RUs low for 1M-document loads.
 * `defaultTtl: -1` lets a soft-deleted document carry its own `ttl` (the change feed's latest-version mode
 * does not report hard deletes, so deletes are written as `deleted: true` first).
 *
 * `catalogDaus`, partition key `/id`: six small documents read whole.
 *
 * `catalogSnapshots`, partition key `/snapshotId`: compact snapshots for cold starts (shared/catalog/snapshot.ts),
 * one partition per snapshot holding its parts (≤ 1.5 MB each), and a `latest` document naming the current
 * one with its change-feed position. Read by id and by partition only.
 */
export const CATALOG_CONTAINERS = {
  files: cosmosContainers.catalogFiles.id,
  daus: cosmosContainers.catalogDaus.id,
  snapshots: cosmosContainers.catalogSnapshots.id,
} as const;

export const FILES_INDEXING_POLICY: IndexingPolicy = {
  indexingMode: 'consistent',
  automatic: true,
  includedPaths: [{ path: '/sampleName/?' }],
  excludedPaths: [{ path: '/*' }, { path: '/"_etag"/?' }],
};

/** Change-feed page size: big pages keep hydration to few round trips. */
const CHANGE_FEED_PAGE = 2000;

/** Creates the catalog containers if they are missing (idempotent). */
export async function ensureCatalogContainers(
  database: Database,
): Promise<{ files: Container; daus: Container; snapshots: Container }> {
  const [files, daus, snapshots] = await Promise.all([
    database.containers.createIfNotExists({
      id: CATALOG_CONTAINERS.files,
      partitionKey: { paths: [cosmosContainers.catalogFiles.partitionKeyPath] },
      indexingPolicy: FILES_INDEXING_POLICY,
      defaultTtl: cosmosContainers.catalogFiles.defaultTtl,
    }),
    database.containers.createIfNotExists({
      id: CATALOG_CONTAINERS.daus,
      partitionKey: { paths: [cosmosContainers.catalogDaus.partitionKeyPath] },
    }),
    database.containers.createIfNotExists({
      id: CATALOG_CONTAINERS.snapshots,
      partitionKey: { paths: [cosmosContainers.catalogSnapshots.partitionKeyPath] },
    }),
  ]);
  return { files: files.container, daus: daus.container, snapshots: snapshots.container };
}

export class CosmosCatalogStore implements CatalogStore {
  private containers: ReturnType<typeof ensureCatalogContainers> | undefined;

  constructor(
    private readonly database: Database,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  private ready() {
    this.containers ??= ensureCatalogContainers(this.database).catch((error: unknown) => {
      this.containers = undefined;
      throw error;
    });
    return this.containers;
  }

  async readDaus(): Promise<Dau[]> {
    const { daus } = await this.ready();
    const { resources } = await daus.items.readAll<Record<string, unknown>>().fetchAll();
    return resources.map((document) => dauSchema.parse(withoutSystemProperties(document)));
  }

  async *readChanges(continuation: string | undefined): AsyncIterable<ChangePage> {
    const { files } = await this.ready();
    const iterator = files.items.getChangeFeedIterator<Record<string, unknown>>({
      changeFeedStartFrom:
        continuation === undefined
          ? ChangeFeedStartFrom.Beginning()
          : ChangeFeedStartFrom.Continuation(continuation),
      maxItemCount: CHANGE_FEED_PAGE,
    });
    let position = continuation;
    while (iterator.hasMoreResults) {
      const response = await iterator.readNext();
      position = response.continuationToken ?? position;
      if (response.statusCode === StatusCodes.NotModified) break;
      const changes: FileChange[] = [];
      for (const document of response.result) changes.push(this.toChange(document));
      if (position === undefined) throw new Error('The change feed gave no continuation token');
      yield { changes, continuation: position };
    }
    if (position !== undefined) yield { changes: [], continuation: position };
  }

  async readSnapshot() {
    const { snapshots } = await this.ready();
    const { resource: latest } = await snapshots.item(LATEST, LATEST).read<Record<string, unknown>>();
    if (latest === undefined) return undefined;
    try {
      const head = snapshotHeadSchema.parse(latest.head);
      // Point reads by id: the cheapest read Cosmos has (1 RU per KB), and parallel.
      const parts = await Promise.all(
        Array.from({ length: head.partCount }, async (_, part) => {
          const { resource } = await snapshots
            .item(`part-${part}`, head.snapshotId)
            .read<Record<string, unknown>>();
          if (resource === undefined)
            throw new Error(`part ${part} of snapshot ${head.snapshotId} is missing`);
          return snapshotPartSchema.parse(withoutSystemProperties(resource));
        }),
      );
      const rows = parts.reduce((sum, part) => sum + part.rows.length, 0);
      if (rows !== head.fileCount) {
        throw new Error(`snapshot ${head.snapshotId} holds ${rows} files, its head says ${head.fileCount}`);
      }
      return { head, parts };
    } catch (error) {
      this.log(`catalog: the latest snapshot is unusable, reading the whole change feed: ${describe(error)}`);
      return undefined;
    }
  }

  async writeSnapshot(head: SnapshotHead, parts: readonly unknown[][]): Promise<void> {
    const { snapshots } = await this.ready();
    const { resource: previous } = await snapshots
      .item(LATEST, LATEST)
      .read<{ head?: { snapshotId?: string } }>();
    for (const [part, rows] of parts.entries()) {
      await snapshots.items.upsert({ id: `part-${part}`, snapshotId: head.snapshotId, part, rows });
    }
    await snapshots.items.upsert({ id: LATEST, snapshotId: LATEST, head });
    const stale = previous?.head?.snapshotId;
    if (stale !== undefined && stale !== head.snapshotId) {
      const { resources } = await snapshots.items
        .query<{ id: string }>(inSnapshot('SELECT c.id FROM c', stale), { partitionKey: stale })
        .fetchAll();
      for (const { id } of resources) await snapshots.item(id, stale).delete();
    }
  }

  /** Soft-deleted or unreadable documents leave the index; an invalid document is logged, never served. */
  private toChange(document: Record<string, unknown>): FileChange {
    const id = String(document.id);
    if (document.deleted === true) return { kind: 'delete', id };
    try {
      return { kind: 'upsert', file: parseIndexedFile(withoutSystemProperties(document)) };
    } catch (error) {
      this.log(`catalog: document ${id} is not a valid catalog file and is left out: ${describe(error)}`);
      return { kind: 'delete', id };
    }
  }
}

/** One log line about a failure; zod errors list their issues compactly. */
function describe(error: unknown): string {
  const text = error instanceof z.ZodError ? z.prettifyError(error) : String(error);
  return text.replace(/\s+/g, ' ').slice(0, 400);
}

/** The partition key narrows the query on Cosmos; the WHERE clause says the same for stores that ignore it. */
function inSnapshot(select: string, snapshotId: string) {
  return {
    query: `${select} WHERE c.snapshotId = @snapshotId`,
    parameters: [{ name: '@snapshotId', value: snapshotId }],
  };
}
