import { promises as fs } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { CosmosClient } from '@azure/cosmos';
import {
  startCosmosStandIn,
  type CosmosStandIn,
  type CosmosStandInOptions,
} from '../../infra/local/standins/cosmos';
import { ensureLocalCertificates, type LocalCertificates } from '../../infra/local/standins/tls';

export async function temporaryDirectory(prefix: string): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), `${prefix}-`));
}

/** The CA shared by the tests of one file (created once, in a temp dir). */
let certificates: Promise<LocalCertificates> | undefined;
export function testCertificates(): Promise<LocalCertificates> {
  certificates ??= temporaryDirectory('standins-ca').then((dir) => ensureLocalCertificates(dir));
  return certificates;
}

export async function startCosmos(options: Partial<CosmosStandInOptions> = {}): Promise<CosmosStandIn> {
  const { serverCertPem, serverKeyPem } = await testCertificates();
  return startCosmosStandIn({ port: 0, tls: { cert: serverCertPem, key: serverKeyPem }, ...options });
}

/** A real SDK client trusting exactly the test CA. */
export async function cosmosClientFor(endpoint: string, key: string): Promise<CosmosClient> {
  const { caPem } = await testCertificates();
  return new CosmosClient({ endpoint, key, agent: new https.Agent({ ca: caPem, keepAlive: true }) });
}
