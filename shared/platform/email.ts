import { readFileSync } from 'node:fs';
import type { EmailClient, EmailClientOptions } from '@azure/communication-email';
import type { Settings } from '../config/settings';
import { getAzureCredential } from './azure-credential';

/**
 * The ACS Email client for the configured resource, loaded on first use (the SDK stays off the cold-start
 * path). In Azure: `Email__endpoint` with the shared managed-identity credential. Locally:
 * `Email__connectionString` (HMAC access key) pointing at the stand-in, whose TLS is trusted through
 * LOCAL_CA_CERT_PATH for this client only.
 */
export async function createEmailClient(settings: Settings): Promise<EmailClient> {
  const { EmailClient: Client } = await import('@azure/communication-email');
  const options: EmailClientOptions =
    settings.LOCAL_CA_CERT_PATH === undefined
      ? {}
      : { tlsOptions: { ca: readFileSync(settings.LOCAL_CA_CERT_PATH) } };
  if (settings.Email__connectionString !== undefined)
    return new Client(settings.Email__connectionString, options);
  if (settings.Email__endpoint !== undefined) {
    return new Client(settings.Email__endpoint, getAzureCredential(settings), options);
  }
  throw new Error('Email is not configured: set Email__endpoint (Azure) or Email__connectionString (local)');
}
