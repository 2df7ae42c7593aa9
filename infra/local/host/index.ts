import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import { SystemClock, type Clock } from '../clock';
import {
  applyEnvironment,
  functionTimeoutOf,
  readAppFiles,
  resolveHostJson,
  routePrefixOf,
} from './app-config';
import { loadApp } from './app-loader';
import { closeAppRegistry, currentProgrammingModel, openAppRegistry } from './core-api';
import { parseCorsPolicy } from './cors';
import type { HostContext, HostExtension, RegisteredFunction } from './extension';
import { buildRoutes, createFrontDoor, type HttpRoute } from './http-server';
import { hostApiReason, Invoker, type InputBindingProvider } from './invoker';
import { HostLogger, parseLogLevel } from './logger';
import { TimerScheduler } from './timers';

export type * from './extension';
export type * from './rpc-types';

export interface HostOptions {
  /** Folder with package.json (`main`: a file or a glob), host.json and local.settings(.example).json. */
  appDir: string;
  /** Default: `Host.LocalHttpPort` from the settings file, else 7071; 0 picks a free port. */
  port?: number;
  /** Applied to process.env after the settings file's `Values` (stand-in endpoints override). */
  env?: Record<string, string>;
  extensions?: HostExtension[];
  /** Default SystemClock; a VirtualClock drives timer triggers (and extensions) in tests. */
  clock?: Clock;
  /** Handed to extensions; undefined keeps everything in memory. */
  dataDir?: string;
  /** Default: random, printed at start. */
  masterKey?: string;
  /**
   * Default: the FUNCTIONS_REQUEST_BODY_SIZE_LIMIT setting, else 100 MiB (the Functions host's limit); larger
   * bodies get 413 problem+json.
   */
  maxRequestBodyBytes?: number;
  /** Default console.log; everything the host prints goes here. */
  log?: (line: string) => void;
  /**
   * How long a client may take to send a request's headers (default 5 s) and the whole request (default 30 s)
   * before the host answers 408 and drops it; Node's defaults (60 s / 300 s) let stalled clients pile up.
   */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
}

export interface RunningHost {
  /** e.g. http://127.0.0.1:54321 */
  readonly url: string;
  readonly masterKey: string;
  /** The same object extensions get. */
  readonly context: HostContext;
  /** Stops intake, finishes in-flight invocations, runs appTerminate hooks, stops extensions, closes the server. */
  close(): Promise<void>;
}

const defaultPort = 7071;
const defaultHeadersTimeoutMs = 5_000;
const defaultRequestTimeoutMs = 30_000;
const defaultMaxRequestBodyBytes = 100 * 1024 * 1024;
const loopback = '127.0.0.1';

/** The Functions host reads its request size limit from this app setting (bytes). */
function requestBodyLimitFromSettings(): number | undefined {
  const text = process.env.FUNCTIONS_REQUEST_BODY_SIZE_LIMIT;
  if (text === undefined || text === '') return undefined;
  const bytes = Number(text);
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new Error(`FUNCTIONS_REQUEST_BODY_SIZE_LIMIT must be a positive number of bytes, got '${text}'`);
  }
  return bytes;
}

function listen(server: http.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, loopback, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * Tracks which connections carry a request being answered. Returns what shutdown calls once the in-flight
 * work is done: it drops every other connection, idle keep-alive ones and those still sending a request's
 * headers (a stalled client would otherwise hold the server's close for Node's headers timeout).
 */
function trackConnections(server: http.Server): () => void {
  const answering = new Map<Socket, number>();
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      answering.delete(socket);
    });
  });
  server.on('request', (request: http.IncomingMessage, response: http.ServerResponse) => {
    const { socket } = request;
    answering.set(socket, (answering.get(socket) ?? 0) + 1);
    response.once('close', () => {
      const left = (answering.get(socket) ?? 1) - 1;
      if (left === 0) answering.delete(socket);
      else answering.set(socket, left);
    });
  });
  return () => {
    for (const socket of sockets) if (!answering.has(socket)) socket.destroy();
  };
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

/**
 * Runs a Node.js v4-model function app folder the way `func start` and the Node worker do: loads it with the
 * worker's `@azure/functions-core`, serves its HTTP triggers, fires its timers and lets extensions (the
 * Durable engine) drive the rest. One app per process, like the worker.
 */
