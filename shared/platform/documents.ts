import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import { dataBlobContainers } from './storage-layout';

/**
 * The private container of documents the app serves or receives (agreement templates, uploaded signed
 * agreements), and the names in it that code and the local seeding share.
 */
export const documentsContainerName = dataBlobContainers.documents;

/** The Data Access Agreement template requesters download, sign and upload. */
export const agreementTemplateBlobName = 'data-access-agreement.pdf';

export function documentsContainer(client: BlobServiceClient): ContainerClient {
  return client.getContainerClient(documentsContainerName);
}
