/**
 * infra/ agrees with the code: settings, Cosmos DB and blob containers, roles, the security baseline. The Bicep
 * CLI is not available here, so tree-sitter-bicep parses the files (syntax) and test/infra/infra-check.ts
 * compares what they declare with what the code uses. Each kind of drift is played on a copy of the Bicep text
 * to show that the check names it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { settingsSchema } from '../../shared/config/settings';
import { cosmosContainers } from '../../shared/platform/storage-layout';
import { BicepSyntaxError, parseBicep } from './bicep';
import { checkInfra, loadInfra, localOnlySettings, type InfraFiles } from './infra-check';

const root = path.resolve(__dirname, '../..');
const read = (name: string): string => readFileSync(path.join(root, name), 'utf8');
const files: InfraFiles = {
  main: read('infra/main.bicep'),
  roles: read('infra/azure/role-assignments.bicep'),
  parameters: read('infra/main.parameters.json'),
  hostJson: read('host.json'),
};

/** `text` with `from` replaced once; fails when `from` is not there, so a stale edit never passes silently. */
function edit(text: string, from: string | RegExp, to: string): string {
  const found = typeof from === 'string' ? text.includes(from) : from.test(text);
  if (!found) throw new Error(`edit: ${String(from)} is not in the text`);
  return text.replace(from, to);
}

async function problemsAfter(change: Partial<InfraFiles>, schema?: z.ZodObject): Promise<string[]> {
  return checkInfra({ ...files, ...change }, schema === undefined ? {} : { schema });
}

describe('infra/ agrees with the code', () => {
  beforeAll(async () => {
    await parseBicep("targetScope = 'subscription'"); // loads the grammar once
  });

  it('parses both Bicep files without a syntax error', async () => {
    await expect(parseBicep(files.main)).resolves.toBeDefined();
    await expect(parseBicep(files.roles)).resolves.toBeDefined();
    await expect(parseBicep('param x string = \n')).rejects.toBeInstanceOf(BicepSyntaxError);
  });

  it('has no drift', async () => {
    expect(await checkInfra(files)).toEqual([]);
  });

  it('sets every setting of the schema except the explicit local-only ones, and nothing else', async () => {
    const { appSettings } = await loadInfra(files);
    const expected = Object.keys(settingsSchema.shape).filter((name) => !(name in localOnlySettings));
    for (const name of expected) expect(Object.keys(appSettings)).toContain(name);
    for (const name of Object.keys(localOnlySettings)) expect(Object.keys(appSettings)).not.toContain(name);
  });

  it('declares every Cosmos container of the code', async () => {
    const { main } = await loadInfra(files);
    const text = JSON.stringify(main.variables.get('cosmosContainers'));
    for (const spec of Object.values(cosmosContainers)) expect(text).toContain(`"name":"${spec.id}"`);
  });

  it('assigns the app identity only ServicePrincipal roles, one per resource and role', async () => {
    const { assignments } = await loadInfra(files);
    const app = assignments
      .filter((item) => item.principal === 'app')
      .map((item) => `${item.role} on ${item.target}`);
    expect(new Set(app).size).toBe(app.length);
    expect(app).toContain('Storage Blob Delegator on dataStorage');
    expect(app).toContain('Cosmos DB Built-in Data Contributor on cosmos');
  });
});

