import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';
import type { Settings } from '../config/settings';

/**
 * The one Azure credential of the process, shared by every Azure client (Cosmos DB, Blob Storage, ...).
 *
 * `@azure/identity` is loaded on the first token request, not at start: locally (emulator keys) it is
 * never needed, and in Azure it stays off the cold-start path until a client first talks to a service.
 * With AZURE_CLIENT_ID set, the user-assigned managed identity of that id is used.
 */
class LazyDefaultAzureCredential implements TokenCredential {
  private credential: Promise<TokenCredential> | undefined;

  constructor(private readonly managedIdentityClientId: string | undefined) {}

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
    this.credential ??= import('@azure/identity').then(
      ({ DefaultAzureCredential }) =>
        new DefaultAzureCredential(
          this.managedIdentityClientId === undefined
            ? {}
            : { managedIdentityClientId: this.managedIdentityClientId },
        ),
    );
    return (await this.credential).getToken(scopes, options);
  }
}

let shared: TokenCredential | undefined;

export function getAzureCredential(settings: Pick<Settings, 'AZURE_CLIENT_ID'>): TokenCredential {
  shared ??= new LazyDefaultAzureCredential(settings.AZURE_CLIENT_ID);
  return shared;
}
