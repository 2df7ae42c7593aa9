/**
 * The embedded stand-ins for Azure services that `npm start` and the tests run in-process: Cosmos DB
 * (HTTPS, with the local CA), Azure Storage (Azurite: blob, queue, table), Azure Communication Services
 * Email (HTTPS, with the outbox page) and DocuSign eSignature (HTTPS; its "please sign" mails go to the same
 * outbox). All listen on 127.0.0.1 only. Their keys are the public emulator keys, so settings written for the real emulators (`func start`
 * with Azurite and the Cosmos DB emulator) work unchanged.
 */
import { promises as fs, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startAcsEmailStandIn, type AcsEmailStandIn } from './acs-email';
import { startAzurite, storageEmulatorAccount, type Azurite } from './azurite';
import type { Clock } from '../clock';
import { startCosmosStandIn, type CosmosStandIn } from './cosmos';
import { startDocuSignStandIn, type DocuSignStandIn } from './docusign';
import { ensureLocalCertificates, localTlsDir, type LocalCertificates } from './tls';

export interface StandInOptions {
  /** Persistent state root (e.g. '.data'); undefined = in memory (tests), CA in a temp dir. */
  dataDir?: string;
  /** Wipe persisted stand-in state first (the CA is kept, so trust configured for it stays valid). */
  fresh?: boolean;
  /** Defaults in `defaultStandInPorts`; 0 = a free port (`freeStandInPorts`: all of them). */
  ports?: Partial<Record<keyof typeof defaultStandInPorts, number>>;
  /** DocuSign's envelope expiry, reminders and Connect retries run on it (a virtual clock in tests). */
  clock?: Clock;
  log?: (line: string) => void;
}

export interface StandIns {
  readonly cosmosEndpoint: string;
  readonly cosmosKey: string;
  readonly blobEndpoint: string;
  readonly queueEndpoint: string;
  readonly tableEndpoint: string;
  readonly caCertPath: string;
  /** ACS Email: the app sends through it; its outbox page shows every mail. */
  readonly acsEmail: AcsEmailStandIn;
  /** DocuSign eSignature (REST, OAuth JWT grant, signing pages, Connect webhooks). */
  readonly docuSign: DocuSignStandIn;
  /** The local CA and the server certificate, for other HTTPS stand-ins (DocuSign, email) to serve with. */
  readonly certificates: LocalCertificates;
  /** Settings (names from shared/config/settings.ts + AzureWebJobsStorage) pointing the app at these stand-ins. */
  readonly env: Record<string, string>;
  close(): Promise<void>;
}

export const defaultStandInPorts = {
  cosmos: 8081,
  blob: 10000,
  queue: 10001,
  table: 10002,
  acsEmail: 8025,
  docuSign: 7443,
} as const;

/** Every stand-in on a free port: tests, benches, a second copy beside `npm start`. */
export const freeStandInPorts = {
  cosmos: 0,
  blob: 0,
  queue: 0,
  table: 0,
  acsEmail: 0,
  docuSign: 0,
} as const;

