/**
 * The composition root: the one place that builds adapters from configuration (`getSettings()`), each
 * lazily on first use and then shared by every invocation of the process. Function files take what they
 * need from here; use cases never import it.
 *
 * One section per module; a module adds its wiring in its own section.
 */
import type { Database } from '@azure/cosmos';
import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import { CosmosCatalogStore } from './catalog/adapters/cosmos-catalog-store';
import { CatalogService } from './catalog/catalog-service';
import { noGrantsHeld, type HeldDausLookup } from './catalog/ports';
import { getSettings } from './config/settings';
import { createBlobServiceClient } from './platform/blob';
import { createCosmosClient } from './platform/cosmos';
import { blobStorageProbe, cosmosDatabaseProbe, type DependencyProbe } from './platform/dependency-probes';
import { documentsContainer } from './platform/documents';

/** Builds a value on first call and returns the same value afterwards. */
function once<T>(build: () => T): () => T {
  let built: { readonly value: T } | undefined;
  return () => (built ??= { value: build() }).value;
}

// --- platform: Azure clients ------------------------------------------------------------------------------

const getCosmosClient = once(() => createCosmosClient(getSettings()));

/** The app's Cosmos DB database (`CosmosDb__databaseName`). */
export const getCosmosDatabase: () => Database = once(() =>
  getCosmosClient().database(getSettings().CosmosDb__databaseName),
);

export const getBlobServiceClient: () => BlobServiceClient = once(() =>
  createBlobServiceClient(getSettings()),
);

// --- health ---------------------------------------------------------------------------------------------

/** What `/api/health` checks: every service the app cannot work without. */
export const getDependencyProbes: () => readonly DependencyProbe[] = once(() => [
  cosmosDatabaseProbe(getCosmosDatabase()),
  blobStorageProbe(getBlobServiceClient()),
]);

// --- agreements -----------------------------------------------------------------------------------------

/** The private container holding the agreement template and uploaded agreements. */
export const getDocumentsContainer: () => ContainerClient = once(() =>
  documentsContainer(getBlobServiceClient()),
);

// --- catalog --------------------------------------------------------------------------------------------

/** This instance's catalog: the in-memory index over Cosmos DB, refreshed from the change feed. */
export const getCatalogService: () => CatalogService = once(
  () =>
    new CatalogService(new CosmosCatalogStore(getCosmosDatabase(), (line) => console.warn(line)), {
      refreshAfterMs: getSettings().CATALOG_REFRESH_SECONDS * 1000,
      log: (line) => console.log(line),
    }),
);

/** Which DAUs a caller holds; no grants until the requests module supplies its lookup. */
export const getHeldDausLookup: () => HeldDausLookup = once(() => noGrantsHeld);
