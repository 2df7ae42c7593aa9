/**
 * azd `postprovision` hook (azure.yaml): writes local.settings.azure.json (gitignored), the app's settings for
 * running it on your machine against the resources just provisioned, signed in as yourself (`az login`; the
 * Bicep gives AZURE_PRINCIPAL_ID the app's data roles). Use it with Core Tools:
 *
 *   cp local.settings.azure.json local.settings.json && npm run build && func start
 *
 * No secret is written: the DocuSign private key and Connect HMAC keys stay in Key Vault (add them to your
 * local.settings.json by hand only if you need the electronic route locally). The task hub gets its own name,
 * so a local host never takes work from the one in Azure.
 *
 *   npx tsx infra/azure/hooks/postprovision.ts     (azd passes its environment's values as variables)
 */
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..', '..');
export const localSettingsFile = path.join(root, 'local.settings.azure.json');

/** Outputs of infra/main.bicep this hook reads (test/infra checks that the Bicep declares each). */
export const requiredOutputs = [
  'COSMOS_ENDPOINT',
  'COSMOS_DATABASE_NAME',
  'DATA_STORAGE_BLOB_ENDPOINT',
  'DATA_STORAGE_QUEUE_ENDPOINT',
  'DATA_STORAGE_TABLE_ENDPOINT',
  'ACS_ENDPOINT',
  'AZURE_EMAIL_SENDER',
] as const;

/** azd environment values the operator sets before provisioning (infra/main.parameters.json). */
export const requiredParameters = ['AUTH_ISSUER', 'AUTH_AUDIENCE', 'AUTH_JWKS_URI'] as const;

/** Task hub of local runs against Azure; the deployed app's is `DataRequests` (infra/main.bicep). */
export const localTaskHub = 'DataRequestsLocal';

export interface LocalSettings {
  readonly IsEncrypted: false;
  readonly Values: Record<string, string>;
  readonly Host: Record<string, unknown>;
}

/** The settings file for `env` (azd's values); throws naming every missing value. */
export function localSettingsFromEnv(env: NodeJS.ProcessEnv, host: Record<string, unknown>): LocalSettings {
  const missing = [...requiredOutputs, ...requiredParameters].filter((name) => !env[name]?.trim());
  if (missing.length > 0) {
    throw new Error(`Missing azd environment values: ${missing.join(', ')} (run azd provision first)`);
  }
  const value = (name: string): string => env[name]!.trim();
  const optional = (settings: Record<string, string | undefined>): Record<string, string> =>
    Object.fromEntries(
      Object.entries(settings).filter((entry): entry is [string, string] => Boolean(entry[1]?.trim())),
    );
  return {
    IsEncrypted: false,
    Values: {
      FUNCTIONS_WORKER_RUNTIME: 'node',
      // Identity-based host storage: your own sign-in (no __credential means the developer credential chain).
      AzureWebJobsStorage__blobServiceUri: value('DATA_STORAGE_BLOB_ENDPOINT'),
      AzureWebJobsStorage__queueServiceUri: value('DATA_STORAGE_QUEUE_ENDPOINT'),
      AzureWebJobsStorage__tableServiceUri: value('DATA_STORAGE_TABLE_ENDPOINT'),
      TASKHUB_NAME: localTaskHub,
      CATALOG_REFRESH_SECONDS: '5',
      CosmosDb__accountEndpoint: value('COSMOS_ENDPOINT'),
      CosmosDb__databaseName: value('COSMOS_DATABASE_NAME'),
      DataStorage__blobServiceUri: value('DATA_STORAGE_BLOB_ENDPOINT'),
      AUTH__issuer: value('AUTH_ISSUER'),
      AUTH__audience: value('AUTH_AUDIENCE'),
      AUTH__jwksUri: value('AUTH_JWKS_URI'),
      Email__endpoint: value('ACS_ENDPOINT'),
      Email__senderAddress: value('AZURE_EMAIL_SENDER'),
      ...optional({
        Email__replyTo: env.EMAIL_REPLY_TO,
        DocuSign__oAuthBasePath: env.DOCUSIGN_OAUTH_BASE_PATH,
        DocuSign__integrationKey: env.DOCUSIGN_INTEGRATION_KEY,
        DocuSign__userId: env.DOCUSIGN_USER_ID,
      }),
    },
    Host: host,
  };
}

function main(): void {
  const example = JSON.parse(fs.readFileSync(path.join(root, 'local.settings.example.json'), 'utf8')) as {
    Host?: Record<string, unknown>;
  };
  const settings = localSettingsFromEnv(process.env, example.Host ?? {});
  fs.writeFileSync(localSettingsFile, `${JSON.stringify(settings, null, 2)}\n`);
  const vault = process.env.AZURE_KEY_VAULT_NAME ?? '<AZURE_KEY_VAULT_NAME>';
  console.log(
    [
      `Wrote ${path.relative(root, localSettingsFile)} (run locally against Azure: copy it to local.settings.json, then func start).`,
      `API: ${process.env.API_BASE_URL ?? '(deploy with azd deploy)'}`,
      'Secrets the app reads from Key Vault (set them once; README "Deploy to Azure"):',
      `  az keyvault secret set --vault-name ${vault} --name docusign-private-key --file private.pem`,
      `  az keyvault secret set --vault-name ${vault} --name docusign-connect-hmac-keys --value '<key>'`,
      `  az keyvault secret set --vault-name ${vault} --name review-link-signing-key --value "$(openssl rand -base64 48)"`,
    ].join('\n'),
  );
}

if (require.main === module) {
  try {
    main();
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  }
}
