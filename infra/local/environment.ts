/**
 * The whole system on one machine: the embedded stand-ins (Cosmos DB, Azurite, ACS Email with its outbox,
 * DocuSign, the development token issuer), the Durable engine and the local Functions host running the function
 * app — what `npm start` runs and what integration tests start on free ports.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { parseSettings } from '../../shared/config/settings';
import { createCosmosClient } from '../../shared/platform/cosmos';
import { AdjustableClock, type Clock } from './clock';
import { clockEndpoint, clockPath } from './clock-endpoint';
import { lockDataDir } from './data-dir-lock';
import { createDurableExtension } from './durable';
import { startHost, type RunningHost } from './host';
import { readAppFiles } from './host/app-config';
import { removeEndpointsFile, writeEndpointsFile, type Endpoints } from './endpoints-file';
import { startDevIssuer, type DevIssuer } from './standins/dev-issuer';
import { freeStandInPorts, startStandIns, type StandIns } from './standins';
import { findPersona } from './personas';
import { loadOrCreateReviewLinkKey } from './review-link-key';

export interface LocalEnvironmentOptions {
  /** The function app folder; our own app (the repository root) by default. */
  readonly appDir?: string;
  /** Host HTTP port (7071 like `func start`; 0 picks a free port). */
  readonly port?: number;
  /** Root of persisted local state; undefined keeps everything in memory (tests). */
  readonly dataDir?: string;
  /** Wipe persisted state first. */
  readonly fresh?: boolean;
  /** Use free ports for every stand-in (tests, or a second environment beside `npm start`). */
  readonly freePorts?: boolean;
  readonly clock?: Clock;
  /** App settings over those of local.settings and the stand-ins (tests: e.g. a short send timeout). */
  readonly settings?: Readonly<Record<string, string>>;
  readonly log?: (line: string) => void;
}

export interface LocalEnvironment {
  readonly host: RunningHost;
  readonly standIns: StandIns;
  readonly issuer: DevIssuer;
  /** The app's settings as it sees them: local.settings values under the stand-ins' endpoints and the issuer. */
  readonly appSettings: Readonly<Record<string, string>>;
  /**
   * Every URL this environment serves, by name: printed at start and written to `<dataDir>/endpoints.json` for
   * local tools. A new stand-in adds its line in `startLocalEnvironment`.
   */
  readonly endpoints: Readonly<Endpoints>;
  close(): Promise<void>;
}

export const repositoryRoot = path.resolve(__dirname, '..', '..');

export async function startLocalEnvironment(
  options: LocalEnvironmentOptions = {},
): Promise<LocalEnvironment> {
  const log = options.log ?? ((line: string) => console.log(line));
  const free = options.freePorts === true;
  const dataDir = options.dataDir === undefined ? undefined : path.resolve(options.dataDir);
  // Before anything opens a file under the data folder: a second copy on it is refused here, untouched.
  const lock = dataDir === undefined ? undefined : lockDataDir(dataDir);
  const closers: (() => Promise<void>)[] = [() => Promise.resolve(lock?.release())];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.reverse()) await close();
  };
  try {
    // Without a clock of its own (tests bring a virtual one), time is real plus what `npm run clock` added.
    const clockFile = dataDir === undefined ? undefined : path.join(dataDir, 'clock.json');
    if (options.fresh === true && clockFile !== undefined) rmSync(clockFile, { force: true });
    const adjustable = options.clock === undefined ? new AdjustableClock(clockFile) : undefined;
    const clock = options.clock ?? adjustable!;
    const standIns = await startStandIns({
      dataDir: options.dataDir,
      fresh: options.fresh,
      ports: free ? freeStandInPorts : undefined,
      clock,
      log,
    });
    closers.push(() => standIns.close());
    const issuer = await startDevIssuer({ dataDir: options.dataDir, port: free ? 0 : undefined, log });
    closers.push(() => issuer.close());
    const appDir = options.appDir ?? repositoryRoot;
    // Committee links are signed with a key of this data folder; the admin persona hears of missed deadlines.
    const reviews = {
      Reviews__linkSigningKey: loadOrCreateReviewLinkKey(options.dataDir),
      Reviews__adminEmails: findPersona('admin').email,
    };
    const env = { ...standIns.env, ...issuer.env, ...reviews, ...options.settings };
    // The app's own settings (local.settings*.json) under the stand-ins' endpoints, as the host will apply them.
    const appSettings = { ...readAppFiles(appDir).settings.Values, ...env };
    // What the Bicep provisions in Azure: the database exists before the app starts (its containers the app
    // creates if missing), so that the app's start-up work finds it even on an empty store.
    if (appDir === repositoryRoot) await createAppDatabase(appSettings);
    const host = await startHost({
      appDir,
      port: options.port ?? (free ? 0 : undefined),
      env,
      extensions: [
        createDurableExtension(),
        ...(adjustable === undefined ? [] : [clockEndpoint(adjustable)]),
      ],
      clock,
      dataDir: options.dataDir,
      log,
    });
    closers.push(() => host.close());
    const endpoints: Endpoints = {
      app: host.url,
      /** Every mail the system sends, to read and click. */
      outbox: standIns.acsEmail.outboxUrl,
      durableManagementApi: `${host.url}/runtime/webhooks/durabletask`,
      cosmos: standIns.cosmosEndpoint,
      blob: standIns.blobEndpoint,
      queue: standIns.queueEndpoint,
      table: standIns.tableEndpoint,
      acsEmail: standIns.acsEmail.endpoint,
      docuSign: standIns.docuSign.origin,
      /** Envelopes waiting for a signature, with their signing links (the same links are in the outbox). */
      docuSignPending: standIns.docuSign.pendingUrl,
      tokenIssuer: issuer.issuer,
      ...(adjustable === undefined ? {} : { clock: `${host.url}${clockPath}` }),
    };
    if (dataDir !== undefined) {
      writeEndpointsFile(dataDir, endpoints);
      closers.push(() => Promise.resolve(removeEndpointsFile(dataDir)));
    }
    return { host, standIns, issuer, appSettings, endpoints, close: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

async function createAppDatabase(appSettings: Readonly<Record<string, string>>): Promise<void> {
  const settings = parseSettings(appSettings);
  const client = createCosmosClient(settings);
  try {
    await client.databases.createIfNotExists({ id: settings.CosmosDb__databaseName });
  } finally {
    client.dispose();
  }
}
