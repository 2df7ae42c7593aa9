import type { ContainerClient } from '@azure/storage-blob';
import { createdOnFirstUse } from '../../platform/blob';
import { planBatchSchema, type VendedFile } from '../model';
import type { PlanStore } from '../ports';
import { inParallel } from './blob-project-storage';

const WRITES_IN_FLIGHT = 8;

/**
 * Copy plans in the private `vending-plans` container, one JSON blob per batch
 * (`<requestId>/<dauId>/<batch>.json`): each copy activity reads only its own batch, and the orchestration's
 * history holds batch numbers, never a million file names.
 */
export class BlobPlanStore implements PlanStore {
  private readonly container: () => Promise<ContainerClient>;

  constructor(containerClient: () => ContainerClient) {
    this.container = createdOnFirstUse(containerClient);
  }

  async write(requestId: string, dauId: string, batches: readonly (readonly VendedFile[])[]): Promise<void> {
    const container = await this.container();
    await inParallel(
      batches.map((files, batch) => ({ files, batch })),
      WRITES_IN_FLIGHT,
      async ({ files, batch }) => {
        const text = JSON.stringify(files);
        await container
          .getBlockBlobClient(batchName(requestId, dauId, batch))
          .upload(text, Buffer.byteLength(text), {
            blobHTTPHeaders: { blobContentType: 'application/json' },
          });
      },
    );
  }

  async read(requestId: string, dauId: string, batch: number): Promise<VendedFile[]> {
    const container = await this.container();
    const bytes = await container.getBlobClient(batchName(requestId, dauId, batch)).downloadToBuffer();
    return planBatchSchema.parse(JSON.parse(bytes.toString('utf8')));
  }
}

function batchName(requestId: string, dauId: string, batch: number): string {
  return `${requestId}/${dauId}/${String(batch).padStart(6, '0')}.json`;
}
