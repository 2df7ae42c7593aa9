/**
 * What `npm start` puts in an empty local store once the app is serving: the documents the app serves and the
 * realistic catalog. Both steps are idempotent, so a restart with data in place only checks.
 */
import { parseSettings } from '../../shared/config/settings';
import { createCosmosClient } from '../../shared/platform/cosmos';
import { seedCatalogIfEmpty } from './seed';
import { seedDocuments } from './standins/seed-documents';

export interface PrepareOptions {
  /** Size of the catalog seeded into an empty store; default the real catalog's. */
  readonly catalogFiles?: number;
  readonly log: (line: string) => void;
}

export async function prepareLocalData(
  env: Readonly<Record<string, string>>,
  { catalogFiles, log }: PrepareOptions,
): Promise<void> {
  const settings = parseSettings(env);
  await seedDocuments(env, log);

  const client = createCosmosClient(settings);
  try {
    const { database } = await client.databases.createIfNotExists({ id: settings.CosmosDb__databaseName });
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
    log(
      result === undefined
        ? 'catalog: already seeded (npm run seed -- --files N reseeds)'
        : `catalog: seeded ${result.written} files in ${result.seconds.toFixed(1)} s`,
    );
  } finally {
    client.dispose();
  }
}
