import { RestError, type BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { destinationPath, sampleInfoPath, type ProjectSpace, type VendedFile } from '../model';
import type { CopyOutcome, ProjectStorage, StoredFile, StoredFilesPage } from '../ports';
import type { ReadSasSigner } from './read-sas';

/** Blobs of one batch handled at once: the copies run in the storage service, so many can be in flight. */
const COPIES_IN_FLIGHT = 16;
/** A copy source URL is valid this long: a server-side copy starts at once and reads the source within it. */
const SOURCE_SAS_MS = 60 * 60_000;
/** Conditional rewrites of SAMPLE_INFO.txt tried before giving up (the activity is retried then). */
const SAMPLE_INFO_ATTEMPTS = 10;

/** Metadata on a vended blob: the source path it was copied from (a re-run skips it), its DAU, its true size. */
const VENDED_FROM = 'vendedfrom';
const DAU = 'dau';
const CATALOG_BYTES = 'catalogbytes';
const INDEX = 'indexfile';

export interface BlobProjectStorageOptions {
  /** The vending storage account: one container per project. */
  readonly vending: BlobServiceClient;
  readonly vendingSigner: ReadSasSigner;
  /** The source data container the catalog's paths are in. */
  readonly source: ContainerClient;
  readonly sourceSigner: ReadSasSigner;
  readonly now?: () => Date;
}

/**
 * Project spaces in Blob Storage. Copies are server-side (`Copy Blob` from a read-only SAS URL of the source):
 * no byte passes through the function. A blob already copied from the same source path is left alone, so a
 * re-run (a retried activity, a restarted host, a second request into the same folder) copies nothing twice,
 * and one deleted by the requester comes back on the next vend.
 */
export class BlobProjectStorage implements ProjectStorage {
  private readonly now: () => Date;

  constructor(private readonly options: BlobProjectStorageOptions) {
    this.now = options.now ?? (() => new Date());
  }

  private container(space: ProjectSpace): ContainerClient {
    return this.options.vending.getContainerClient(space.container);
  }

  async ensureSpace(space: ProjectSpace): Promise<void> {
    await this.container(space).createIfNotExists();
  }

  async copy(space: ProjectSpace, dauId: string, files: readonly VendedFile[]): Promise<CopyOutcome> {
    const container = this.container(space);
    const sourceExpiry = new Date(this.now().getTime() + SOURCE_SAS_MS);
    let copied = 0;
    let skipped = 0;
    await inParallel(files, COPIES_IN_FLIGHT, async (file) => {
      const target = container.getBlobClient(destinationPath(space, file));
      const state = await copyState(target, file.path);
      if (state === 'done') {
        skipped += 1;
        return;
      }
      if (state === 'missing') {
        const source = this.options.source.getBlobClient(file.path.replace(/^\/+/, ''));
        const sourceUrl = await this.options.sourceSigner.readUrl(source, sourceExpiry);
        const poller = await target.beginCopyFromURL(sourceUrl, {
          metadata: {
            [VENDED_FROM]: file.path,
            [DAU]: dauId,
            [CATALOG_BYTES]: String(file.bytes),
            [INDEX]: String(file.index),
          },
          intervalInMs: 1000,
        });
        const result = await poller.pollUntilDone();
        if (result.copyStatus !== undefined && result.copyStatus !== 'success') {
          throw new Error(`Copying ${file.path} ended ${result.copyStatus}`);
        }
        copied += 1;
        return;
      }
      // A copy an earlier attempt started is still running in the service: wait for it, copy nothing again.
      await waitForCopy(target);
      copied += 1;
    });
    return { copied, skipped };
  }

  async remove(space: ProjectSpace, paths: readonly string[]): Promise<number> {
    const container = this.container(space);
    let removed = 0;
    await inParallel(paths, COPIES_IN_FLIGHT, async (path) => {
      const response = await container.deleteBlob(destinationPath(space, { path })).catch(notFoundAs(null));
      if (response !== null) removed += 1;
    });
    return removed;
  }

  async list(
    space: ProjectSpace,
    page: { pageSize: number; continuation?: string },
  ): Promise<StoredFilesPage> {
    const prefix = `${space.folder}/`;
    const pages = this.container(space)
      .listBlobsFlat({ prefix, includeMetadata: true })
      .byPage({ maxPageSize: page.pageSize, continuationToken: page.continuation });
    const next = await pages.next().catch(notFoundAs(undefined));
    if (next === undefined || next.done === true) return { files: [], continuation: undefined };
    const files: StoredFile[] = [];
    for (const item of next.value.segment.blobItems) {
      const metadata = item.metadata ?? {};
      const path = metadata[VENDED_FROM];
      const dauId = metadata[DAU];
      if (path === undefined || dauId === undefined) continue; // SAMPLE_INFO.txt, the requester's own files
      files.push({
        path,
        dauId,
        bytes: Number(metadata[CATALOG_BYTES] ?? item.properties.contentLength ?? 0),
        storedBytes: item.properties.contentLength ?? 0,
        index: metadata[INDEX] === 'true',
      });
    }
    return { files, continuation: next.value.continuationToken || undefined };
  }

  async updateSampleInfo(space: ProjectSpace, render: (current: string) => string): Promise<void> {
    const blob = this.container(space).getBlockBlobClient(sampleInfoPath(space));
    for (let attempt = 1; ; attempt += 1) {
      const current = await blob.downloadToBuffer().catch(notFoundAs(undefined));
      const etag = current === undefined ? undefined : (await blob.getProperties()).etag;
      const text = render(current?.toString('utf8') ?? '');
      try {
        await blob.upload(text, Buffer.byteLength(text), {
          blobHTTPHeaders: { blobContentType: 'text/tab-separated-values; charset=utf-8' },
          conditions: etag === undefined ? { ifNoneMatch: '*' } : { ifMatch: etag },
        });
        return;
      } catch (error) {
        const lost = error instanceof RestError && (error.statusCode === 412 || error.statusCode === 409);
        if (!lost || attempt >= SAMPLE_INFO_ATTEMPTS) throw error;
      }
    }
  }

  downloadUrl(space: ProjectSpace, path: string, expiresOn: Date): Promise<string> {
    const blob = this.container(space).getBlobClient(destinationPath(space, { path }));
    return this.options.vendingSigner.readUrl(blob, expiresOn);
  }
}

/** Where a destination blob stands: copied from `sourcePath` already, being copied, or to be copied. */
async function copyState(
  target: ReturnType<ContainerClient['getBlobClient']>,
  sourcePath: string,
): Promise<'done' | 'pending' | 'missing'> {
  const properties = await target.getProperties().catch(notFoundAs(undefined));
  if (properties === undefined || properties.metadata?.[VENDED_FROM] !== sourcePath) return 'missing';
  if (properties.copyStatus === 'pending') return 'pending';
  return properties.copyStatus === undefined || properties.copyStatus === 'success' ? 'done' : 'missing';
}

async function waitForCopy(target: ReturnType<ContainerClient['getBlobClient']>): Promise<void> {
  for (;;) {
    const { copyStatus, copyStatusDescription } = await target.getProperties();
    if (copyStatus === 'success' || copyStatus === undefined) return;
    if (copyStatus !== 'pending')
      throw new Error(`Copy into ${target.name} ${copyStatus}: ${copyStatusDescription}`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

function notFoundAs<T>(value: T): (error: unknown) => T {
  return (error) => {
    if (error instanceof RestError && error.statusCode === 404) return value;
    throw error;
  };
}

/** Runs `work` over `items` with at most `limit` at once; the first failure fails the whole. */
export async function inParallel<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next]!;
      next += 1;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
