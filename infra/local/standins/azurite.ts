/**
 * Azure Storage stand-in: Azurite's Blob, Queue and Table servers, started in this process through their
 * server classes (Azurite's package entry needs VS Code).
 *
 * Persistence: with a state folder, Azurite keeps blob and queue contents as files and its metadata in
 * LokiJS databases that it saves every 5 seconds and on close; a crash (SIGKILL) would lose the metadata
 * of the last seconds of changes, i.e. the blobs themselves. So here a request that changes anything is
 * answered only after the metadata is saved (written to a temp file, renamed): what a client saw
 * acknowledged survives a process crash. Saves are shared by concurrent requests; no fsync, so a power
 * loss can still lose the last changes. Without a state folder everything lives in memory, isolated per
 * instance (its own extent store).
 */
import { promises as fs } from 'node:fs';
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import path from 'node:path';
import BlobConfiguration from 'azurite/dist/src/blob/BlobConfiguration';
import BlobServer from 'azurite/dist/src/blob/BlobServer';
import type ServerBase from 'azurite/dist/src/common/ServerBase';
import {
  DEFAULT_EXTENT_MEMORY_LIMIT,
  MemoryExtentChunkStore,
} from 'azurite/dist/src/common/persistence/MemoryExtentStore';
import QueueConfiguration from 'azurite/dist/src/queue/QueueConfiguration';
import QueueServer from 'azurite/dist/src/queue/QueueServer';
import TableConfiguration from 'azurite/dist/src/table/TableConfiguration';
import TableServer from 'azurite/dist/src/table/TableServer';

/** Azurite's (and the Storage emulator's) well-known development account. Public, local only. */
export const storageEmulatorAccount = {
  name: 'devstoreaccount1',
  key: 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==',
} as const;

export interface AzuriteOptions {
  /** Ports on 127.0.0.1; 0 picks a free one. */
  readonly ports: { readonly blob: number; readonly queue: number; readonly table: number };
  /** Folder for Azurite's files; undefined keeps everything in memory. */
  readonly stateDir?: string;
}

export interface Azurite {
  /** Service endpoints including the account, e.g. `http://127.0.0.1:10000/devstoreaccount1`. */
  readonly blobEndpoint: string;
  readonly queueEndpoint: string;
  readonly tableEndpoint: string;
  /** Stops the servers; Azurite saves its metadata on close. In memory mode the data is discarded. */
  close(): Promise<void>;
}

const host = '127.0.0.1';
// Newer SDKs send API versions newer than Azurite knows; loose mode ignores headers Azurite does not support.
const loose = true;
const skipApiVersionCheck = true;

export async function startAzurite(options: AzuriteOptions): Promise<Azurite> {
  if (options.stateDir !== undefined) await fs.mkdir(options.stateDir, { recursive: true });
  const servers = createServers(options);
  const started: ServerBase[] = [];
  try {
    for (const server of [servers.blob, servers.queue, servers.table]) {
      await server.start();
      started.push(server);
    }
  } catch (error) {
    await Promise.allSettled(started.map((server) => server.close()));
    throw error;
  }
  const endpoint = (server: ServerBase): string =>
    `${server.getHttpServerAddress()}/${storageEmulatorAccount.name}`;
  const inMemory = options.stateDir === undefined;
  let closing: Promise<void> | undefined;
  return {
    blobEndpoint: endpoint(servers.blob),
    queueEndpoint: endpoint(servers.queue),
    tableEndpoint: endpoint(servers.table),
    close: () =>
      (closing ??= (async () => {
        await Promise.all(started.map((server) => server.close()));
        // Release the memory of in-memory stores; on disk, the data is what we keep.
        if (inMemory) await Promise.all(started.map((server) => server.clean()));
      })()),
  };
}

function createServers(options: AzuriteOptions): { blob: ServerBase; queue: ServerBase; table: ServerBase } {
  const dir = options.stateDir;
  const file = (name: string): string | undefined => (dir === undefined ? undefined : path.join(dir, name));
  const extents = (
    name: string,
  ): { locationId: string; locationPath: string; maxConcurrency: number }[] | undefined =>
    dir === undefined
      ? undefined
      : [{ locationId: 'Default', locationPath: path.join(dir, name), maxConcurrency: 10 }];
  const inMemory = dir === undefined;
  // Each in-memory server gets its own chunk store; Azurite's default one is shared by the whole process.
  const memoryStore = (): MemoryExtentChunkStore | undefined =>
    inMemory ? new MemoryExtentChunkStore(DEFAULT_EXTENT_MEMORY_LIMIT) : undefined;
  const noTls = ['', '', ''] as const; // cert, key, password
  const oauth = undefined;
  const disableProductStyleUrl = false;

  // Positional constructor arguments, as in azurite 3.35 (dist/src/*/…Configuration.js); the blob and queue
  // configurations take the same ones.
  const extentServiceArguments = (service: 'blob' | 'queue', port: number): unknown[] => [
    host,
    port,
    undefined, // keep-alive timeout: default
    file(`__azurite_db_${service}__.json`),
    file(`__azurite_db_${service}_extent__.json`),
    extents(`__${service}storage__`),
    false, // access log
    undefined,
    false, // debug log
    undefined,
    loose,
    skipApiVersionCheck,
    ...noTls,
    oauth,
    disableProductStyleUrl,
    inMemory,
    memoryStore(),
  ];
  const blob = new BlobServer(new BlobConfiguration(...extentServiceArguments('blob', options.ports.blob)));
  const queue = new QueueServer(
    new QueueConfiguration(...extentServiceArguments('queue', options.ports.queue)),
  );
  // The table configuration orders its log flags differently and has no extent store.
  const table = new TableServer(
    new TableConfiguration(
      host,
      options.ports.table,
      undefined,
      file('__azurite_db_table__.json'),
      false, // debug log
      false, // access log
      undefined,
      undefined,
      loose,
      skipApiVersionCheck,
      ...noTls,
      oauth,
      disableProductStyleUrl,
      inMemory,
    ),
  );
  if (!inMemory) for (const server of [blob, queue, table]) saveMetadataBeforeAnswering(server);
  return { blob, queue, table };
}

/** The parts of a LokiJS database and of Azurite's server internals used below. */
interface LokiDatabase {
  saveDatabase(callback: (error?: unknown) => void): void;
}
interface ServerInternals {
  readonly httpServer: Server;
  readonly metadataStore?: { readonly db: LokiDatabase };
  readonly extentMetadataStore?: { readonly db: LokiDatabase };
}

const readOnlyMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Holds the answer to every mutating request until the server's Loki databases are saved. */
function saveMetadataBeforeAnswering(server: ServerBase): void {
  const internals = server as unknown as ServerInternals;
  const databases = [internals.metadataStore?.db, internals.extentMetadataStore?.db].filter(
    (db): db is LokiDatabase => db !== undefined,
  );
  const save = (): Promise<unknown> =>
    Promise.all(databases.map((db) => new Promise((resolve) => db.saveDatabase(resolve))));
  const listeners = internals.httpServer.listeners('request') as RequestListener[];
  internals.httpServer.removeAllListeners('request');
  internals.httpServer.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (!readOnlyMethods.has(req.method ?? 'GET')) {
      const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
      // A failed save is not the client's problem: the change is in memory and Azurite saves again later.
      res.end = ((...args: unknown[]) => {
        void save().then(() => end(...args));
        return res;
      }) as ServerResponse['end'];
    }
    for (const listener of listeners) listener(req, res);
  });
}
