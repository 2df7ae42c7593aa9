/**
 * `docusign-esign` (7.5 MB of sources) stays out of the cold start: importing the adapter, the composition
 * root or the webhook's use case loads none of it; the first DocuSign call does. The bundle keeps it external
 * and requires it only inside the dynamic import. (The webhook test also checks the running app never loads
 * it.)
 */
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { build } from 'esbuild';
import { expect, it } from 'vitest';

const repositoryRoot = path.resolve(__dirname, '..', '..');

const loaded = () =>
  Object.keys(require.cache).filter((file) => file.includes(`${path.sep}docusign-esign${path.sep}`));

it('is not loaded by importing the agreements code, and is by the first call', async () => {
  const { DocuSignEnvelopeService } =
    await import('../../shared/agreements/adapters/docusign-envelope-service');
  await import('../../shared/agreements/use-cases/receive-connect-delivery');
  await import('../../shared/composition-root');
  expect(loaded()).toEqual([]);
  const service = new DocuSignEnvelopeService({
    oAuthBasePath: '127.0.0.1:9',
    integrationKey: 'ik',
    userId: 'user',
    privateKeyPem: 'not a key',
  });
  await expect(service.get('e')).rejects.toThrow(/DocuSign refused the JWT grant/);
  expect(loaded().length).toBeGreaterThan(0);
});

it('is external in the bundle and, where the bundle uses it, required only inside the dynamic import', () => {
  const bundle = readFileSync(path.join(__dirname, '..', '..', 'dist', 'index.js'), 'utf8');
  // Until an activity uses the adapter, the bundle may not mention the SDK at all; it must never bundle it.
  expect(bundle).not.toContain('Docusign eSignature REST API');
  for (const match of bundle.matchAll(/require\("docusign-esign"\)/g)) {
    // esbuild turns `import('docusign-esign')` into `Promise.resolve().then(()=>X(require("docusign-esign")))`.
    expect(bundle.slice(Math.max(0, match.index - 60), match.index)).toMatch(
      /Promise\.resolve\(\)\.then\(\(\)=>\w*\($/,
    );
  }
});

it('works bundled as the app bundles it: the bundled dynamic import finds the SDK', async () => {
  const outfile = path.join(
    repositoryRoot,
    'node_modules',
    '.cache',
    'agreements-test',
    `adapter-${process.pid}.js`,
  );
  await build({
    entryPoints: [path.join(repositoryRoot, 'shared/agreements/adapters/docusign-envelope-service.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    external: ['docusign-esign'],
    logLevel: 'silent',
  });
  try {
    const text = readFileSync(outfile, 'utf8');
    expect(text).not.toContain('Docusign eSignature REST API');
    const bundled = createRequire(outfile)(
      outfile,
    ) as typeof import('../../shared/agreements/adapters/docusign-envelope-service');
    const service = new bundled.DocuSignEnvelopeService({
      oAuthBasePath: '127.0.0.1:9',
      integrationKey: 'ik',
      userId: 'user',
      privateKeyPem: 'not a key',
    });
    // The SDK itself loaded (the bundled dynamic import found ApiClient) and the grant failed on the key.
    await expect(service.get('e')).rejects.toThrow(/DocuSign refused the JWT grant/);
  } finally {
    rmSync(outfile, { force: true });
  }
});
