/**
 * Loads the generated catalog into Cosmos DB (the local stand-in or a real account).
 *
 *   npm run seed -- [--files N] [--seed S] [--data-dir DIR]
 *
 * Targets the copy of `npm start` running on the data folder (.data/ by default; its endpoints.json), or the
 * account in CosmosDb__accountEndpoint when none runs.
 *
 * Transactional batches of ≤ 100 upserts per DAU partition, several partitions in parallel (`items.bulk` is
 * broken on the stand-in; batches are also what real Cosmos loads fastest without bulk mode). Upserts by
 * deterministic id make a re-run idempotent; files of an earlier seed that the new one lacks (another --files
 * or --seed) are soft-deleted (`deleted: true` plus a TTL), so running instances see them go through the
 * change feed.
 */
import type { Container, Database, OperationInput } from '@azure/cosmos';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ensureCatalogContainers } from '../../shared/catalog/adapters/cosmos-catalog-store';
import { CATALOG_DAUS } from '../../shared/catalog/generator/daus';
import {
  DEFAULT_SEED,
  generateCatalogFiles,
  MAX_GENERATED_FILES,
} from '../../shared/catalog/generator/generate';
import { DEFAULT_PRIMARY_FILES } from '../../shared/catalog/generator/parameters';
import type { CatalogFile } from '../../shared/catalog/model';
import { parseSettings } from '../../shared/config/settings';
import { createCosmosClient } from '../../shared/platform/cosmos';
import { readRunningEndpoints } from './endpoints-file';
import { applyEnvironment, readAppFiles } from './host/app-config';
import { localCaCertificatePath } from './standins/tls';

const repositoryRoot = path.resolve(__dirname, '..', '..');

export interface SeedProgress {
  readonly written: number;
  /** Expected total (estimated for the default scale). */
  readonly expected: number;
  readonly docsPerSecond: number;
}

export interface SeedOptions {
  readonly database: Database;
  /** About this many primary files; unset: the real catalog's size (~53k). */
  readonly files?: number;
  readonly seed?: number;
  readonly onProgress?: (progress: SeedProgress) => void;
}

export interface SeedResult {
  readonly written: number;
  readonly softDeleted: number;
  readonly seconds: number;
}

const BATCH_OPERATIONS = 100;
const BATCHES_IN_FLIGHT = 8;
/** Soft-deleted files disappear from Cosmos a week later. */
const DELETED_TTL_SECONDS = 7 * 24 * 3600;

export function seedCatalog(options: SeedOptions): Promise<SeedResult> {
  return writeCatalog(options, { pruneStale: true });
}

/**
 * Writes the generated catalog; with `pruneStale`, soft-deletes stored files the new seed lacks (a read of the
 * whole container, pointless when the store was empty).
 */
async function writeCatalog(
  options: SeedOptions,
  { pruneStale }: { pruneStale: boolean },
): Promise<SeedResult> {
  const started = performance.now();
  const { files: container, daus } = await ensureCatalogContainers(options.database);
  await Promise.all(CATALOG_DAUS.map((dau) => daus.items.upsert(dau)));

  const expected = options.files ?? DEFAULT_PRIMARY_FILES;
  const ids = new Set<string>();
  let written = 0;
  const report = () =>
    options.onProgress?.({
      written,
      expected,
      docsPerSecond: written / ((performance.now() - started) / 1000),
    });
  const writer = new BatchWriter(container, (count) => {
    written += count;
    report();
  });
  const pending = new Map<string, CatalogFile[]>();
  for (const file of generateCatalogFiles({ files: options.files, seed: options.seed ?? DEFAULT_SEED })) {
    ids.add(file.id);
    const batch = pending.get(file.pk) ?? [];
    batch.push(file);
    pending.set(file.pk, batch);
    if (batch.length === BATCH_OPERATIONS) {
      pending.delete(file.pk);
      await writer.write(file.pk, batch);
    }
  }
  for (const [pk, batch] of pending) await writer.write(pk, batch);
  await writer.drain();
  // Files of an earlier seed that this one lacks (another --files or --seed gives other subjects).
  let softDeleted = 0;
  if (pruneStale) {
    const pruner = new BatchWriter(container, () => undefined);
    softDeleted = await softDeleteOthers(container, ids, pruner);
    await pruner.drain();
  }
  report();
  return { written, softDeleted, seconds: (performance.now() - started) / 1000 };
}

/** Seeds only when the catalog holds no file yet: what `npm start` calls. Returns undefined if it did nothing. */
export async function seedCatalogIfEmpty(options: SeedOptions): Promise<SeedResult | undefined> {
  const { files } = await ensureCatalogContainers(options.database);
  const { resources } = await files.items.query<string>('SELECT TOP 1 VALUE c.id FROM c').fetchNext();
  return resources.length > 0 ? undefined : writeCatalog(options, { pruneStale: false });
}

