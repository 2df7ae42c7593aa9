/**
 * Azurite in-process through the real Blob SDK, and Queue/Table through their REST APIs with an account
 * SAS (the Queue and Table SDKs are not dependencies of this project): basic operations, isolation of
 * in-memory instances, and persistence across a restart on the same folder.
 */
import {
  AccountSASPermissions,
  AccountSASResourceTypes,
  AccountSASServices,
  BlobServiceClient,
  StorageSharedKeyCredential,
  generateAccountSASQueryParameters,
} from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, storageEmulatorAccount, type Azurite } from '../../infra/local/standins/azurite';
import { temporaryDirectory } from './support';

const credential = new StorageSharedKeyCredential(storageEmulatorAccount.name, storageEmulatorAccount.key);
const freePorts = { blob: 0, queue: 0, table: 0 };

function blobClient(azurite: Azurite): BlobServiceClient {
  return new BlobServiceClient(azurite.blobEndpoint, credential);
}

async function download(azurite: Azurite, container: string, blob: string): Promise<string> {
  return (
    await blobClient(azurite).getContainerClient(container).getBlobClient(blob).downloadToBuffer()
  ).toString();
}

/** An account SAS for queue and table requests. */
function accountSas(): string {
  return generateAccountSASQueryParameters(
    {
      expiresOn: new Date(Date.now() + 60 * 60 * 1000),
      permissions: AccountSASPermissions.parse('rwdlacup'),
      resourceTypes: AccountSASResourceTypes.parse('sco').toString(),
      services: AccountSASServices.parse('qt').toString(),
    },
    credential,
  ).toString();
}

describe('Azurite in memory', () => {
  let azurite: Azurite;
  beforeAll(async () => {
    azurite = await startAzurite({ ports: freePorts });
  });
  afterAll(() => azurite.close());

  it('listens on loopback with the development account in the endpoints', () => {
    for (const endpoint of [azurite.blobEndpoint, azurite.queueEndpoint, azurite.tableEndpoint]) {
      expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1$/);
    }
  });

  it('uploads, lists and downloads blobs with the Blob SDK', async () => {
    const container = blobClient(azurite).getContainerClient('reports');
    await container.create();
    await container.getBlockBlobClient('a/one.txt').upload('first', 5);
    await container.getBlockBlobClient('a/two.txt').upload('second', 6);
    const names: string[] = [];
    for await (const blob of container.listBlobsFlat({ prefix: 'a/' })) names.push(blob.name);
    expect(names).toEqual(['a/one.txt', 'a/two.txt']);
    expect(await download(azurite, 'reports', 'a/two.txt')).toBe('second');
  });

  it('enqueues and receives a queue message', async () => {
    const queue = `${azurite.queueEndpoint}/jobs`;
    const sas = accountSas();
    expect((await fetch(`${queue}?${sas}`, { method: 'PUT' })).status).toBe(201);
    const sent = await fetch(`${queue}/messages?${sas}`, {
      method: 'POST',
      body: '<QueueMessage><MessageText>hello queue</MessageText></QueueMessage>',
    });
    expect(sent.status).toBe(201);
    const received = await fetch(`${queue}/messages?${sas}`);
    expect(received.status).toBe(200);
    expect(await received.text()).toContain('<MessageText>hello queue</MessageText>');
  });

  it('inserts and reads a table entity', async () => {
    const sas = accountSas();
    const json = { 'content-type': 'application/json', accept: 'application/json;odata=nometadata' };
    const created = await fetch(`${azurite.tableEndpoint}/Tables?${sas}`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ TableName: 'grants' }),
    });
    expect(created.status).toBe(201);
    const inserted = await fetch(`${azurite.tableEndpoint}/grants?${sas}`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ PartitionKey: 'user-1', RowKey: 'dau-7', downloadAllowed: true }),
    });
    expect(inserted.status).toBe(201);
    const read = await fetch(`${azurite.tableEndpoint}/grants(PartitionKey='user-1',RowKey='dau-7')?${sas}`, {
      headers: json,
    });
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({
      PartitionKey: 'user-1',
      RowKey: 'dau-7',
      downloadAllowed: true,
    });
  });

  it('keeps in-memory instances apart', async () => {
    const other = await startAzurite({ ports: freePorts });
    try {
      await blobClient(other).getContainerClient('reports').create();
      await blobClient(other)
        .getContainerClient('reports')
        .getBlockBlobClient('a/one.txt')
        .upload('other', 5);
      expect(await download(other, 'reports', 'a/one.txt')).toBe('other');
      expect(await download(azurite, 'reports', 'a/one.txt')).toBe('first');
    } finally {
      await other.close();
    }
    const containers: string[] = [];
    for await (const container of blobClient(azurite).listContainers()) containers.push(container.name);
    expect(containers).toEqual(['reports']);
  });
});

describe('Azurite on disk', () => {
  it('keeps blobs across a clean restart on the same folder', async () => {
    const stateDir = await temporaryDirectory('azurite');
    const first = await startAzurite({ ports: freePorts, stateDir });
    const container = blobClient(first).getContainerClient('kept');
    await container.create();
    await container.getBlockBlobClient('note.txt').upload('still here', 10);
    await first.close();

    const second = await startAzurite({ ports: freePorts, stateDir });
    try {
      expect(await download(second, 'kept', 'note.txt')).toBe('still here');
    } finally {
      await second.close();
    }
  });
});
