import { BlobServiceClient, StorageSharedKeyCredential, type ContainerClient } from '@azure/storage-blob';
import type { Settings } from '../config/settings';
import { getAzureCredential } from './azure-credential';

/**
 * The Blob Storage client for the configured account: the shared key when one is set (Azurite locally),
 * otherwise the managed identity. (`parseSettings` guarantees name and key come together.)
 */
export function createBlobServiceClient(settings: Settings): BlobServiceClient {
  const name = settings.DataStorage__accountName;
  const key = settings.DataStorage__accountKey;
  const credential =
    name !== undefined && key !== undefined
      ? new StorageSharedKeyCredential(name, key)
      : getAzureCredential(settings);
  return new BlobServiceClient(settings.DataStorage__blobServiceUri, credential);
}

/**
 * A container created on first use and then shared: the returned function answers the same client each time
 * (a failed creation is tried again on the next call).
 */
export function createdOnFirstUse(containerClient: () => ContainerClient): () => Promise<ContainerClient> {
  let ready: Promise<ContainerClient> | undefined;
  return () => {
    ready ??= (async () => {
      const container = containerClient();
      await container.createIfNotExists();
      return container;
    })().catch((error: unknown) => {
      ready = undefined;
      throw error;
    });
    return ready;
  };
}
