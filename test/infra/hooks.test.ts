/**
 * The azd side: azure.yaml, the prepackage hook that stages the deployment, and the postprovision hook that
 * writes local.settings.azure.json. Pure parts only; nothing here talks to Azure or the npm registry.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  localSettingsFromEnv,
  localTaskHub,
  requiredOutputs,
  requiredParameters,
} from '../../infra/azure/hooks/postprovision';
import {
  runtimeDependencies,
  stagedPackageJson,
  stagingDir,
  trimLockfile,
} from '../../infra/azure/hooks/stage-deploy';
import { parseSettings } from '../../shared/config/settings';
import { at, parseBicep, render } from './bicep';
import { localOnlySettings, secretSettings } from './infra-check';

const root = path.resolve(__dirname, '../..');
const read = (name: string): string => readFileSync(path.join(root, name), 'utf8');
const rootPackage = JSON.parse(read('package.json')) as {
  name: string;
  version: string;
  main: string;
  engines?: Record<string, string>;
  dependencies: Record<string, string>;
};

describe('azure.yaml', () => {
  const yaml = read('azure.yaml');

  it('deploys the staged folder to the Function App tagged with its service name', async () => {
    expect(yaml).toMatch(/^ {2}api:\n {4}project: \.\n {4}language: ts\n {4}host: function\n/m);
    expect(yaml).toContain(`    dist: ${path.relative(root, stagingDir)}\n`);
    expect(yaml).toContain('    remoteBuild: true\n');
    const main = await parseBicep(read('infra/main.bicep'));
    expect(render(at(main.modules.get('functionApp')?.body, 'params', 'tags'))).toContain(
      "azd-service-name: 'api'",
    );
  });

  it('runs hooks that exist', () => {
    for (const [, file] of yaml.matchAll(/run: npx tsx (\S+)/g)) expect(() => read(file!)).not.toThrow();
  });

  it('keeps node_modules and the local settings out of any deployment (.funcignore)', () => {
    const ignored = read('.funcignore').split('\n');
    for (const entry of ['node_modules/', 'local.settings*.json', '.azure/'])
      expect(ignored).toContain(entry);
    // What the staged package holds must never be ignored.
    for (const kept of ['host.json', 'package.json', 'package-lock.json', 'dist/', 'dist'])
      expect(ignored).not.toContain(kept);
  });
});

describe('stage-deploy (prepackage)', () => {
  it('finds the dependencies the bundle loads at run time, in every form esbuild leaves them', () => {
    const bundle = [
      'let e=await import("docusign-esign");',
      "(0,x.createRequire)(require.resolve('docusign-esign'))('axios');",
      'async function s(t,e=()=>import("@azure/monitor-opentelemetry")){}',
      'const z = "@azure/cosmos is bundled and only named in a message";',
    ].join('\n');
    expect(runtimeDependencies(bundle, rootPackage.dependencies)).toEqual([
      '@azure/monitor-opentelemetry',
      'docusign-esign',
    ]);
  });

  it('stages a package.json with the same entry point and only those dependencies', () => {
    const staged = stagedPackageJson(rootPackage, ['docusign-esign']);
    expect(staged).toEqual({
      name: rootPackage.name,
      version: rootPackage.version,
      private: true,
      main: rootPackage.main,
      ...(rootPackage.engines ? { engines: rootPackage.engines } : {}),
      dependencies: { 'docusign-esign': rootPackage.dependencies['docusign-esign'] },
    });
  });

  it('cuts the lockfile down to what those dependencies need, pinned as locked', () => {
    const lock = JSON.parse(read('package-lock.json')) as Parameters<typeof trimLockfile>[0];
    const trimmed = trimLockfile(lock, rootPackage, ['docusign-esign', '@azure/monitor-opentelemetry']);
    const paths = Object.keys(trimmed.packages);
    expect(trimmed.packages['']!.dependencies).toEqual({
      'docusign-esign': rootPackage.dependencies['docusign-esign'],
      '@azure/monitor-opentelemetry': rootPackage.dependencies['@azure/monitor-opentelemetry'],
    });
    // docusign-esign's own dependency (loaded through createRequire) and the distro's SDK come along...
    expect(paths).toContain('node_modules/axios');
    expect(paths).toContain('node_modules/@opentelemetry/sdk-trace-base');
    expect(trimmed.packages['node_modules/axios']).toEqual(lock.packages['node_modules/axios']);
    // ...dev tooling does not.
    for (const dev of ['node_modules/esbuild', 'node_modules/vitest', 'node_modules/azurite'])
      expect(paths).not.toContain(dev);
    expect(Object.values(trimmed.packages).some((entry) => entry.dev === true)).toBe(false);
  });

  it('refuses a lockfile that lacks a needed package', () => {
    const lock = { name: 'x', version: '1.0.0', lockfileVersion: 3, packages: { '': {} } };
    expect(() =>
      trimLockfile(lock, { name: 'x', version: '1.0.0', dependencies: { a: '^1' } }, ['a']),
    ).toThrow(/package-lock\.json has no a/);
  });
});

describe('postprovision: local.settings.azure.json', () => {
  const env = {
    COSMOS_ENDPOINT: 'https://cosmos-abc.documents.azure.com:443/',
    COSMOS_DATABASE_NAME: 'datarequests',
    DATA_STORAGE_BLOB_ENDPOINT: 'https://stabc.blob.core.windows.net/',
    DATA_STORAGE_QUEUE_ENDPOINT: 'https://stabc.queue.core.windows.net/',
    DATA_STORAGE_TABLE_ENDPOINT: 'https://stabc.table.core.windows.net/',
    ACS_ENDPOINT: 'https://acs-abc.unitedstates.communication.azure.com',
    AZURE_EMAIL_SENDER: 'DoNotReply@0000.azurecomm.net',
    AUTH_ISSUER: 'https://login.microsoftonline.com/tenant/v2.0',
    AUTH_AUDIENCE: 'api://data-requests',
    AUTH_JWKS_URI: 'https://login.microsoftonline.com/tenant/discovery/v2.0/keys',
    DOCUSIGN_INTEGRATION_KEY: 'integration-key',
  };
  const host = { LocalHttpPort: 7071 };

  it('gives settings the app accepts, identity-based, without a secret or a local-only key', () => {
    const settings = localSettingsFromEnv(env, host);
    expect(settings.Host).toBe(host);
    expect(() => parseSettings(settings.Values)).not.toThrow();
    for (const name of [...secretSettings, ...Object.keys(localOnlySettings)])
      expect(settings.Values).not.toHaveProperty(name);
    expect(settings.Values.DocuSign__integrationKey).toBe('integration-key');
    expect(settings.Values).not.toHaveProperty('DocuSign__userId'); // unset values are left out
    for (const value of Object.values(settings.Values)) expect(typeof value).toBe('string');
  });

  it("uses a task hub of its own, so a local host never takes the deployed app's work", async () => {
    const main = await parseBicep(read('infra/main.bicep'));
    expect(main.variables.get('taskHubName')).not.toBe(localTaskHub);
    expect(localSettingsFromEnv(env, host).Values.TASKHUB_NAME).toBe(localTaskHub);
  });

  it('reads only outputs the Bicep declares and parameters azd passes to it', async () => {
    const main = await parseBicep(read('infra/main.bicep'));
    for (const name of requiredOutputs) expect([...main.outputs.keys()]).toContain(name);
    const parameters = read('infra/main.parameters.json');
    for (const name of requiredParameters) expect(parameters).toContain(`"\${${name}}"`);
  });

  it('names every missing value', () => {
    expect(() => localSettingsFromEnv({ ...env, COSMOS_ENDPOINT: '', AUTH_ISSUER: undefined }, host)).toThrow(
      'Missing azd environment values: COSMOS_ENDPOINT, AUTH_ISSUER (run azd provision first)',
    );
  });
});
