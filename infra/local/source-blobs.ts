/**
 * The local source data: one small synthetic blob for every catalog file and its index file, in the source
 * container of the data storage account (Azurite), at the file's catalog path. Vending copies them
 * server-side like the real data; the true sizes stay in the catalog (and so in SAMPLE_INFO.txt and the file
 * listing). Idempotent: what the container already holds is skipped, so a restart only lists it.
 */
import type { Container, Database } from '@azure/cosmos';
import type { ContainerClient } from '@azure/storage-blob';
import { cosmosContainers } from '../../shared/platform/storage-layout';
import { inParallel } from '../../shared/provisioning/adapters/blob-project-storage';
import { indexPath, relative } from '../../shared/provisioning/adapters/cosmos-catalog-files';

const UPLOADS_IN_FLIGHT = 32;
const PAGE = 5000;

export interface SourceBlobsProgress {
  readonly written: number;
  readonly expected: number;
  readonly blobsPerSecond: number;
}

export interface SourceBlobsResult {
  readonly written: number;
  readonly present: number;
  readonly seconds: number;
}

/** Writes the missing source blobs of every (not deleted) catalog file. */
export async function seedSourceBlobs(options: {
  readonly database: Database;
  readonly source: ContainerClient;
  /** Only these DAUs' files (tests); every DAU's by default. */
  readonly daus?: readonly string[];
  readonly onProgress?: (progress: SourceBlobsProgress) => void;
}): Promise<SourceBlobsResult> {
  const started = performance.now();
  await options.source.createIfNotExists();
  const present = new Set<string>();
  for await (const page of options.source.listBlobsFlat().byPage({ maxPageSize: PAGE })) {
    for (const item of page.segment.blobItems) present.add(item.name);
  }
  const wanted = await catalogBlobs(
    options.database.container(cosmosContainers.catalogFiles.id),
    options.daus,
  );
  const missing = wanted.filter((blob) => !present.has(blob.name));
  let written = 0;
  await inParallel(missing, UPLOADS_IN_FLIGHT, async (blob) => {
    const content = `Synthetic stand-in for ${blob.name} (the catalog's size: ${blob.bytes} bytes).\n`;
    await options.source.getBlockBlobClient(blob.name).upload(content, Buffer.byteLength(content), {
      blobHTTPHeaders: { blobContentType: 'application/octet-stream' },
    });
    written += 1;
    if (written % 1000 === 0 || written === missing.length) {
      options.onProgress?.({
        written,
        expected: missing.length,
        blobsPerSecond: written / ((performance.now() - started) / 1000),
      });
    }
  });
  return { written, present: wanted.length - missing.length, seconds: (performance.now() - started) / 1000 };
}

interface SourceBlob {
  readonly name: string;
  readonly bytes: number;
}

/** Every data and index blob the catalog names, read as a projection. */
async function catalogBlobs(
  container: Container,
  daus: readonly string[] | undefined,
): Promise<SourceBlob[]> {
  const iterator = container.items.query<{
    filePath: string;
    fileSizeBytes: number;
    indexFile?: { fileName: string; fileSizeBytes: number } | null;
  }>(
    {
      query:
        'SELECT c.filePath, c.fileSizeBytes, c.indexFile FROM c ' +
        `WHERE (NOT IS_DEFINED(c.deleted) OR c.deleted = false)${daus === undefined ? '' : ' AND ARRAY_CONTAINS(@daus, c.pk)'}`,
      parameters: [{ name: '@daus', value: [...(daus ?? [])] }],
    },
    { maxItemCount: PAGE },
  );
  const blobs: SourceBlob[] = [];
  while (iterator.hasMoreResults()) {
    const { resources } = await iterator.fetchNext();
    for (const file of resources) {
      blobs.push({ name: relative(file.filePath), bytes: file.fileSizeBytes });
      if (file.indexFile != null) {
        blobs.push({
          name: indexPath(file.filePath, file.indexFile.fileName),
          bytes: file.indexFile.fileSizeBytes,
        });
      }
    }
  }
  return blobs;
}