export async function startHost(options: HostOptions): Promise<RunningHost> {
  const clock = options.clock ?? new SystemClock();
  const sink = options.log ?? ((line: string) => console.log(line));
  const files = readAppFiles(options.appDir);
  const environment = applyEnvironment(files.settings.Values, options.env ?? {});
  const cleanups: (() => void | Promise<void>)[] = [environment.restore];
  // Every step runs even when an earlier one fails (an extension's stop must not keep the port open).
  const cleanUp = async (): Promise<void> => {
    const failures: unknown[] = [];
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length > 0) throw failures[0];
  };
  try {
    return await start(options, files, environment.skipped, clock, sink, cleanups, cleanUp);
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

async function start(
  options: HostOptions,
  files: ReturnType<typeof readAppFiles>,
  skippedSettings: readonly string[],
  clock: Clock,
  sink: (line: string) => void,
  cleanups: (() => void | Promise<void>)[],
  cleanUp: () => Promise<void>,
): Promise<RunningHost> {
  const hostJson = resolveHostJson(files.rawHostJson);
  const logger = new HostLogger(sink, clock, parseLogLevel(hostJson.logging?.logLevel?.default));
  for (const name of skippedSettings) {
    logger.write(
      'warn',
      `Skipping '${name}' from local settings as it's already defined in current environment variables.`,
    );
  }
  const cors = parseCorsPolicy(files.settings.Host.CORS, files.settings.Host.CORSCredentials);
  const extensions = options.extensions ?? [];
  const masterKey = options.masterKey ?? randomBytes(32).toString('base64url');
  const routePrefix = routePrefixOf(hostJson);

  const inputBindings = new Map<string, InputBindingProvider>();
  for (const extension of extensions) {
    for (const [type, provider] of Object.entries(extension.inputBindings ?? {}))
      inputBindings.set(type, provider);
  }

  // The library logs through the registry only while the app loads, after `invoker` exists.
  const registry = openAppRegistry((level, category, message) => invoker.log(level, category, message));
  cleanups.push(() => closeAppRegistry(registry));
  const invoker = new Invoker(
    registry,
    () => {
      const model = currentProgrammingModel();
      if (model === undefined)
        throw new Error('The app never set a programming model (is @azure/functions loaded?)');
      return model;
    },
    inputBindings,
    logger,
    functionTimeoutOf(hostJson),
  );

  cleanups.push(loadApp(files.appDir, files.main, logger));
  registry.locked = true;
  const capabilities = await currentProgrammingModel()?.getCapabilities?.({});
  if (capabilities?.HttpUri !== undefined) {
    throw new Error(
      'The app enables HTTP streaming (app.setup({ enableHttpStream: true })), which the local host does not support',
    );
  }
  invoker.indexFunctions();

  const headersTimeout = options.headersTimeoutMs ?? defaultHeadersTimeoutMs;
  const server = http.createServer({
    headersTimeout,
    requestTimeout: Math.max(headersTimeout, options.requestTimeoutMs ?? defaultRequestTimeoutMs),
    // How often Node checks those timeouts (default 30 s, which would stretch a 5 s limit to 35 s).
    connectionsCheckingInterval: Math.min(1_000, headersTimeout),
  });
  const dropUnansweredConnections = trackConnections(server);
  // LocalHttpPort 0 means "not set" to func (default(int)), so it is 7071 there too.
  const port = await listen(server, options.port ?? (files.settings.Host.LocalHttpPort || defaultPort));
  let serverClosed: Promise<void> | undefined;
  const stopIntake = (): Promise<void> => (serverClosed ??= closeServer(server));
  cleanups.push(stopIntake);
  const baseUrl = `http://${loopback}:${port}`;

  const context: HostContext = {
    functions: invoker.functions,
    invoke: (name, inputData, triggerMetadata, invokeOptions) =>
      invoker.invoke(name, inputData, triggerMetadata, invokeOptions),
    baseUrl,
    masterKey,
    clock,
    hostJson,
    dataDir: options.dataDir,
    log: (level, message, fields) => logger.write(level, message, fields),
  };

  const claimed = new Map<string, HostExtension>();
  for (const extension of extensions) {
    for (const type of extension.triggerTypes) claimed.set(type.toLowerCase(), extension);
  }

  const timers = new TimerScheduler(clock, invoker, logger);
  cleanups.push(() => timers.stop());
  const { routes, failed } = buildRoutes(invoker.functions.values(), routePrefix, logger);

  let accepting = false;
  const frontDoor = createFrontDoor({
    routePrefix,
    routes,
    invoker,
    extensions,
    masterKey,
    cors,
    maxRequestBodyBytes:
      options.maxRequestBodyBytes ?? requestBodyLimitFromSettings() ?? defaultMaxRequestBodyBytes,
    logger,
    baseUrl: () => baseUrl,
    accepting: () => accepting,
    runOnDemand: (fn, input) => {
      const data =
        fn.trigger.info.type?.toLowerCase() === 'timertrigger' ? timers.payloadFor(fn) : { string: input };
      void invoker.invoke(fn.name, [{ name: fn.trigger.name, data }], {}, { reason: hostApiReason });
    },
  });
  server.on('request', frontDoor.handle);

  await invoker.runHooks('appStart', invoker.appHookContext({ functionAppDirectory: files.appDir }));
  const startedExtensions: HostExtension[] = [];
  for (const extension of extensions) {
    await extension.start(context);
    startedExtensions.push(extension);
  }
  cleanups.push(async () => {
    for (const extension of startedExtensions.reverse()) await extension.stop();
  });

  printBanner(logger, {
    functions: invoker.functions.values(),
    routes,
    failed,
    claimed,
    baseUrl,
    routePrefix,
    masterKey,
    files,
  });
  accepting = true;
  timers.start(
    [...invoker.functions.values()].filter((fn) => fn.trigger.info.type?.toLowerCase() === 'timertrigger'),
  );

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      accepting = false;
      timers.stop();
      void stopIntake();
      frontDoor.abortUploads();
      await invoker.drain();
      // Keep-alive connections of the requests just finished are idle now; without this close() waits them out.
      dropUnansweredConnections();
      try {
        await invoker.runHooks('appTerminate', invoker.appHookContext());
      } catch (error) {
        // The app's failure must not leave the extensions, the server and the environment behind.
        logger.write('error', `An appTerminate hook failed: ${(error as Error).stack ?? String(error)}`);
      }
      await cleanUp();
      invoker.stopped = true;
      logger.write('info', 'Host stopped');
    })();
    return closing;
  };
  return { url: baseUrl, masterKey, context, close };
}