export async function startStandIns(options: StandInOptions): Promise<StandIns> {
  const log = options.log ?? (() => undefined);
  const ports = { ...defaultStandInPorts, ...options.ports };
  const dataDir = options.dataDir === undefined ? undefined : path.resolve(options.dataDir);
  const tlsDir = dataDir === undefined ? await temporaryCaDirectory() : localTlsDir(dataDir);
  const cleanups: (() => Promise<void>)[] = [];
  const closeAll = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };

  try {
    const certificates = await ensureLocalCertificates(tlsDir);
    const azuriteDir = dataDir === undefined ? undefined : path.join(dataDir, 'azurite');
    if (options.fresh === true && azuriteDir !== undefined)
      await fs.rm(azuriteDir, { recursive: true, force: true });

    const tls = { cert: certificates.serverCertPem, key: certificates.serverKeyPem };
    const [cosmosStart, azuriteStart, acsEmailStart, docuSignStart] = await Promise.allSettled([
      timed(() =>
        startCosmosStandIn({
          port: ports.cosmos,
          tls,
          stateDir: dataDir === undefined ? undefined : path.join(dataDir, 'cosmos'),
          fresh: options.fresh,
          log,
        }),
      ),
      timed(() => startAzurite({ ports, stateDir: azuriteDir })),
      timed(() =>
        startAcsEmailStandIn({
          port: ports.acsEmail,
          tls,
          stateDir: dataDir === undefined ? undefined : path.join(dataDir, 'acs-email'),
          fresh: options.fresh,
          log,
        }),
      ),
      timed(() =>
        startDocuSignStandIn({
          port: ports.docuSign,
          tls,
          caPem: certificates.caPem,
          dataDir,
          fresh: options.fresh,
          clock: options.clock,
          log,
        }),
      ),
    ]);
    // Whichever started is closed if another failed (e.g. its port is in use).
    const started = [cosmosStart, azuriteStart, acsEmailStart, docuSignStart];
    for (const start of started) {
      if (start.status === 'fulfilled') cleanups.push(() => start.value.value.close());
    }
    const cosmos = startedValue(cosmosStart);
    const azurite = startedValue(azuriteStart);
    const acsEmail = startedValue(acsEmailStart);
    const docuSign = startedValue(docuSignStart).value;
    // DocuSign's own mails (the signing links) land in the same outbox, marked as DocuSign's.
    docuSign.setDeliverMail(async (mail) => {
      await acsEmail.value.deliver({ source: 'docusign', from: docuSignSender, ...mail, to: [mail.to] });
    });
    describe(cosmos, azurite, dataDir, log); // the ACS Email stand-in prints its own line

    const standIns = endpointsOf(cosmos.value, azurite.value, certificates.caCertPath);
    return {
      ...standIns,
      acsEmail: acsEmail.value,
      docuSign,
      certificates,
      env: {
        ...standInSettings(standIns),
        Email__connectionString: acsEmail.value.connectionString,
        ...docuSign.env,
      },
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

let temporaryCa: Promise<string> | undefined;

/** In-memory mode: one throw-away CA per process (key generation costs ~0.5 s), removed at exit. */
function temporaryCaDirectory(): Promise<string> {
  temporaryCa ??= fs.mkdtemp(path.join(os.tmpdir(), 'standins-tls-')).then((dir) => {
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    return dir;
  });
  return temporaryCa;
}

export type StandInEndpoints = Omit<StandIns, 'env' | 'close' | 'certificates' | 'acsEmail' | 'docuSign'>;

/** The address DocuSign's notification mails come from. */
const docuSignSender = 'dse_demo@docusign.net';

export function endpointsOf(cosmos: CosmosStandIn, azurite: Azurite, caCertPath: string): StandInEndpoints {
  return {
    cosmosEndpoint: cosmos.endpoint,
    cosmosKey: cosmos.key,
    blobEndpoint: azurite.blobEndpoint,
    queueEndpoint: azurite.queueEndpoint,
    tableEndpoint: azurite.tableEndpoint,
    caCertPath,
  };
}

/** App settings pointing at the stand-ins, with the names the app reads locally and in Azure. */
export function standInSettings(endpoints: StandInEndpoints): Record<string, string> {
  const { name, key } = storageEmulatorAccount;
  return {
    CosmosDb__accountEndpoint: endpoints.cosmosEndpoint,
    CosmosDb__accountKey: endpoints.cosmosKey,
    DataStorage__blobServiceUri: endpoints.blobEndpoint,
    DataStorage__accountName: name,
    DataStorage__accountKey: key,
    // Vended project containers live in the same Azurite account: Azurite copies only within one instance.
    VendingStorage__blobServiceUri: endpoints.blobEndpoint,
    LOCAL_CA_CERT_PATH: endpoints.caCertPath,
    AzureWebJobsStorage: [
      'DefaultEndpointsProtocol=http',
      `AccountName=${name}`,
      `AccountKey=${key}`,
      `BlobEndpoint=${endpoints.blobEndpoint}`,
      `QueueEndpoint=${endpoints.queueEndpoint}`,
      `TableEndpoint=${endpoints.tableEndpoint}`,
    ].join(';'),
  };
}

function describe(
  cosmos: Timed<CosmosStandIn>,
  azurite: Timed<Azurite>,
  dataDir: string | undefined,
  log: (line: string) => void,
): void {
  const where = dataDir === undefined ? 'in memory' : `state in ${dataDir}`;
  const restored =
    cosmos.value.restoredRecords > 0 ? `, ${cosmos.value.restoredRecords} records restored` : '';
  log(`Cosmos DB stand-in  ${cosmos.value.endpoint}  (${where}${restored}, ready in ${cosmos.ms} ms)`);
  log(`Azurite blob        ${azurite.value.blobEndpoint}  (${where}, ready in ${azurite.ms} ms)`);
  log(`Azurite queue       ${azurite.value.queueEndpoint}`);
  log(`Azurite table       ${azurite.value.tableEndpoint}`);
}

function startedValue<T>(start: PromiseSettledResult<T>): T {
  if (start.status === 'rejected') throw start.reason;
  return start.value;
}

interface Timed<T> {
  readonly value: T;
  readonly ms: number;
}

async function timed<T>(start: () => Promise<T>): Promise<Timed<T>> {
  const began = Date.now();
  const value = await start();
  return { value, ms: Date.now() - began };
}
