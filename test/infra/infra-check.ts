/**
 * Checks infra/ against the code: every problem is a sentence naming what drifted. Inputs are file texts, so a
 * test can delete a container or a setting from the Bicep and see the check name it.
 *
 * What the code expects comes from the code: the settings schema (shared/config/settings.ts), the containers
 * (shared/platform/storage-layout.ts, the catalog's indexing policy), and the roles each connection setting
 * implies (`connectionRoles` below: a setting that points at a resource needs these roles on it).
 */
import { isDeepStrictEqual } from 'node:util';
import type { z } from 'zod';
import { FILES_INDEXING_POLICY } from '../../shared/catalog/adapters/cosmos-catalog-store';
import { settingsSchema } from '../../shared/config/settings';
import { cosmosContainers, dataBlobContainers } from '../../shared/platform/storage-layout';
import { at, Expr, isObject, parseBicep, render, type BicepFile, type Value } from './bicep';

/**
 * Settings of the schema that only a local run sets. In Azure each is absent and the managed identity (or the
 * real endpoint) is used instead; setting one there is an error.
 */
export const localOnlySettings: Readonly<Record<string, string>> = {
  CosmosDb__accountKey: 'key of the Cosmos DB stand-in or emulator',
  DataStorage__accountName: 'Azurite account name',
  DataStorage__accountKey: 'Azurite account key',
  LOCAL_CA_CERT_PATH: "certificate authority of the local HTTPS stand-ins (the test's CA, never in Azure)",
  Email__connectionString:
    'access key of the ACS Email stand-in; Azure uses Email__endpoint with the identity',
};

/** Settings that hold secrets: in Azure only ever Key Vault references. */
export const secretSettings = ['DocuSign__privateKey', 'DocuSign__connectHmacKeys'];

/** App settings read by the Functions host and telemetry rather than by the settings schema. */
const platformSettings = [
  /^AzureWebJobsStorage__/,
  /^APPLICATIONINSIGHTS_CONNECTION_STRING$/,
  /^APPLICATIONINSIGHTS_AUTHENTICATION_STRING$/,
];

/** Built-in role definition ids (the same in every tenant) and their names. */
export const builtInRoles: Readonly<Record<string, string>> = {
  'ba92f5b4-2d11-453d-a403-e96b0029c9fe': 'Storage Blob Data Contributor',
  'db58b8e5-c6ad-4a2a-8342-4190687cbf4a': 'Storage Blob Delegator',
  '974c5e8b-45b9-4653-ba55-5f855dd0fb88': 'Storage Queue Data Contributor',
  '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3': 'Storage Table Data Contributor',
  '09976791-48a7-449e-bb21-39d1a415f350': 'Communication and Email Service Owner',
  '4633458b-17de-408a-b874-0445c86b69e6': 'Key Vault Secrets User',
  'b86a8fe4-44ce-4948-aee5-eccb2c155cd7': 'Key Vault Secrets Officer',
  '3913510d-42f4-4e42-8a64-420c390055eb': 'Monitoring Metrics Publisher',
  '00000000-0000-0000-0000-000000000002': 'Cosmos DB Built-in Data Contributor',
};

/** The roles the app's identity needs on the resource a connection setting points at, and why. */
export const connectionRoles: Readonly<Record<string, { roles: string[]; why: string }>> = {
  CosmosDb__accountEndpoint: {
    roles: ['Cosmos DB Built-in Data Contributor'],
    why: 'items, queries, change feed (shared/platform/cosmos.ts)',
  },
  DataStorage__blobServiceUri: {
    roles: ['Storage Blob Data Contributor', 'Storage Blob Delegator'],
    why: 'documents and selections, user-delegation SAS links (shared/platform/blob.ts)',
  },
  AzureWebJobsStorage__blobServiceUri: {
    roles: ['Storage Blob Data Contributor'],
    why: 'Functions host leases, Durable task hub blobs',
  },
  AzureWebJobsStorage__queueServiceUri: {
    roles: ['Storage Queue Data Contributor'],
    why: 'Durable task hub queues',
  },
  AzureWebJobsStorage__tableServiceUri: {
    roles: ['Storage Table Data Contributor'],
    why: 'Durable task hub history and instances',
  },
  Email__endpoint: {
    roles: ['Communication and Email Service Owner'],
    why: 'sending mail (shared/platform/email.ts)',
  },
};

