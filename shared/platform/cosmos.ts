import { readFileSync } from 'node:fs';
import https from 'node:https';
import { CosmosClient } from '@azure/cosmos';
import type { Settings } from '../config/settings';
import { getAzureCredential } from './azure-credential';

/**
 * The Cosmos DB client for the configured account: the account key when one is set (the local emulator
 * or stand-in), otherwise the managed identity. With LOCAL_CA_CERT_PATH set, TLS trusts exactly that
 * certificate authority (the local stand-ins' CA) — nothing else, and nothing process-wide.
 */
export function createCosmosClient(settings: Settings): CosmosClient {
  const key = settings.CosmosDb__accountKey;
  return new CosmosClient({
    endpoint: settings.CosmosDb__accountEndpoint,
    ...(key !== undefined ? { key } : { aadCredentials: getAzureCredential(settings) }),
    agent: localCaAgent(settings),
  });
}

function localCaAgent(settings: Settings): https.Agent | undefined {
  if (settings.LOCAL_CA_CERT_PATH === undefined) return undefined;
  return new https.Agent({ ca: readFileSync(settings.LOCAL_CA_CERT_PATH), keepAlive: true });
}
