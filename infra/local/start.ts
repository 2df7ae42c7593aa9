/**
 * `npm start`: runs the function app locally with every dependency embedded. Options (after `npm start --`):
 *   --app DIR      run another Node.js v4-model function app folder instead of ours
 *   --fresh        start from empty local state (wipes .data/)
 *   --port N       host port (default: Host.LocalHttpPort of local.settings, else 7071)
 *   --data-dir D   where local state lives (default .data/)
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { repositoryRoot, startLocalEnvironment, type LocalEnvironment } from './environment';
import { prepareLocalData } from './prepare-data';

const usage = 'usage: npm start -- [--app DIR] [--fresh] [--port N] [--data-dir DIR]';

function parseCommandLine(): { appDir: string; fresh: boolean; port: number | undefined; dataDir: string } {
  const { values } = parseArgs({
    options: {
      app: { type: 'string' },
      fresh: { type: 'boolean', default: false },
      port: { type: 'string' },
      'data-dir': { type: 'string', default: path.join(repositoryRoot, '.data') },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  // Without --port the app's Host.LocalHttpPort applies (7071 by default), as under func start.
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) {
    throw new Error(`--port must be an integer 0-65535, got ${values.port}`);
  }
  return {
    appDir: path.resolve(values.app ?? repositoryRoot),
    fresh: values.fresh,
    port,
    dataDir: path.resolve(values['data-dir']),
  };
}

async function main(): Promise<void> {
  const started = Date.now();
  const options = parseCommandLine();
  const ourApp = options.appDir === repositoryRoot;
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
    dataDir: options.dataDir,
    fresh: options.fresh,
  });
  running.environment = environment;
  console.log(
    `\nReady in ${((Date.now() - started) / 1000).toFixed(1)} s — ${environment.host.url}/api/health`,
  );
  console.log(`Local state: ${options.dataDir} (npm start -- --fresh to start empty). Ctrl-C stops.`);
  // Seeding an empty store runs while the app already serves: the catalog picks new files up from the change
  // feed, so the first answers may still be growing for a few seconds.
  if (ourApp) await prepareLocalData(environment.appSettings, console.log);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
