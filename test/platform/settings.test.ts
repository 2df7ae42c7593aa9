/**
 * The platform settings (Cosmos DB, Blob Storage, local CA): a missing or malformed one fails at start
 * naming the setting; emulator keys are optional because Azure uses the managed identity.
 */
import { describe, expect, it } from 'vitest';
import { parseSettings, SettingsError } from '../../shared/config/settings';
import { exampleSettings } from './support';

function without(name: string): Record<string, string> {
  return Object.fromEntries(Object.entries(exampleSettings).filter(([key]) => key !== name));
}

describe('parseSettings (platform settings)', () => {
  it('accepts the example settings and treats empty optional values as absent', () => {
    const settings = parseSettings({ ...exampleSettings, AZURE_CLIENT_ID: '  ', LOCAL_CA_CERT_PATH: '' });
    expect(settings.CosmosDb__accountEndpoint).toBe('https://localhost:8081/');
    expect(settings.AZURE_CLIENT_ID).toBeUndefined();
    expect(settings.LOCAL_CA_CERT_PATH).toBeUndefined();
  });

  it('takes a Key Vault reference the platform could not resolve as no value, never as the secret', () => {
    const reference = '@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/connect-hmac)';
    const settings = parseSettings({ ...exampleSettings, DocuSign__connectHmacKeys: reference });
    expect(settings.DocuSign__connectHmacKeys).toEqual([]);
    expect(() => parseSettings({ ...exampleSettings, CosmosDb__databaseName: reference })).toThrow(
      /CosmosDb__databaseName is an unresolved Key Vault reference/,
    );
  });

  it('names a missing endpoint', () => {
    expect(() => parseSettings(without('CosmosDb__accountEndpoint'))).toThrow(
      /CosmosDb__accountEndpoint is missing/,
    );
    expect(() => parseSettings(without('DataStorage__blobServiceUri'))).toThrow(
      /DataStorage__blobServiceUri is missing/,
    );
  });

  it('names every missing setting at once', () => {
    const settings = without('CosmosDb__databaseName');
    delete settings.CosmosDb__accountEndpoint;
    expect(() => parseSettings(settings)).toThrow(
      /CosmosDb__accountEndpoint is missing.*CosmosDb__databaseName is missing/,
    );
  });

  it('refuses a malformed URL or a non-HTTP scheme, naming the setting', () => {
    expect(() => parseSettings({ ...exampleSettings, CosmosDb__accountEndpoint: 'localhost:8081' })).toThrow(
      /CosmosDb__accountEndpoint is invalid/,
    );
    expect(() =>
      parseSettings({ ...exampleSettings, DataStorage__blobServiceUri: 'ftp://127.0.0.1/devstoreaccount1' }),
    ).toThrow(/DataStorage__blobServiceUri is invalid/);
  });

  it('refuses a database name Cosmos DB would not accept', () => {
    expect(() => parseSettings({ ...exampleSettings, CosmosDb__databaseName: 'a/b' })).toThrow(
      /CosmosDb__databaseName is invalid/,
    );
  });

  it('refuses a storage key without its account name (and the reverse)', () => {
    expect(() => parseSettings(without('DataStorage__accountName'))).toThrow(SettingsError);
    expect(() => parseSettings(without('DataStorage__accountName'))).toThrow(
      /DataStorage__accountName and DataStorage__accountKey must be set together/,
    );
    expect(() => parseSettings(without('DataStorage__accountKey'))).toThrow(/must be set together/);
  });

  it('accepts identity-based settings without any key (Azure)', () => {
    const settings = without('CosmosDb__accountKey');
    delete settings.DataStorage__accountName;
    delete settings.DataStorage__accountKey;
    delete settings.LOCAL_CA_CERT_PATH;
    const parsed = parseSettings({ ...settings, AZURE_CLIENT_ID: '00000000-0000-0000-0000-000000000001' });
    expect(parsed.CosmosDb__accountKey).toBeUndefined();
    expect(parsed.AZURE_CLIENT_ID).toBe('00000000-0000-0000-0000-000000000001');
  });
});
