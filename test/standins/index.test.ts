/**
 * startStandIns as `npm start` and the tests use it: loopback endpoints, the settings handed to the app
 * (used here through the app's own client factories), state under the data folder, and `fresh`.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freeStandInPorts, startStandIns, type StandIns } from '../../infra/local/standins';
import { parseSettings } from '../../shared/config/settings';
import { createBlobServiceClient } from '../../shared/platform/blob';
import { createCosmosClient } from '../../shared/platform/cosmos';
import { exampleSettings } from '../platform/support';
import { temporaryDirectory } from './support';

function appSettings(standIns: StandIns) {
  return parseSettings({ ...exampleSettings, ...standIns.env });
}

async function writeSomething(standIns: StandIns): Promise<void> {
  const settings = appSettings(standIns);
  const cosmos = createCosmosClient(settings);
  const { database } = await cosmos.databases.createIfNotExists({ id: settings.CosmosDb__databaseName });
  const { container } = await database.containers.createIfNotExists({
    id: 'notes',
    partitionKey: { paths: ['/id'] },
  });
  await container.items.upsert({ id: 'n1', text: 'kept' });
  const blobs = createBlobServiceClient(settings).getContainerClient('notes');
  await blobs.createIfNotExists();
  await blobs.getBlockBlobClient('n1.txt').upload('kept', 4);
  await standIns.acsEmail.deliver({
    source: 'docusign',
    from: 'a@example.org',
    to: ['b@example.org'],
    subject: 'kept',
  });
}

async function readSomething(standIns: StandIns): Promise<{ item?: string; blob?: string; mails: string[] }> {
  const settings = appSettings(standIns);
  const container = createCosmosClient(settings).database(settings.CosmosDb__databaseName).container('notes');
  const item = await container
    .item('n1', 'n1')
    .read<{ text: string }>()
    .then((response) => response.resource?.text)
    .catch(() => undefined);
  const blob = await createBlobServiceClient(settings)
    .getContainerClient('notes')
    .getBlobClient('n1.txt')
    .downloadToBuffer()
    .then((buffer) => buffer.toString())
    .catch(() => undefined);
  const mails = standIns.acsEmail.outbox.list().map((message) => message.subject);
  return { item, blob, mails };
}

describe('startStandIns', () => {
  it('in memory: loopback endpoints, printed, and settings the app parses and uses as they are', async () => {
    const lines: string[] = [];
    const standIns = await startStandIns({ ports: freeStandInPorts, log: (line) => lines.push(line) });
    try {
      expect(standIns.cosmosEndpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/$/);
      for (const endpoint of [standIns.blobEndpoint, standIns.queueEndpoint, standIns.tableEndpoint]) {
        expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1$/);
      }
      expect(standIns.acsEmail.endpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/$/);
      const printed = [
        standIns.cosmosEndpoint,
        standIns.blobEndpoint,
        standIns.queueEndpoint,
        standIns.acsEmail.endpoint,
        standIns.docuSign.origin,
      ];
      for (const endpoint of printed) {
        expect(lines.join('\n')).toContain(endpoint);
      }
      expect(Object.keys(standIns.env).sort()).toEqual([
        'AzureWebJobsStorage',
        'CosmosDb__accountEndpoint',
        'CosmosDb__accountKey',
        'DataStorage__accountKey',
        'DataStorage__accountName',
        'DataStorage__blobServiceUri',
        'DocuSign__connectHmacKeys',
        'DocuSign__integrationKey',
        'DocuSign__oAuthBasePath',
        'DocuSign__privateKey',
        'DocuSign__userId',
        'Email__connectionString',
        'LOCAL_CA_CERT_PATH',
        'VendingStorage__blobServiceUri',
      ]);
      expect(standIns.env.VendingStorage__blobServiceUri).toBe(standIns.blobEndpoint);
      expect(standIns.env.Email__connectionString).toBe(standIns.acsEmail.connectionString);
      // The emulators' well-known keys, so `func start` settings for the real emulators match.
      expect(standIns.env.CosmosDb__accountKey).toBe(exampleSettings.CosmosDb__accountKey);
      expect(standIns.env.DataStorage__accountKey).toBe(exampleSettings.DataStorage__accountKey);
      expect(standIns.env.AzureWebJobsStorage).toContain(`BlobEndpoint=${standIns.blobEndpoint};`);
      await writeSomething(standIns);
      expect(await readSomething(standIns)).toEqual({ item: 'kept', blob: 'kept', mails: ['kept'] });
    } finally {
      await standIns.close();
    }
  });

  it('on disk: state survives a restart, `fresh` wipes it and keeps the certificate authority', async () => {
    const dataDir = await temporaryDirectory('standins-data');
    const first = await startStandIns({ dataDir, ports: freeStandInPorts });
    await writeSomething(first);
    await first.close();
    expect((await fs.readdir(dataDir)).sort()).toEqual(['acs-email', 'azurite', 'cosmos', 'docusign', 'tls']);
    const ca = await fs.readFile(path.join(dataDir, 'tls', 'ca.pem'), 'utf8');

    const second = await startStandIns({ dataDir, ports: freeStandInPorts });
    try {
      expect(second.caCertPath).toBe(path.join(dataDir, 'tls', 'ca.pem'));
      expect(second.certificates.caPem).toBe(ca);
      expect(await readSomething(second)).toEqual({ item: 'kept', blob: 'kept', mails: ['kept'] });
    } finally {
      await second.close();
    }

    const fresh = await startStandIns({ dataDir, ports: freeStandInPorts, fresh: true });
    try {
      expect(await readSomething(fresh)).toEqual({ item: undefined, blob: undefined, mails: [] });
      expect(await fs.readFile(fresh.caCertPath, 'utf8')).toBe(ca);
    } finally {
      await fresh.close();
    }
  });

  it('fails with EADDRINUSE when a port is taken', async () => {
    const holder = await startStandIns({ ports: freeStandInPorts });
    try {
      const cosmosPort = Number(new URL(holder.cosmosEndpoint).port);
      await expect(
        startStandIns({ ports: { ...freeStandInPorts, cosmos: cosmosPort } }),
      ).rejects.toMatchObject({
        code: 'EADDRINUSE',
      });
    } finally {
      await holder.close();
    }
  });
});