/** Indexing policies the code creates containers with (local stand-ins); absent: Cosmos DB's default. */
const codeIndexingPolicies: Readonly<Record<string, unknown>> = { catalogFiles: FILES_INDEXING_POLICY };

const avmSource = /^br\/public:avm\/(res|ptn|utl)\/[a-z0-9-]+(\/[a-z0-9-]+)+:\d+\.\d+\.\d+$/;
const moduleKinds = {
  site: 'br/public:avm/res/web/site:',
  storage: 'br/public:avm/res/storage/storage-account:',
  cosmos: 'br/public:avm/res/document-db/database-account:',
  keyVault: 'br/public:avm/res/key-vault/vault:',
  communication: 'br/public:avm/res/communication/communication-service:',
  appInsights: 'br/public:avm/res/insights/component:',
  identity: 'br/public:avm/res/managed-identity/user-assigned-identity:',
};

export interface InfraFiles {
  readonly main: string;
  readonly roles: string;
  /** infra/main.parameters.json */
  readonly parameters: string;
  /** host.json */
  readonly hostJson: string;
}

export interface CheckOptions {
  /** The settings schema (default: the app's); a test passes an extended one to play a future issue. */
  readonly schema?: z.ZodObject;
}

export interface RoleAssignment {
  readonly role: string;
  /** Symbol in infra/main.bicep of the resource the role is on. */
  readonly target: string;
  readonly principal: 'app' | 'other';
  readonly resource: string;
}

/** Everything the check reads, for tests that look closer. */
export interface InfraModel {
  readonly main: BicepFile;
  readonly roles: BicepFile;
  readonly appSettings: Readonly<Record<string, Value>>;
  readonly assignments: readonly RoleAssignment[];
}

export async function loadInfra(files: InfraFiles): Promise<InfraModel> {
  const main = await parseBicep(files.main);
  const rolesModule = [...main.modules.values()].find(
    (module) => module.source === 'azure/role-assignments.bicep',
  );
  const bindings = at(rolesModule?.body, 'params');
  const roles = await parseBicep(files.roles, isObject(bindings) ? bindings : {});
  const site = modulesOf(main, moduleKinds.site)[0];
  const configs = at(site?.body, 'params', 'configs');
  const appSettingsConfig = Array.isArray(configs)
    ? configs.find((config) => isObject(config) && config.name === 'appsettings')
    : undefined;
  const properties = at(appSettingsConfig, 'properties');
  const appSettings = isObject(properties) ? properties : {};
  const identity = targetOf(main, appSettings.AZURE_CLIENT_ID);
  return { main, roles, appSettings, assignments: roleAssignments(main, roles, identity) };
}

function modulesOf(file: BicepFile, prefix: string) {
  return [...file.modules.values()].filter((module) => module.source.startsWith(prefix));
}

/** The module or resource of infra/main.bicep a value comes from (e.g. `cosmos` for cosmos.outputs.endpoint). */
function targetOf(main: BicepFile, value: Value | undefined): string | undefined {
  if (!(value instanceof Expr)) return undefined;
  const targets = [...value.symbols].filter(
    (symbol) => main.modules.has(symbol) || main.resources.has(symbol),
  );
  return targets.length === 1 ? targets[0] : undefined;
}

const guidPattern = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

function roleAssignments(main: BicepFile, roles: BicepFile, identity: string | undefined): RoleAssignment[] {
  const found: RoleAssignment[] = [];
  for (const resource of roles.resources.values()) {
    const isRbac = resource.type.startsWith('Microsoft.Authorization/roleAssignments@');
    const isCosmos = resource.type.startsWith('Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@');
    if (!isRbac && !isCosmos) continue;
    const instances = Array.isArray(resource.body) ? resource.body : [resource.body];
    for (const instance of instances) {
      const scopeSymbol = render(at(instance, isRbac ? 'scope' : 'parent'));
      const scoped = roles.resources.get(scopeSymbol);
      const target = targetOf(main, at(scoped?.body, 'name')) ?? `<${scopeSymbol}>`;
      const roleIds = render(at(instance, 'properties', 'roleDefinitionId')).match(guidPattern) ?? [];
      const roleId = (roleIds.at(-1) ?? '').toLowerCase();
      const principal = at(instance, 'properties', 'principalId');
      found.push({
        role: builtInRoles[roleId] ?? (roleId || render(at(instance, 'properties', 'roleDefinitionId'))),
        target,
        principal: identity !== undefined && targetOf(main, principal) === identity ? 'app' : 'other',
        resource: resource.name,
      });
    }
  }
  return found;
}

