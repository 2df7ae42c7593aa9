/**
 * The Cosmos DB stand-in: `@zeit/cosmosdb-server`'s account and request handlers, served over HTTPS with
 * the local CA's certificate (the package's own certificate expired in 2021), plus what the package lacks
 * and our code needs:
 *
 * - persistence: every mutation is journaled and made durable (fdatasync) before the request is answered,
 *   replayed at start, and compacted into a snapshot at clean shutdown or when the journal grows, so local
 *   data survives a restart, a Ctrl-C and a crash (SIGKILL) alike;
 * - a real change feed (see cosmos-change-feed.ts) and all-or-nothing transactional batches
 *   (cosmos-batch.ts);
 * - keep-alive connections (the package closes every connection, which costs a TLS handshake per request).
 *
 * Known gaps of the package, by design not papered over: no GROUP BY, no OFFSET/LIMIT, no partial document
 * update (patch), no bulk (`executeBulkOperations`), authorization keys are not checked.
 */
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { withQueryPartition } from './cosmos-partition';
import routes from '@zeit/cosmosdb-server/lib/routes';
import { executeBatch } from './cosmos-batch';
import { isChangeFeedRequest, readChangeFeed } from './cosmos-change-feed';
import { Journal } from './cosmos-journal';
import { CosmosState } from './cosmos-state';

/** The Cosmos DB emulator's well-known key (public; the stand-in accepts any key). */
export const cosmosEmulatorKey =
  'C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==';

export interface CosmosStandInOptions {
  /** TCP port on 127.0.0.1; 0 picks a free one. */
  readonly port: number;
  /** Server certificate and key (PEM), signed by the local CA. */
  readonly tls: { readonly cert: string; readonly key: string };
  /** Folder holding the persisted state; undefined keeps everything in memory. */
  readonly stateDir?: string;
  /** Delete the persisted state first. */
  readonly fresh?: boolean;
  /** Compact the journal into a snapshot once it exceeds this many bytes (default 64 MiB). */
  readonly compactAfterBytes?: number;
  readonly log?: (line: string) => void;
}

export interface CosmosStandIn {
  /** e.g. `https://127.0.0.1:8081/` */
  readonly endpoint: string;
  readonly key: string;
  /** Records (databases, containers, items) restored from disk at start. */
  readonly restoredRecords: number;
  /** Stops serving, makes everything durable and compacts the journal into a snapshot. */
  close(): Promise<void>;
}

export async function startCosmosStandIn(options: CosmosStandInOptions): Promise<CosmosStandIn> {
  const log = options.log ?? (() => undefined);
  let journal: Journal | undefined;
  const state = new CosmosState((record) => journal?.append(record));
  let restoredRecords = 0;
  if (options.stateDir !== undefined) {
    if (options.fresh === true) await fs.rm(options.stateDir, { recursive: true, force: true });
    journal = await Journal.open(
      options.stateDir,
      (record) => {
        state.apply(record);
        restoredRecords += 1;
      },
      { capture: () => state.capture(), compactAfterBytes: options.compactAfterBytes },
    );
  }

  const server = https.createServer({ cert: options.tls.cert, key: options.tls.key }, (req, res) => {
    void answer(req, res, state, journal, log);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, '127.0.0.1', () => resolve());
    });
  } catch (error) {
    await journal?.close();
    throw error;
  }
  const { port } = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  return {
    endpoint: `https://127.0.0.1:${port}/`,
    key: cosmosEmulatorKey,
    restoredRecords,
    close: () =>
      (closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        await journal?.close();
      })()),
  };
}

async function answer(
  req: IncomingMessage,
  res: ServerResponse,
  state: CosmosState,
  journal: Journal | undefined,
  log: (line: string) => void,
): Promise<void> {
  // The SDK sometimes sends a double slash after the host (which URL would read as a host name).
  const pathname = new URL((req.url ?? '/').replace(/^\/\/+/, '/'), 'https://stand-in').pathname;
  let body: unknown;
  try {
    body = await dispatch(req, res, pathname, state);
  } catch (error) {
    log(`cosmos stand-in: ${req.method ?? ''} ${pathname} failed: ${(error as Error).message}`);
    res.statusCode = 500;
    body = { code: 'InternalServerError', message: 'The Cosmos DB stand-in failed to process the request.' };
  }
  try {
    // Nothing is acknowledged before it is on disk.
    await journal?.commit();
  } catch (error) {
    log(`cosmos stand-in: could not persist a change: ${(error as Error).message}`);
    res.statusCode = 503;
    body = { code: 'ServiceUnavailable', message: 'The Cosmos DB stand-in could not persist the change.' };
  }
  const etag = (body as { _etag?: unknown } | undefined)?._etag;
  if (typeof etag === 'string' && !res.hasHeader('etag')) res.setHeader('etag', etag);
  res.setHeader('content-type', 'application/json');
  res.setHeader('x-ms-activity-id', randomUUID());
  res.setHeader('x-ms-request-charge', '1');
  res.end(res.statusCode === 304 || body === undefined ? undefined : JSON.stringify(body));
}

async function dispatch(
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
  state: CosmosState,
): Promise<unknown> {
  const { account } = state;
  const containerPath = /^\/dbs\/([^/]+)\/colls\/([^/]+)\/docs\/?$/.exec(pathname);

  if (req.method === 'GET' && pathname === '/') {
    // The account document, naming the endpoint the client used, so endpoint discovery keeps using it.
    const endpoint = `https://${req.headers.host ?? '127.0.0.1'}/`;
    const location = [{ name: 'South Central US', databaseAccountEndpoint: endpoint }];
    return { ...account.read(), writableLocations: location, readableLocations: location };
  }
  if (containerPath !== null && isChangeFeedRequest(req, pathname)) {
    const collection = account.database(decode(containerPath[1]!)).collection(decode(containerPath[2]!));
    if (!collection.read()) return notFound(res);
    return readChangeFeed(req, res, collection, state.changeLog(collection));
  }
  if (containerPath !== null && req.method === 'POST' && headerIsTrue(req, 'x-ms-cosmos-is-batch-request')) {
    const collection = account.database(decode(containerPath[1]!)).collection(decode(containerPath[2]!));
    const body = await readJson(req);
    if (!collection.read()) return notFound(res);
    return executeBatch(req, res, collection, body);
  }

  const route = routes(req) as [Record<string, string>, RouteHandler] | undefined;
  if (route === undefined) {
    res.statusCode = 400;
    return { code: 'BadRequest', message: `The stand-in does not support ${req.method ?? ''} ${pathname}` };
  }
  const [params, handler] = route;
  const body = await withQueryPartition(req, () => handler(account, req, res, params));
  if (req.headers['a-im'] !== undefined && res.statusCode === 200) {
    // Incremental reads of other feeds (partition key ranges): one unchanging version.
    if (req.headers['if-none-match'] !== undefined) res.statusCode = 304;
    res.setHeader('etag', '"1"');
  }
  return body;
}

type RouteHandler = (
  account: CosmosState['account'],
  req: IncomingMessage,
  res: ServerResponse,
  params: Record<string, string>,
) => unknown;

function notFound(res: ServerResponse): Record<string, string> {
  res.statusCode = 404;
  return { code: 'NotFound', message: 'Resource Not Found' };
}

function decode(segment: string): string {
  return decodeURIComponent(segment);
}

function headerIsTrue(req: IncomingMessage, name: string): boolean {
  const value = req.headers[name];
  return typeof value === 'string' && value.toLowerCase() === 'true';
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    return undefined; // rejected by the batch schema with a 400
  }
}
