/**
 * `npm start`: runs the function app locally with every dependency embedded. Options (after `npm start --`):
 *   --app DIR            run another Node.js v4-model function app folder instead of ours
 *   --fresh              start from empty local state (wipes the data folder)
 *   --port N             host port (default: Host.LocalHttpPort of local.settings, else 7071)
 *   --free-ports         every listener on a free port (a second copy beside a running `npm start`, tests)
 *   --data-dir DIR       where local state lives (default .data/)
 *   --catalog-files N    size of the catalog seeded into an empty store (default: the real catalog's, ~53k)
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { endpointsFilePath } from './endpoints-file';
import { repositoryRoot, startLocalEnvironment, type LocalEnvironment } from './environment';
import { personaLines } from './personas';
import { prepareLocalData } from './prepare-data';

const usage =
  'usage: npm start -- [--app DIR] [--fresh] [--port N | --free-ports] [--data-dir DIR] [--catalog-files N]';

interface CommandLine {
  readonly appDir: string;
  readonly fresh: boolean;
  readonly port: number | undefined;
  readonly freePorts: boolean;
  readonly dataDir: string;
  readonly catalogFiles: number | undefined;
}

function integerOption(name: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!(Number.isInteger(value) && value >= min && value <= max)) {
    throw new Error(`--${name} must be an integer ${min}-${max}, got ${text}\n${usage}`);
  }
  return value;
}

function parseCommandLine(): CommandLine {
  const { values } = parseArgs({
    options: {
      app: { type: 'string' },
      fresh: { type: 'boolean', default: false },
      port: { type: 'string' },
      'free-ports': { type: 'boolean', default: false },
      'data-dir': { type: 'string', default: path.join(repositoryRoot, '.data') },
      'catalog-files': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  return {
    appDir: path.resolve(values.app ?? repositoryRoot),
    fresh: values.fresh,
    // Without --port the app's Host.LocalHttpPort applies (7071 by default), as under func start.
    port: values['free-ports'] ? 0 : integerOption('port', values.port, 0, 65535),
    freePorts: values['free-ports'],
    dataDir: path.resolve(values['data-dir']),
    catalogFiles: integerOption('catalog-files', values['catalog-files'], 1, 1_000_000),
  };
}

async function main(): Promise<void> {
  const started = Date.now();
  const options = parseCommandLine();
  const running: { environment?: LocalEnvironment } = {};
  let stopping = false;
  const stop = (signal: string): void => {
    const { environment } = running;
    if (environment === undefined || stopping) {
      // Interrupted during start-up, or a second Ctrl-C: every stand-in write is already durable.
      console.log(`\n${signal}: exiting now.`);
      process.exit(130);
    }
    stopping = true;
    console.log(`\n${signal}: finishing in-flight work…`);
    environment.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));

  const environment = await startLocalEnvironment({
    appDir: options.appDir,
    port: options.port,
    freePorts: options.freePorts,
    dataDir: options.dataDir,
    fresh: options.fresh,
  });
  running.environment = environment;
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`\nReady in ${seconds} s — ${environment.host.url}/api/health`);
  const width = Math.max(...Object.keys(environment.endpoints).map((name) => name.length));
  console.log(`Endpoints (also in ${endpointsFilePath(options.dataDir)}):`);
  for (const [name, url] of Object.entries(environment.endpoints))
    console.log(`  ${name.padEnd(width)}  ${url}`);
  if (options.appDir === repositoryRoot) {
    console.log('Personas (token: npm run -s token -- --as <persona>):');
    for (const line of personaLines()) console.log(line);
  }
  console.log(`Local state: ${options.dataDir} (npm start -- --fresh to start empty). Ctrl-C stops.`);
  // Seeding an empty store runs while the app already serves: the catalog picks new files up from the change
  // feed, so the first answers may still be growing for a few seconds.
  if (options.appDir === repositoryRoot) {
    await prepareLocalData(environment.appSettings, {
      appUrl: environment.host.url,
      catalogFiles: options.catalogFiles,
      log: console.log,
    });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