/** Keeps up to BATCHES_IN_FLIGHT transactional batches running; a failed operation fails the seed. */
class BatchWriter {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly container: Container,
    private readonly onWritten: (count: number) => void,
  ) {}

  async write(partitionKey: string, documents: CatalogFile[]): Promise<void> {
    if (this.inFlight.size >= BATCHES_IN_FLIGHT) await Promise.race(this.inFlight);
    const operations: OperationInput[] = documents.map((resourceBody) => ({
      operationType: 'Upsert',
      resourceBody,
    }));
    const task = this.container.items.batch(operations, partitionKey).then((response) => {
      const failed = response.result?.find((result) => result.statusCode >= 400);
      if (response.code !== undefined && response.code >= 400) {
        throw new Error(`Catalog batch for ${partitionKey} failed with ${response.code}`);
      }
      if (failed !== undefined)
        throw new Error(`Catalog batch for ${partitionKey} failed: ${failed.statusCode}`);
      this.onWritten(documents.length);
    });
    const tracked = task.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  async drain(): Promise<void> {
    await Promise.all(this.inFlight);
  }
}

async function softDeleteOthers(
  container: Container,
  keep: ReadonlySet<string>,
  writer: BatchWriter,
): Promise<number> {
  let count = 0;
  const iterator = container.items.query<CatalogFile>('SELECT * FROM c', { maxItemCount: 1000 });
  while (iterator.hasMoreResults()) {
    const { resources } = await iterator.fetchNext();
    const stale = resources.filter((document) => document.deleted !== true && !keep.has(document.id));
    const byPartition = new Map<string, CatalogFile[]>();
    for (const document of stale) {
      const rest = Object.fromEntries(Object.entries(document).filter(([key]) => !key.startsWith('_')));
      byPartition.set(document.pk, [
        ...(byPartition.get(document.pk) ?? []),
        { ...(rest as CatalogFile), deleted: true, ttl: DELETED_TTL_SECONDS },
      ]);
    }
    for (const [pk, documents] of byPartition) {
      for (let start = 0; start < documents.length; start += BATCH_OPERATIONS) {
        await writer.write(pk, documents.slice(start, start + BATCH_OPERATIONS));
      }
    }
    count += stale.length;
  }
  return count;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      files: { type: 'string' },
      seed: { type: 'string' },
      'data-dir': { type: 'string', default: path.join(repositoryRoot, '.data') },
    },
  });
  const files = values.files === undefined ? undefined : Number(values.files);
  if (files !== undefined && !(Number.isInteger(files) && files >= 1 && files <= MAX_GENERATED_FILES)) {
    throw new Error(`--files must be an integer between 1 and ${MAX_GENERATED_FILES}`);
  }
  // The Cosmos DB stand-in of the copy running on the data folder, wherever its port is (--free-ports).
  const dataDir = path.resolve(values['data-dir']);
  const running = readRunningEndpoints(dataDir)?.cosmos;
  if (running === undefined && process.env.CosmosDb__accountEndpoint === undefined) {
    throw new Error(
      `No npm start is running on ${dataDir}: start it first, pass the --data-dir it uses, or set ` +
        'CosmosDb__accountEndpoint (and CosmosDb__accountKey) to seed another account.',
    );
  }
  // The same settings the app gets locally (local.settings.json or the example), under the running stand-in.
  applyEnvironment(
    readAppFiles(repositoryRoot).settings.Values,
    running === undefined
      ? {}
      : { CosmosDb__accountEndpoint: running, LOCAL_CA_CERT_PATH: localCaCertificatePath(dataDir) },
  );
  const settings = parseSettings(process.env);
  const client = createCosmosClient(settings);
  const { database } = await client.databases.createIfNotExists({ id: settings.CosmosDb__databaseName });
  const result = await seedCatalog({
    database,
    files,
    seed: values.seed === undefined ? undefined : Number(values.seed),
    onProgress: ({ written, expected, docsPerSecond }) => {
      const share = Math.min(1, written / expected);
      const bar = '#'.repeat(Math.round(share * 30)).padEnd(30, '.');
      process.stdout.write(
        `\rseeding catalog [${bar}] ${written}/~${expected} files, ${docsPerSecond.toFixed(0)} docs/s`,
      );
    },
  });
  process.stdout.write(
    `\nseeded ${result.written} files (${result.softDeleted} soft-deleted) in ${result.seconds.toFixed(1)} s\n`,
  );
  client.dispose();
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
