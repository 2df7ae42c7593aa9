/**
 * The change feed (latest-version mode) of a container, which `@zeit/cosmosdb-server` only fakes (it
 * answers every incremental read with all documents, then 304 forever).
 *
 * Semantics follow Cosmos DB: each changed item appears once, in its latest version, ordered by its
 * change sequence number (`_lsn`); deletes do not appear; the response ETag is the continuation, sent
 * back as `If-None-Match`; `If-None-Match: *` starts from now; `If-Modified-Since` starts from a time;
 * 304 when nothing changed. The stand-in has one partition key range, so feed ranges are ignored, but a
 * partition key header narrows the feed to that partition.
 */
import { partitionFilter, samePartition } from './cosmos-partition';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Collection from '@zeit/cosmosdb-server/lib/account/collection';
import type ItemObject from '@zeit/cosmosdb-server/lib/account/item-object';

/** Whether the request is an incremental (change feed) read of a container's documents. */
export function isChangeFeedRequest(req: IncomingMessage, pathname: string): boolean {
  return (
    req.method === 'GET' &&
    req.headers['a-im'] !== undefined &&
    /^\/dbs\/[^/]+\/colls\/[^/]+\/docs\/?$/.test(pathname)
  );
}

/**
 * The change sequence of one container: each live item's latest LSN, and the changes in LSN order so a
 * read finds its starting point by binary search instead of sorting the container.
 */
export class ChangeLog {
  /** Highest LSN handed out; persisted, so numbers are never reused after deletes and restarts. */
  lastLsn = 0;
  private readonly lsnByRid = new Map<string, number>();
  /** Ascending by LSN; entries superseded by a later change or a delete are skipped and pruned. */
  private entries: { readonly lsn: number; readonly rid: string }[] = [];
  private superseded = 0;

  /** Records a change of item `rid`, with the next LSN or (when restoring) the persisted one. */
  changed(rid: string, lsn = this.lastLsn + 1): number {
    if (this.lsnByRid.has(rid)) this.superseded += 1;
    this.lsnByRid.set(rid, lsn);
    this.lastLsn = Math.max(this.lastLsn, lsn);
    const last = this.entries[this.entries.length - 1];
    this.entries.push({ lsn, rid });
    if (last !== undefined && last.lsn > lsn) this.entries.sort((a, b) => a.lsn - b.lsn);
    this.pruneWhenMostlySuperseded();
    return lsn;
  }

  removed(rid: string): void {
    if (this.lsnByRid.delete(rid)) this.superseded += 1;
    this.pruneWhenMostlySuperseded();
  }

  /** Live items changed after `since`, oldest change first. */
  *after(since: number): Generator<{ readonly lsn: number; readonly rid: string }> {
    let low = 0;
    let high = this.entries.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.entries[middle]!.lsn <= since) low = middle + 1;
      else high = middle;
    }
    for (let i = low; i < this.entries.length; i += 1) {
      const entry = this.entries[i]!;
      if (this.lsnByRid.get(entry.rid) === entry.lsn) yield entry;
    }
  }

  private pruneWhenMostlySuperseded(): void {
    if (this.superseded < 1024 || this.superseded * 2 < this.entries.length) return;
    this.entries = this.entries.filter((entry) => this.lsnByRid.get(entry.rid) === entry.lsn);
    this.superseded = 0;
  }
}

const defaultPageSize = 100;

export function readChangeFeed(
  req: IncomingMessage,
  res: ServerResponse,
  collection: Collection,
  log: ChangeLog,
): Record<string, unknown> {
  const since = startingLsn(req, log);
  const partition = partitionFilter(req);
  const requestedPageSize = Number(req.headers['x-ms-max-item-count'] ?? defaultPageSize);
  const pageSize = requestedPageSize > 0 ? requestedPageSize : Number.POSITIVE_INFINITY;
  const notBefore = since === undefined ? modifiedSince(req) : undefined;

  const page: { lsn: number; data: ItemObject }[] = [];
  for (const { lsn, rid } of log.after(since ?? 0)) {
    if (page.length >= pageSize) break;
    const data = collection.documents._data.get(rid)?.read();
    if (data === undefined) continue;
    if (notBefore !== undefined && (data._ts ?? 0) < notBefore) continue;
    if (partition !== undefined && !samePartition(collection.documents._getPartition(data), partition))
      continue;
    page.push({ lsn, data });
  }

  if (page.length === 0) {
    res.statusCode = 304;
    // Where the next read continues: "now" for a start-from-now read, otherwise unchanged.
    res.setHeader('etag', `"${since ?? log.lastLsn}"`);
    return {};
  }
  const continuation = page[page.length - 1]!.lsn;
  res.statusCode = 200;
  res.setHeader('etag', `"${continuation}"`);
  res.setHeader('x-ms-item-count', String(page.length));
  return {
    _rid: collection.read()._rid,
    Documents: page.map(({ lsn, data }) => ({ ...data, _lsn: lsn })),
    _count: page.length,
  };
}

/** The LSN after which changes are wanted; undefined for "from the beginning". */
function startingLsn(req: IncomingMessage, log: ChangeLog): number | undefined {
  const ifNoneMatch = req.headers['if-none-match'];
  if (ifNoneMatch === undefined) return undefined;
  if (ifNoneMatch.trim() === '*') return log.lastLsn;
  const lsn = Number(ifNoneMatch.replace(/"/g, ''));
  return Number.isFinite(lsn) ? lsn : undefined;
}

/** The start time in seconds, the resolution of `_ts` (a change in the same second is included). */
function modifiedSince(req: IncomingMessage): number | undefined {
  const header = req.headers['if-modified-since'];
  if (header === undefined) return undefined;
  const time = Date.parse(header);
  return Number.isNaN(time) ? undefined : Math.floor(time / 1000);
}
