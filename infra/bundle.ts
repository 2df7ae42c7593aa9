/**
 * Builds the deployable function app: one esbuild bundle (`dist/index.js`, what package.json `main` names)
 * so that a cold start loads one file instead of resolving thousands in node_modules.
 */
import { build } from 'esbuild';
import path from 'node:path';

const root = path.resolve(__dirname, '..');

async function main(): Promise<void> {
  const started = Date.now();
  const result = await build({
    entryPoints: [path.join(root, 'functions/index.ts')],
    outfile: path.join(root, 'dist/index.js'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: 'linked',
    minify: true,
    keepNames: true,
    // Supplied at run time by the Functions worker (or by the local host), never bundled. docusign-esign
    // (7.5 MB of sources) is loaded from node_modules by a dynamic import on the first envelope, never at
    // cold start; @azure/monitor-opentelemetry likewise by functions/telemetry.ts, only when Application
    // Insights is configured. Both are production dependencies: the deployment package names every module
    // the bundle still imports (infra/azure/hooks/stage-deploy.ts) and the platform installs them.
    external: ['@azure/functions-core', 'docusign-esign', '@azure/monitor-opentelemetry'],
    // Some ESM dependencies (e.g. @azure/storage-common) call createRequire(import.meta.url); a CommonJS bundle
    // has no import.meta, so give them this file's URL.
    define: { 'import.meta.url': 'importMetaUrl' },
    banner: { js: "const importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
    metafile: true,
    logLevel: 'warning',
  });
  const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
  console.log(`built dist/index.js (${(bytes / 1024).toFixed(0)} KiB) in ${Date.now() - started} ms`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
