/**
 * GET /api/health against running stand-ins: the exported handler with the real composition root and
 * settings, and the same handler over probes whose dependency is down, unreachable or hanging.
 */
import net, { type AddressInfo } from 'node:net';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHealthHandler, health } from '../../functions/health';
import { startAzurite, storageEmulatorAccount, type Azurite } from '../../infra/local/standins/azurite';
import type { CosmosStandIn } from '../../infra/local/standins/cosmos';
import { endpointsOf, standInSettings } from '../../infra/local/standins/index';
import { getCosmosDatabase } from '../../shared/composition-root';
import { SettingsError } from '../../shared/config/settings';
import { blobStorageProbe, cosmosDatabaseProbe } from '../../shared/platform/dependency-probes';
import { cosmosClientFor, startCosmos, testCertificates } from '../standins/support';
import { call, exampleSettings } from './support';

const url = 'http://localhost:7071/api/health';
let cosmos: CosmosStandIn;
let azurite: Azurite;
let hanging: net.Server;
const hangingSockets = new Set<net.Socket>();

beforeAll(async () => {
  [cosmos, azurite] = await Promise.all([
    startCosmos(),
    startAzurite({ ports: { blob: 0, queue: 0, table: 0 } }),
  ]);
  const { caCertPath } = await testCertificates();
  const env = standInSettings(endpointsOf(cosmos, azurite, caCertPath));
  Object.assign(process.env, exampleSettings, env, { CosmosDb__databaseName: 'health' });
  await (await cosmosClientFor(cosmos.endpoint, cosmos.key)).databases.create({ id: 'health' });
  // Accepts connections and never answers.
  hanging = net.createServer((socket) => hangingSockets.add(socket));
  await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  hangingSockets.forEach((socket) => socket.destroy());
  await Promise.all([cosmos.close(), azurite.close(), new Promise((resolve) => hanging.close(resolve))]);
});

function blobClientAt(endpoint: string): BlobServiceClient {
  const { name, key } = storageEmulatorAccount;
  return new BlobServiceClient(endpoint, new StorageSharedKeyCredential(name, key));
}

describe('GET /api/health', () => {
  it('answers 200 with every dependency up and its latency', async () => {
    const { response } = await call(health, url);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toEqual({
      status: 'ok',
      dependencies: {
        cosmos: { status: 'up', latencyMs: expect.any(Number) as number },
        blobStorage: { status: 'up', latencyMs: expect.any(Number) as number },
      },
    });
  });

  it('answers 503 naming blob storage when it is unreachable', async () => {
    const stopped = await startAzurite({ ports: { blob: 0, queue: 0, table: 0 } });
    await stopped.close();
    const handler = createHealthHandler(
      () => [cosmosDatabaseProbe(getCosmosDatabase()), blobStorageProbe(blobClientAt(stopped.blobEndpoint))],
      1000,
    );
    const { response, logs } = await call(handler, url);
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({
      status: 'unavailable',
      failing: ['blobStorage'],
      dependencies: { cosmos: { status: 'up' }, blobStorage: { status: 'down' } },
    });
    // Connection refused; the Blob SDK retries it, so the probe may run out of time first.
    expect(logs.join('\n')).toMatch(/blobStorage \((unreachable|timeout)\)/);
  });

  it('answers 503 with a timeout when a dependency hangs, within the time limit', async () => {
    const { port } = hanging.address() as AddressInfo;
    const handler = createHealthHandler(
      () => [blobStorageProbe(blobClientAt(`http://127.0.0.1:${port}/devstoreaccount1`))],
      300,
    );
    const started = Date.now();
    const { response } = await call(handler, url);
    expect(Date.now() - started).toBeLessThan(2500); // the 300 ms limit, not the client's own retries
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({
      failing: ['blobStorage'],
      dependencies: { blobStorage: { status: 'down', reason: 'timeout' } },
    });
  });

  it('answers 503 naming cosmos when the database does not exist', async () => {
    const client = await cosmosClientFor(cosmos.endpoint, cosmos.key);
    const handler = createHealthHandler(() => [cosmosDatabaseProbe(client.database('missing'))]);
    const { response } = await call(handler, url);
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({
      failing: ['cosmos'],
      dependencies: { cosmos: { status: 'down', reason: 'http-404' } },
    });
  });

  it('answers 503 without details when the dependency clients cannot be built', async () => {
    const handler = createHealthHandler(() => {
      throw new SettingsError('Invalid settings: CosmosDb__accountEndpoint is missing');
    });
    const { response, logs } = await call(handler, url);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: 'unavailable', failing: ['configuration'] });
    expect(logs.join('\n')).toContain('SettingsError');
  });

  it('answers 503 naming cosmos once the Cosmos DB service is gone, with no secrets or stack traces', async () => {
    await cosmos.close();
    const { response } = await call(health, url);
    expect(response.status).toBe(503);
    const text = await response.text();
    const body = JSON.parse(text) as { failing: string[]; dependencies: Record<string, { status: string }> };
    expect(body.failing).toEqual(['cosmos']);
    expect(body.dependencies.blobStorage?.status).toBe('up');
    expect(text).not.toContain(cosmos.key);
    expect(text).not.toContain(storageEmulatorAccount.key);
    expect(text).not.toMatch(/ at |Error|127\.0\.0\.1/);
  });
});
