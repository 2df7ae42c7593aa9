/**
 * What `npm start` puts in an empty local store once the app is serving: the documents the app serves, the
 * personas' profiles, the realistic catalog and the source blobs vending copies. Every step is idempotent,
 * so a restart with data in place only checks (and a profile a persona changed stays as it is).
 */
import { parseSettings, type Settings } from '../../shared/config/settings';
import { createCosmosClient } from '../../shared/platform/cosmos';
import { sourceBlobService } from '../../shared/provisioning/adapters/blob-services';
import { seedPersonaProfiles } from './personas';
import { seedCatalogIfEmpty } from './seed';
import { seedSourceBlobs } from './source-blobs';
import { seedDocuments } from './standins/seed-documents';

export interface PrepareOptions {
  /** The running app (`http://127.0.0.1:7071`): after seeding, its catalog is warmed so the first click is fast. */
  readonly appUrl: string;
  /** Size of the catalog seeded into an empty store; default the real catalog's. */
  readonly catalogFiles?: number;
  readonly log: (line: string) => void;
}

export async function prepareLocalData(
  env: Readonly<Record<string, string>>,
  { appUrl, catalogFiles, log }: PrepareOptions,
): Promise<void> {
  const settings = parseSettings(env);
  await seedDocuments(env, log);

  const client = createCosmosClient(settings);
  try {
    const { database } = await client.databases.createIfNotExists({ id: settings.CosmosDb__databaseName });
    const profiles = await seedPersonaProfiles(database);
    if (profiles > 0) log(`personas: ${profiles} profiles seeded (npm run token -- --as <persona>)`);
    let lastLine = 0;
    const result = await seedCatalogIfEmpty({
      database,
      files: catalogFiles,
      onProgress: ({ written, expected, docsPerSecond }) => {
        const now = Date.now();
        if (now - lastLine < 1000 && written < expected) return;
        lastLine = now;
        log(`seeding catalog: ${written}/~${expected} files (${docsPerSecond.toFixed(0)} docs/s)`);
      },
    });
    if (result === undefined) {
      // What an earlier start left unwritten (usually nothing: the listing only checks).
      await seedLocalSourceBlobs(settings, log);
      log('catalog: already seeded (npm run seed -- --files N reseeds)');
      return;
    }
    log(`catalog: seeded ${result.written} files in ${result.seconds.toFixed(1)} s`);
    await warmCatalog(appUrl, result.written, log);
  } finally {
    client.dispose();
  }
  // The source blobs vending copies follow a new catalog in the background (idempotent); a vend that starts
  // before its files are written retries its copies.
  void seedLocalSourceBlobs(settings, log).catch((error: unknown) =>
    log(`source blobs: stopped: ${error instanceof Error ? error.message : String(error)}`),
  );
}

/** Writes the missing source blobs (one synthetic blob per catalog file and index file), with a progress line. */
async function seedLocalSourceBlobs(settings: Settings, log: (line: string) => void): Promise<void> {
  const client = createCosmosClient(settings);
  let lastLine = 0;
  const result = await seedSourceBlobs({
    database: client.database(settings.CosmosDb__databaseName),
    source: sourceBlobService(settings).getContainerClient(settings.SourceData__containerName),
    onProgress: ({ written, expected, blobsPerSecond }) => {
      const now = Date.now();
      if (now - lastLine < 1000 && written < expected) return;
      lastLine = now;
      log(`source blobs: ${written}/${expected} written (${blobsPerSecond.toFixed(0)} blobs/s)`);
    },
  }).finally(() => client.dispose());
  log(
    result.written === 0
      ? `source blobs: all ${result.present} in place (container ${settings.SourceData__containerName})`
      : `source blobs: wrote ${result.written} in ${result.seconds.toFixed(1)} s (container ${settings.SourceData__containerName})`,
  );
}

/**
 * Asks the app for the catalog until its answer counts the seeded files: the app indexes them now (and writes
 * the snapshot later starts read) instead of at a person's first click.
 */
async function warmCatalog(appUrl: string, files: number, log: (line: string) => void): Promise<void> {
  const started = Date.now();
  const deadline = started + 120_000;
  while (Date.now() < deadline) {
    const response = await fetch(`${appUrl}/api/catalog?pageSize=1`);
    let indexed = 0;
    if (response.ok) indexed = ((await response.json()) as { summary: { files: number } }).summary.files;
    else await response.body?.cancel();
    if (indexed >= files) {
      log(
        `catalog: ${indexed} files indexed and answering in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  log('catalog: still indexing after 120 s; the first clicks may be slow');
}