/** Every way infra/ and the code disagree; empty when they agree. */
export async function checkInfra(files: InfraFiles, options: CheckOptions = {}): Promise<string[]> {
  const model = await loadInfra(files);
  const { main, appSettings } = model;
  const schema = options.schema ?? settingsSchema;
  const problems: string[] = [];
  const site = modulesOf(main, moduleKinds.site);
  if (site.length !== 1)
    return [`infra/main.bicep must declare exactly one Function App (${moduleKinds.site})`];

  checkSettings(files, schema, appSettings, main, problems);
  checkCosmos(main, appSettings, problems);
  checkBlobs(main, appSettings, site[0]!.body, problems);
  checkRoles(model, site[0]!.body, problems);
  checkBaseline(main, site[0]!.body, appSettings, problems);
  checkParameters(files, main, problems);
  return problems;
}

function checkSettings(
  files: InfraFiles,
  schema: z.ZodObject,
  appSettings: Readonly<Record<string, Value>>,
  main: BicepFile,
  problems: string[],
): void {
  const schemaNames = Object.keys(schema.shape);
  const hostReferences = [...files.hostJson.matchAll(/%([^%"]+)%/g)].map((match) => match[1]!);
  const set = new Set(Object.keys(appSettings));
  for (const name of Object.keys(localOnlySettings)) {
    if (!schemaNames.includes(name))
      problems.push(`local-only setting ${name} is not in the settings schema any more`);
    if (set.has(name))
      problems.push(
        `app setting ${name} is local only (${localOnlySettings[name]}) but infra/main.bicep sets it`,
      );
  }
  for (const name of schemaNames) {
    if (!(name in localOnlySettings) && !set.has(name)) {
      problems.push(
        `setting ${name} (shared/config/settings.ts) is not set by the Function App's app settings in infra/main.bicep`,
      );
    }
  }
  for (const name of hostReferences) {
    if (!set.has(name)) problems.push(`host.json refers to %${name}%, which infra/main.bicep does not set`);
  }
  for (const name of set) {
    const known =
      schemaNames.includes(name) ||
      hostReferences.includes(name) ||
      platformSettings.some((re) => re.test(name));
    if (!known)
      problems.push(
        `app setting ${name} is set by infra/main.bicep but nothing reads it (not in the settings schema)`,
      );
  }
  // Literal values must be what the schema accepts.
  for (const [name, value] of Object.entries(appSettings)) {
    const field = schema.shape[name] as z.ZodType | undefined;
    if (typeof value === 'string' && field !== undefined && !field.safeParse(value).success) {
      problems.push(`app setting ${name} = '${value}' is refused by the settings schema`);
    }
  }
  const vaults = new Set(modulesOf(main, moduleKinds.keyVault).map((module) => module.name));
  for (const name of secretSettings) {
    const value = appSettings[name];
    if (value === undefined) continue;
    const reference =
      value instanceof Expr &&
      /^@Microsoft\.KeyVault\(SecretUri=.+\)$/.test(value.text) &&
      [...value.symbols].some((symbol) => vaults.has(symbol));
    if (!reference)
      problems.push(
        `app setting ${name} holds a secret: it must be a Key Vault reference, not ${render(value)}`,
      );
  }
}

function checkCosmos(
  main: BicepFile,
  appSettings: Readonly<Record<string, Value>>,
  problems: string[],
): void {
  const target = targetOf(main, appSettings.CosmosDb__accountEndpoint);
  const account = target === undefined ? undefined : main.modules.get(target);
  if (account === undefined || !account.source.startsWith(moduleKinds.cosmos)) {
    problems.push(
      'CosmosDb__accountEndpoint does not come from a Cosmos DB account module in infra/main.bicep',
    );
    return;
  }
  const databaseName = appSettings.CosmosDb__databaseName;
  const databases = at(account.body, 'params', 'sqlDatabases');
  const database = Array.isArray(databases)
    ? databases.find((item) => isObject(item) && item.name === databaseName)
    : undefined;
  if (database === undefined) {
    problems.push(
      `Cosmos DB database ${render(databaseName)} (CosmosDb__databaseName) is not declared on ${target}`,
    );
    return;
  }
  const containersValue = at(database, 'containers');
  const declared = Array.isArray(containersValue) ? containersValue.filter(isObject) : [];
  const byName = new Map(declared.map((container) => [container.name, container]));
  for (const spec of Object.values(cosmosContainers)) {
    const container = byName.get(spec.id);
    if (container === undefined) {
      problems.push(
        `Cosmos container '${spec.id}' (shared/platform/storage-layout.ts) is not declared in database ${render(databaseName)}`,
      );
      continue;
    }
    const paths = at(container, 'paths');
    if (!isDeepStrictEqual(paths, [spec.partitionKeyPath])) {
      problems.push(
        `Cosmos container '${spec.id}' has partition key ${render(paths)} but the code uses '${spec.partitionKeyPath}'`,
      );
    }
    const ttl = at(container, 'defaultTtl');
    const expected = 'defaultTtl' in spec ? spec.defaultTtl : undefined;
    if (ttl !== expected) {
      problems.push(
        `Cosmos container '${spec.id}' has TTL ${render(ttl)} (defaultTtl) but the code expects ${expected ?? 'TTL off'}`,
      );
    }
    const policy = at(container, 'indexingPolicy');
    const codePolicy = codeIndexingPolicies[spec.id];
    if (!isDeepStrictEqual(policy === undefined ? undefined : plain(policy), codePolicy)) {
      problems.push(
        `Cosmos container '${spec.id}' has indexing policy ${render(policy)} but the code creates it with ${codePolicy === undefined ? "Cosmos DB's default" : JSON.stringify(codePolicy)}`,
      );
    }
  }
  const known = new Set<Value | undefined>(Object.values(cosmosContainers).map((spec) => spec.id));
  for (const name of byName.keys()) {
    if (!known.has(name))
      problems.push(
        `Cosmos container ${render(name)} is declared but not used by the code (storage-layout.ts)`,
      );
  }
  if (at(account.body, 'params', 'disableLocalAuthentication') !== true) {
    problems.push(`Cosmos DB account ${target} must set disableLocalAuthentication: true`);
  }
}

/** A Bicep value as JSON (for comparing with the code's objects); Exprs become their text. */
function plain(value: Value): unknown {
  return JSON.parse(
    JSON.stringify(value, (_key, item: unknown) => (item instanceof Expr ? item.text : item)),
  );
}

function checkBlobs(
  main: BicepFile,
  appSettings: Readonly<Record<string, Value>>,
  site: Value,
  problems: string[],
): void {
  const target = targetOf(main, appSettings.DataStorage__blobServiceUri);
  const account = target === undefined ? undefined : main.modules.get(target);
  if (account === undefined || !account.source.startsWith(moduleKinds.storage)) {
    problems.push(
      'DataStorage__blobServiceUri does not come from a storage account module in infra/main.bicep',
    );
    return;
  }
  const containersValue = at(account.body, 'params', 'blobServices', 'containers');
  const declared = Array.isArray(containersValue) ? containersValue.filter(isObject) : [];
  const deployment = render(at(site, 'params', 'functionAppConfig', 'deployment', 'storage', 'value'));
  const isDeploymentContainer = (name: Value | undefined): boolean =>
    name instanceof Expr
      ? deployment.endsWith(name.text)
      : typeof name === 'string' && deployment.endsWith(name);
  if (!declared.some((container) => isDeploymentContainer(container.name))) {
    problems.push(`the Flex Consumption deployment container (${deployment}) is not declared on ${target}`);
  }
  const names = declared.map((container) => container.name);
  for (const name of Object.values(dataBlobContainers)) {
    if (!names.includes(name))
      problems.push(
        `Blob container '${name}' (shared/platform/storage-layout.ts) is not declared on ${target}`,
      );
  }
  const expected = new Set<Value | undefined>(Object.values(dataBlobContainers));
  for (const container of declared) {
    if (!expected.has(container.name) && !isDeploymentContainer(container.name)) {
      problems.push(
        `Blob container ${render(container.name)} on ${target} is not used by the code (storage-layout.ts)`,
      );
    }
    if (container.publicAccess !== 'None')
      problems.push(`Blob container ${render(container.name)} must set publicAccess: 'None'`);
  }
}

function checkRoles(model: InfraModel, site: Value, problems: string[]): void {
  const { main, appSettings, assignments } = model;
  const identity = targetOf(main, appSettings.AZURE_CLIENT_ID);
  if (identity === undefined || !main.modules.get(identity)?.source.startsWith(moduleKinds.identity)) {
    problems.push('AZURE_CLIENT_ID must be the client id of the user-assigned identity module');
    return;
  }
  const needed = new Map<string, string>();
  const need = (role: string, target: string | undefined, why: string): void => {
    const key = `${role} on ${target ?? '<unknown>'}`;
    if (!needed.has(key)) needed.set(key, why);
  };
  for (const [setting, { roles, why }] of Object.entries(connectionRoles)) {
    if (appSettings[setting] === undefined) continue;
    for (const role of roles) need(role, targetOf(main, appSettings[setting]), `${setting}: ${why}`);
  }
  for (const [setting, value] of Object.entries(appSettings)) {
    if (value instanceof Expr && value.text.startsWith('@Microsoft.KeyVault(')) {
      need('Key Vault Secrets User', targetOf(main, value), `${setting}: Key Vault reference`);
    }
  }
  const authentication = appSettings.APPLICATIONINSIGHTS_AUTHENTICATION_STRING;
  if (authentication !== undefined && /Authorization=AAD/i.test(render(authentication))) {
    need(
      'Monitoring Metrics Publisher',
      targetOf(main, appSettings.APPLICATIONINSIGHTS_CONNECTION_STRING),
      'telemetry with Entra ID',
    );
  }
  const deployment = at(site, 'params', 'functionAppConfig', 'deployment', 'storage', 'value');
  need(
    'Storage Blob Data Contributor',
    targetOf(main, deployment),
    'the Flex Consumption deployment package',
  );

  const granted = new Set(
    assignments.filter((item) => item.principal === 'app').map((item) => `${item.role} on ${item.target}`),
  );
  for (const [key, why] of needed) {
    if (!granted.has(key))
      problems.push(
        `role ${key} (${why}) is not assigned to the app's identity in infra/azure/role-assignments.bicep`,
      );
  }
  for (const key of granted) {
    if (!needed.has(key))
      problems.push(`role ${key} is assigned to the app's identity but nothing in the code needs it`);
  }

  // Deterministic names: guid(<scope>.id, <principal>, <role id>).
  for (const resource of model.roles.resources.values()) {
    if (resource.existing) continue;
    const instances = Array.isArray(resource.body) ? resource.body : [resource.body];
    for (const instance of instances) {
      const name = render(at(instance, 'name'));
      const scope = render(at(instance, 'scope') ?? at(instance, 'parent'));
      const roleId =
        (render(at(instance, 'properties', 'roleDefinitionId')).match(guidPattern) ?? []).at(-1) ?? '?';
      const principal = render(at(instance, 'properties', 'principalId'));
      const deterministic =
        name.startsWith('guid(') &&
        name.includes(`${scope}.id`) &&
        name.includes(principal) &&
        name.includes(roleId);
      if (!deterministic)
        problems.push(
          `role assignment ${resource.name} must be named guid(${scope}.id, principal, role), not ${name}`,
        );
      if (
        at(instance, 'properties', 'principalType') === undefined &&
        resource.type.includes('roleAssignments@')
      ) {
        problems.push(`role assignment ${resource.name} must set principalType`);
      }
    }
  }
}

function checkBaseline(
  main: BicepFile,
  site: Value,
  appSettings: Readonly<Record<string, Value>>,
  problems: string[],
): void {
  const expect = (ok: boolean, problem: string): void => {
    if (!ok) problems.push(problem);
  };
  expect(at(site, 'params', 'httpsOnly') === true, 'the Function App must set httpsOnly: true');
  expect(
    at(site, 'params', 'siteConfig', 'minTlsVersion') === '1.2',
    "the Function App must set minTlsVersion: '1.2'",
  );
  expect(
    at(site, 'params', 'siteConfig', 'ftpsState') === 'Disabled',
    "the Function App must set ftpsState: 'Disabled'",
  );
  const runtime = at(site, 'params', 'functionAppConfig', 'runtime');
  expect(
    isObject(runtime) && runtime.name === 'node' && runtime.version === '22',
    `the Function App must run Node 22 on Flex Consumption, not ${render(runtime)}`,
  );
  const identity = targetOf(main, appSettings.AZURE_CLIENT_ID);
  expect(
    render(at(site, 'params', 'keyVaultAccessIdentityResourceId')) === `${identity}.outputs.resourceId`,
    'Key Vault references must resolve with the app identity (keyVaultAccessIdentityResourceId)',
  );
  for (const storage of modulesOf(main, moduleKinds.storage)) {
    const params = at(storage.body, 'params');
    expect(
      at(params, 'allowSharedKeyAccess') === false,
      `storage account ${storage.name} must set allowSharedKeyAccess: false`,
    );
    expect(
      at(params, 'minimumTlsVersion') === 'TLS1_2',
      `storage account ${storage.name} must set minimumTlsVersion: 'TLS1_2'`,
    );
    expect(
      at(params, 'supportsHttpsTrafficOnly') === true,
      `storage account ${storage.name} must set supportsHttpsTrafficOnly: true`,
    );
    expect(
      at(params, 'allowBlobPublicAccess') === false,
      `storage account ${storage.name} must set allowBlobPublicAccess: false`,
    );
    expect(
      at(params, 'blobServices', 'diagnosticSettings') !== undefined,
      `storage account ${storage.name} must send blob diagnostics to Log Analytics`,
    );
  }
  for (const cosmos of modulesOf(main, moduleKinds.cosmos)) {
    expect(
      at(cosmos.body, 'params', 'minimumTlsVersion') === 'Tls12',
      `Cosmos DB account ${cosmos.name} must set minimumTlsVersion: 'Tls12'`,
    );
  }
  for (const insights of modulesOf(main, moduleKinds.appInsights)) {
    expect(
      at(insights.body, 'params', 'disableLocalAuth') === true,
      `Application Insights ${insights.name} must set disableLocalAuth: true`,
    );
  }
  for (const vault of modulesOf(main, moduleKinds.keyVault)) {
    expect(
      at(vault.body, 'params', 'enableRbacAuthorization') === true,
      `Key Vault ${vault.name} must set enableRbacAuthorization: true`,
    );
  }
  const withDiagnostics = [
    moduleKinds.site,
    moduleKinds.storage,
    moduleKinds.cosmos,
    moduleKinds.keyVault,
    moduleKinds.communication,
    moduleKinds.appInsights,
  ];
  for (const module of main.modules.values()) {
    if (withDiagnostics.some((prefix) => module.source.startsWith(prefix))) {
      expect(
        at(module.body, 'params', 'diagnosticSettings') !== undefined,
        `${module.name} must send diagnostic settings to Log Analytics`,
      );
    }
    const local = module.source.endsWith('.bicep') && !module.source.includes(':');
    expect(
      local || avmSource.test(module.source),
      `module ${module.name} must use a pinned Azure Verified Module version, not '${module.source}'`,
    );
  }
}

function checkParameters(files: InfraFiles, main: BicepFile, problems: string[]): void {
  const parameters =
    (JSON.parse(files.parameters) as { parameters?: Record<string, unknown> }).parameters ?? {};
  for (const param of main.params.values()) {
    if (!param.hasDefault && !(param.name in parameters)) {
      problems.push(`parameter ${param.name} has no default and infra/main.parameters.json does not set it`);
    }
  }
  for (const name of Object.keys(parameters)) {
    if (!main.params.has(name))
      problems.push(`infra/main.parameters.json sets ${name}, which infra/main.bicep does not declare`);
  }
}
