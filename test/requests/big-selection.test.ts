/**
 * A frozen selection of 200,000 files through the local host, and a 1,000,000-id manifest through the archive
 * itself. The 200,000-file catalog reaches the app the way a cold instance reads a big catalog: a compact
 * snapshot in Cosmos `catalogSnapshots` (written before the host starts), not 200,000 single documents, which
 * the stand-in would take minutes to load.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { CosmosClient, type Database } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDurableExtension } from '../../infra/local/durable';
import { startHost, type RunningHost } from '../../infra/local/host';
import { personaClaims, findPersona, seedPersonaProfiles } from '../../infra/local/personas';
import { startDevIssuer, type DevIssuer } from '../../infra/local/standins/dev-issuer';
import { freeStandInPorts, startStandIns, type StandIns } from '../../infra/local/standins';
import {
  CosmosCatalogStore,
  ensureCatalogContainers,
} from '../../shared/catalog/adapters/cosmos-catalog-store';
import { CatalogIndex } from '../../shared/catalog/engine/catalog-index';
import { toIndexedFile, type IndexedFile } from '../../shared/catalog/engine/indexed-file';
import { CATALOG_DAUS } from '../../shared/catalog/generator/daus';
import { generateCatalogFiles } from '../../shared/catalog/generator/generate';
import { DATASET_CODES, selectionSchema } from '../../shared/catalog/model';
import { encodeSnapshot } from '../../shared/catalog/snapshot';
import { parseSettings } from '../../shared/config/settings';
import { createBlobServiceClient } from '../../shared/platform/blob';
import { dataBlobContainers } from '../../shared/platform/storage-layout';
import { BlobSelectionArchive } from '../../shared/requests/adapters/blob-selection-archive';
import { completeAnswers, type Reply } from './support';

const FILES = 200_000;
const DATABASE = 'bigselection';
let standIns: StandIns;
let issuer: DevIssuer;
let host: RunningHost | undefined;
let database: Database;
let cosmos: CosmosClient;
let expectedIds: string[];

beforeAll(async () => {
  standIns = await startStandIns({ ports: freeStandInPorts });
  issuer = await startDevIssuer({ port: 0 });
  cosmos = new CosmosClient({
    endpoint: standIns.cosmosEndpoint,
    key: standIns.cosmosKey,
    agent: new https.Agent({ ca: readFileSync(standIns.caCertPath) }),
  });
  database = (await cosmos.databases.createIfNotExists({ id: DATABASE })).database;
  const { daus } = await ensureCatalogContainers(database);
  for (const dau of CATALOG_DAUS) await daus.items.upsert(dau);
  const store = new CosmosCatalogStore(database);
  let continuation: string | undefined;
  for await (const page of store.readChanges(undefined)) continuation = page.continuation;
  const files: IndexedFile[] = [];
  for (const file of generateCatalogFiles({ files: FILES, seed: 3 })) files.push(toIndexedFile(file));
  const index = CatalogIndex.build(files, CATALOG_DAUS);
  const selection = selectionSchema.parse({ tab: 'study', rowIds: [...DATASET_CODES] });
  const resolved = index.resolveSelection(selection, new Set());
  expectedIds = Array.from(resolved.files, (position) => index.file(position).id);
  const { head, parts } = encodeSnapshot(files, {
    snapshotId: 'big-selection-test',
    continuation: continuation!,
    indexVersion: index.version,
    takenAt: new Date().toISOString(),
  });
  await store.writeSnapshot(head, parts);
  await seedPersonaProfiles(database);
  host = await startHost({
    appDir: path.resolve(__dirname, '..', '..'),
    port: 0,
    env: { ...standIns.env, ...issuer.env, CosmosDb__databaseName: DATABASE, CATALOG_REFRESH_SECONDS: '0' },
    // A submit starts durable work (the requester's mail), as on every Functions host.
    extensions: [createDurableExtension()],
    log: () => undefined,
  });
}, 120_000);

afterAll(async () => {
  await host?.close();
  await issuer?.close();
  cosmos?.dispose();
  await standIns?.close();
});

async function call(
  method: string,
  target: string,
  token: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${host!.url}${target}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return {
    status: response.status,
    etag: response.headers.get('etag'),
    body: (await response.json()) as Reply['body'],
  };
}

describe('a selection of 200,000 files', () => {
  it('is frozen at submit as a gzip manifest of every file id, with its SHA-256', async () => {
    expect(expectedIds.length).toBeGreaterThanOrEqual(FILES);
    const token = await issuer.mintToken(personaClaims(findPersona('us-requester')));
    const created = await call('POST', '/api/requests', token, { tab: 'study', rowIds: [...DATASET_CODES] });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.selection.counts.files).toBe(expectedIds.length);
    const filled = await call(
      'PATCH',
      `/api/requests/${created.body.id}`,
      token,
      { answers: completeAnswers() },
      { 'if-match': created.etag! },
    );
    expect(filled.status).toBe(200);
    const started = performance.now();
    const submitted = await call('POST', `/api/requests/${created.body.id}/submit`, token, undefined, {
      'if-match': filled.etag!,
    });
    const seconds = (performance.now() - started) / 1000;
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(200);
    const frozen = submitted.body.selection.frozen;
    expect(frozen.files).toBe(expectedIds.length);
    const blobs = createBlobServiceClient(
      parseSettings({ ...standIns.env, ...issuer.env, CosmosDb__databaseName: DATABASE }),
    );
    const bytes = await blobs
      .getContainerClient(dataBlobContainers.selections)
      .getBlobClient(frozen.blobName)
      .downloadToBuffer();
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(frozen.sha256);
    const ids = gunzipSync(bytes).toString('utf8').trimEnd().split('\n');
    expect(ids).toEqual(expectedIds);
    console.log(
      `submit froze ${frozen.files} ids (${(bytes.length / 1024).toFixed(0)} KiB gzip) in ${seconds.toFixed(2)} s`,
    );
  });
});

describe('the selection archive', () => {
  it('streams a 1,000,000-id manifest into Blob Storage and reads it back in order', async () => {
    // Measured alone: the host's lifecycle work for the requests above would share this process's heap.
    await host?.close();
    host = undefined;
    const settings = parseSettings({ ...standIns.env, ...issuer.env, CosmosDb__databaseName: DATABASE });
    const blobs = createBlobServiceClient(settings);
    const archive = new BlobSelectionArchive(() => blobs.getContainerClient(dataBlobContainers.selections));
    function* ids(): Generator<string> {
      for (let index = 0; index < 1_000_000; index += 1) yield `file-${String(index).padStart(24, '0')}`;
    }
    const before = process.memoryUsage().heapUsed;
    const frozen = await archive.freeze('million', ids());
    const grown = process.memoryUsage().heapUsed - before;
    expect(frozen.files).toBe(1_000_000);
    const bytes = await blobs
      .getContainerClient(dataBlobContainers.selections)
      .getBlobClient(frozen.blobName)
      .downloadToBuffer();
    expect(bytes.length).toBe(frozen.compressedBytes);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(frozen.sha256);
    let count = 0;
    for await (const id of archive.read(frozen.blobName)) {
      if (count % 99_991 === 0) expect(id).toBe(`file-${String(count).padStart(24, '0')}`);
      count += 1;
    }
    expect(count).toBe(1_000_000);
    // 1,000,000 ids are ~30 MB as text; streaming keeps far less than that on the heap.
    expect(grown).toBeLessThan(30 * 1024 * 1024);
  }, 60_000);
});