interface BannerFacts {
  readonly functions: Iterable<RegisteredFunction>;
  readonly routes: readonly HttpRoute[];
  /** HTTP functions whose route could not be served, with the reason. */
  readonly failed: ReadonlyMap<string, string>;
  /** Trigger types (lower-case) an extension drives. */
  readonly claimed: ReadonlyMap<string, HostExtension>;
  readonly baseUrl: string;
  readonly routePrefix: string;
  readonly masterKey: string;
  readonly files: ReturnType<typeof readAppFiles>;
}

/** What func prints at start: each function with its methods and URL, or its trigger type; then the key. */
function printBanner(
  logger: HostLogger,
  { functions, routes, failed, claimed, baseUrl, routePrefix, masterKey, files }: BannerFacts,
): void {
  const lines = ['', `Function app: ${files.appDir}`];
  if (files.settingsFile !== undefined) lines.push(`Settings: ${path.basename(files.settingsFile)}`);
  lines.push('', 'Functions:', '');
  for (const fn of functions) {
    const type = fn.trigger.info.type ?? 'unknown';
    const route = routes.find((candidate) => candidate.functionName === fn.name);
    if (route !== undefined) {
      const methods = route.methods === undefined ? 'ALL' : [...route.methods].join(',');
      const pathText = [routePrefix, route.template.text].filter((part) => part !== '').join('/');
      lines.push(`        ${fn.name}: [${methods}] ${baseUrl}/${pathText}`);
    } else if (failed.has(fn.name)) {
      lines.push(`        ${fn.name}: ${type} (not served: ${failed.get(fn.name)})`);
    } else if (type.toLowerCase() === 'timertrigger' || claimed.has(type.toLowerCase())) {
      lines.push(`        ${fn.name}: ${type}`);
    } else {
      lines.push(
        `        ${fn.name}: ${type} (warning: nothing runs ${type} locally; run it with POST ${baseUrl}/admin/functions/${fn.name})`,
      );
    }
    lines.push('');
  }
  lines.push(`Master key (x-functions-key or ?code= for function/admin-level routes): ${masterKey}`, '');
  for (const line of lines) logger.plain(line);
}
