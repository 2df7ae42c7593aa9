import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import type { Settings } from '../../config/settings';
import { getAzureCredential } from '../../platform/azure-credential';

/**
 * The storage accounts vending reads and writes besides the data account: the source data and the vending
 * account, each the data account when unset (as locally, where Azurite copies only within one instance).
 * Locally the Azurite key signs; in Azure the managed identity authorizes (no account key exists there).
 */
export function sourceBlobService(settings: Settings): BlobServiceClient {
  return blobServiceAt(settings.SourceData__blobServiceUri ?? settings.DataStorage__blobServiceUri, settings);
}

export function vendingBlobService(settings: Settings): BlobServiceClient {
  return blobServiceAt(
    settings.VendingStorage__blobServiceUri ?? settings.DataStorage__blobServiceUri,
    settings,
  );
}

function blobServiceAt(uri: string, settings: Settings): BlobServiceClient {
  const name = settings.DataStorage__accountName;
  const key = settings.DataStorage__accountKey;
  const local = name !== undefined && key !== undefined && uri.replace(/\/+$/, '').endsWith(`/${name}`);
  return new BlobServiceClient(
    uri,
    local ? new StorageSharedKeyCredential(name, key) : getAzureCredential(settings),
  );
}