describe('the check names each kind of drift', () => {
  it('a Cosmos container the code uses is missing', async () => {
    const main = edit(files.main, "  { name: 'grants', paths: ['/userId'] }\n", '');
    expect(await problemsAfter({ main })).toEqual([
      expect.stringMatching(
        /Cosmos container 'grants' \(shared\/platform\/storage-layout\.ts\) is not declared/,
      ),
    ]);
  });

  it('a partition key, a TTL or the indexing policy differs', async () => {
    let main = edit(
      files.main,
      "{ name: 'requests', paths: ['/ownerId'] }",
      "{ name: 'requests', paths: ['/id'] }",
    );
    main = edit(main, "paths: ['/envelopeId'], defaultTtl: -1 }", "paths: ['/envelopeId'] }");
    main = edit(main, "includedPaths: [{ path: '/sampleName/?' }]", "includedPaths: [{ path: '/*' }]");
    const problems = await problemsAfter({ main });
    expect(problems).toContainEqual(
      expect.stringMatching(/'requests' has partition key \['\/id'\] but the code uses '\/ownerId'/),
    );
    expect(problems).toContainEqual(expect.stringMatching(/'envelopes' has TTL .* but the code expects -1/));
    expect(problems).toContainEqual(expect.stringMatching(/'catalogFiles' has indexing policy/));
    expect(problems).toHaveLength(3);
  });

  it('a container the code does not use is declared', async () => {
    const main = edit(
      files.main,
      "  { name: 'grants',",
      "  { name: 'leases', paths: ['/id'] }\n  { name: 'grants',",
    );
    expect(await problemsAfter({ main })).toEqual([
      expect.stringMatching(/Cosmos container 'leases' is declared but not used/),
    ]);
  });

  it('a blob container is missing or public', async () => {
    let main = edit(files.main, "{ name: 'selections', publicAccess: 'None' }", '');
    main = edit(
      main,
      "{ name: 'documents', publicAccess: 'None' }",
      "{ name: 'documents', publicAccess: 'Blob' }",
    );
    const problems = await problemsAfter({ main });
    expect(problems).toContainEqual(
      expect.stringMatching(/Blob container 'selections' .* is not declared on dataStorage/),
    );
    expect(problems).toContainEqual(
      expect.stringMatching(/Blob container 'documents' must set publicAccess: 'None'/),
    );
  });

  it('a setting of the schema is missing from the app settings', async () => {
    const main = edit(files.main, "          Email__sendTimeoutSeconds: '60'\n", '');
    expect(await problemsAfter({ main })).toEqual([
      expect.stringMatching(/setting Email__sendTimeoutSeconds \(shared\/config\/settings\.ts\) is not set/),
    ]);
  });

  it('a new setting in the schema (e.g. the link-signing key of a later issue) fails until the Bicep sets it', async () => {
    const schema = settingsSchema.extend({ LINK_SIGNING_KEY: z.string() });
    expect(await problemsAfter({}, schema)).toEqual([
      expect.stringMatching(/setting LINK_SIGNING_KEY .* is not set/),
    ]);
  });

  it('an app setting nothing reads, a local-only setting, an invalid literal, or an inline secret', async () => {
    let main = edit(
      files.main,
      "          CATALOG_REFRESH_SECONDS: '5'\n",
      "          CATALOG_REFRESH_SECONDS: 'soon'\n          FEATURE_X: 'on'\n          CosmosDb__accountKey: 'k'\n",
    );
    main = edit(
      main,
      /DocuSign__privateKey: '[^\n]*'/,
      "DocuSign__privateKey: '-----BEGIN PRIVATE KEY-----'",
    );
    const problems = await problemsAfter({ main });
    expect(problems).toContainEqual(
      expect.stringMatching(/app setting FEATURE_X is set by infra\/main\.bicep but nothing reads it/),
    );
    expect(problems).toContainEqual(expect.stringMatching(/app setting CosmosDb__accountKey is local only/));
    expect(problems).toContainEqual(expect.stringMatching(/CATALOG_REFRESH_SECONDS = 'soon' is refused/));
    expect(problems).toContainEqual(
      expect.stringMatching(/DocuSign__privateKey holds a secret: it must be a Key Vault reference/),
    );
  });

  it('a role the code needs is missing, or one it does not need is granted', async () => {
    let roles = edit(files.roles, '  roles.storageBlobDelegator\n', '');
    roles = edit(
      roles,
      "roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)",
      "roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsOfficer)",
    );
    const problems = await problemsAfter({ roles });
    expect(problems).toContainEqual(
      expect.stringMatching(
        /role Storage Blob Delegator on dataStorage \(DataStorage__blobServiceUri: .*user-delegation SAS/,
      ),
    );
    expect(problems).toContainEqual(
      expect.stringMatching(/role Key Vault Secrets User on keyVault .* is not assigned/),
    );
    expect(problems).toContainEqual(
      expect.stringMatching(
        /role Key Vault Secrets Officer on keyVault is assigned .* nothing in the code needs it/,
      ),
    );
    // The name no longer carries the role it grants.
    expect(problems).toContainEqual(expect.stringMatching(/role assignment appSecrets must be named guid/));
  });

  it('the Cosmos data-plane role is missing', async () => {
    const roles = edit(files.roles, /\/\/ Scoped to the app's database[\s\S]*?\n}\n/, '');
    expect(await problemsAfter({ roles })).toEqual([
      expect.stringMatching(/role Cosmos DB Built-in Data Contributor on cosmos \(CosmosDb__accountEndpoint/),
    ]);
  });

  it('local auth, an unpinned module, missing diagnostics or a missing parameter', async () => {
    let main = edit(files.main, 'allowSharedKeyAccess: false', 'allowSharedKeyAccess: true');
    main = edit(
      main,
      "'br/public:avm/res/key-vault/vault:0.14.0'",
      "'br/public:avm/res/key-vault/vault:0.14'",
    );
    main = edit(
      main,
      'enableVaultForTemplateDeployment: false\n    diagnosticSettings: diagnostics\n',
      'enableVaultForTemplateDeployment: false\n',
    );
    main = edit(main, 'disableLocalAuthentication: true', 'disableLocalAuthentication: false');
    const parameters = edit(files.parameters, '"authIssuer": { "value": "${AUTH_ISSUER}" },', '');
    const problems = await problemsAfter({ main, parameters });
    expect(problems).toContainEqual('storage account dataStorage must set allowSharedKeyAccess: false');
    expect(problems).toContainEqual(
      expect.stringMatching(/module keyVault must use a pinned Azure Verified Module version/),
    );
    expect(problems).toContainEqual('keyVault must send diagnostic settings to Log Analytics');
    expect(problems).toContainEqual('Cosmos DB account cosmos must set disableLocalAuthentication: true');
    expect(problems).toContainEqual(expect.stringMatching(/parameter authIssuer has no default/));
  });
});
