import { createHash, randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import type { ContainerClient } from '@azure/storage-blob';
import { createdOnFirstUse } from '../../platform/blob';
import type { FrozenManifest, SelectionArchive } from '../ports';

/** Ids per chunk handed to gzip: ~64 KiB of text, so a million ids are ~300 small writes, never one string. */
const IDS_PER_CHUNK = 2000;
const UPLOAD_BUFFER_BYTES = 4 * 1024 * 1024;
const UPLOAD_CONCURRENCY = 4;

/**
 * Frozen selections in Blob Storage (`selections`, private): one gzip manifest per submit, one file id per line,
 * streamed from the catalog's ids through gzip into a block blob while its SHA-256 is computed on the bytes as
 * stored. Each freeze writes a new blob name (`<requestId>/<uuid>.ids.gz`), so two concurrent submits never
 * overwrite each other's manifest: the request records the one whose submit won.
 */
export class BlobSelectionArchive implements SelectionArchive {
  private readonly container: () => Promise<ContainerClient>;

  constructor(containerClient: () => ContainerClient) {
    this.container = createdOnFirstUse(containerClient);
  }

  async freeze(requestId: string, fileIds: Iterable<string>): Promise<FrozenManifest> {
    const container = await this.container();
    const blobName = `${requestId}/${randomUUID()}.ids.gz`;
    const blob = container.getBlockBlobClient(blobName);
    const hash = createHash('sha256');
    let compressedBytes = 0;
    let files = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        compressedBytes += chunk.length;
        done(null, chunk);
      },
    });
    function* chunks(): Generator<string> {
      let lines: string[] = [];
      for (const id of fileIds) {
        lines.push(id);
        files += 1;
        if (lines.length === IDS_PER_CHUNK) {
          yield `${lines.join('\n')}\n`;
          lines = [];
        }
      }
      if (lines.length > 0) yield `${lines.join('\n')}\n`;
    }
    const compressing = pipeline(Readable.from(chunks()), createGzip(), tap);
    const uploading = blob
      .uploadStream(tap, UPLOAD_BUFFER_BYTES, UPLOAD_CONCURRENCY, {
        blobHTTPHeaders: { blobContentType: 'application/gzip' },
      })
      .catch((error: unknown) => {
        tap.destroy(error instanceof Error ? error : new Error(String(error)));
        throw error;
      });
    await Promise.all([compressing, uploading]);
    const sha256 = hash.digest('hex');
    await blob.setMetadata({ sha256, files: String(files), requestid: requestId });
    return { blobName, sha256, files, compressedBytes };
  }

  async *read(blobName: string): AsyncIterable<string> {
    const container = await this.container();
    const download = await container.getBlobClient(blobName).download();
    const body = download.readableStreamBody;
    if (body === undefined) throw new Error(`The manifest ${blobName} has no body`);
    const lines = createInterface({ input: body.pipe(createGunzip()), crlfDelay: Infinity });
    for await (const line of lines) if (line !== '') yield line;
  }
}
