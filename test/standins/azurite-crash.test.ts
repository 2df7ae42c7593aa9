/**
 * Crash safety of Azurite on disk: blobs and table entities acknowledged before the process was killed
 * with SIGKILL are there after a restart (Azurite alone would lose up to 5 seconds of metadata).
 */
import path from 'node:path';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { afterAll, describe, expect, it } from 'vitest';
import { startAzurite, storageEmulatorAccount } from '../../infra/local/standins/azurite';
import { temporaryDirectory } from './support';
import { killChildren, startChild } from './support-process';

afterAll(killChildren);

const credential = new StorageSharedKeyCredential(storageEmulatorAccount.name, storageEmulatorAccount.key);

describe('Azurite after SIGKILL', () => {
  it('keeps every acknowledged blob upload, overwrite and delete', async () => {
    const stateDir = await temporaryDirectory('azurite-crash');
    const child = await startChild(path.join(__dirname, 'fixtures', 'azurite-process.ts'), [stateDir]);
    const [blobEndpoint] = child.ready;
    const container = new BlobServiceClient(blobEndpoint!, credential).getContainerClient('uploads');
    await container.create();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        container.getBlockBlobClient(`agreement-${i}.pdf`).upload(`pdf ${i}`, 5),
      ),
    );
    await container.getBlockBlobClient('agreement-0.pdf').upload('revised', 7);
    await container.getBlockBlobClient('agreement-1.pdf').delete();
    expect(await child.kill()).toBe('SIGKILL');

    const restarted = await startAzurite({ ports: { blob: 0, queue: 0, table: 0 }, stateDir });
    try {
      const again = new BlobServiceClient(restarted.blobEndpoint, credential).getContainerClient('uploads');
      const names: string[] = [];
      for await (const blob of again.listBlobsFlat()) names.push(blob.name);
      expect(names).toHaveLength(19);
      expect(names).not.toContain('agreement-1.pdf');
      expect((await again.getBlobClient('agreement-0.pdf').downloadToBuffer()).toString()).toBe('revised');
      expect((await again.getBlobClient('agreement-19.pdf').downloadToBuffer()).toString()).toBe('pdf 19');
    } finally {
      await restarted.close();
    }
  });
});
