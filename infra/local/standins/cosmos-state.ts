/**
 * The `@zeit/cosmosdb-server` account of one Cosmos DB stand-in, instrumented so that every mutation
 *
 * - is reported as a record (for the journal) in the order it is applied, and
 * - advances the container's change-feed sequence (LSN), which the server lacks;
 *
 * and two server faults are corrected: replacing a container keeps its items, and queries run in linear
 * time (cosmos-query.ts).
 *
 * Records carry the stored resource exactly as the server keeps it (`_rid`, `_etag`, `_ts`), so replaying
 * them restores the same ETags: a client holding an ETag from before a restart still gets its 412 or its
 * match.
 */
import './cosmos-etags'; // before the server's account classes load
import Account from '@zeit/cosmosdb-server/lib/account';
import type Collection from '@zeit/cosmosdb-server/lib/account/collection';
import type Database from '@zeit/cosmosdb-server/lib/account/database';
import type ItemObject from '@zeit/cosmosdb-server/lib/account/item-object';
import type Items from '@zeit/cosmosdb-server/lib/account/items';
import { z } from 'zod';
import { ChangeLog } from './cosmos-change-feed';
import { scopeQueriesToPartition, type PartitionedItems } from './cosmos-partition';
import { linearQuery } from './cosmos-query';

type AnyItems = Items<never, never>;

/** A stored resource, checked for its identity fields only (and not copied: snapshots hold many). */
const resource = z.custom<ItemObject>((value) => {
  const candidate = value as Partial<Record<'id' | '_rid' | '_self', unknown>> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.id === 'string' &&
    typeof candidate._rid === 'string' &&
    typeof candidate._self === 'string'
  );
}, 'a stored resource with id, _rid and _self');

/** One persisted mutation (journal) or one resource of the state (snapshot). */
export const stateRecordSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('database'), ridCount: z.number(), data: resource }),
  z.object({
    kind: z.literal('container'),
    database: z.string(),
    ridCount: z.number(),
    /** Highest change-feed sequence number handed out (snapshots only). */
    lastLsn: z.number().optional(),
    data: resource,
  }),
  z.object({
    kind: z.literal('item'),
    database: z.string(),
    container: z.string(),
    ridCount: z.number(),
    lsn: z.number(),
    data: resource,
  }),
  z.object({
    kind: z.literal('udf'),
    database: z.string(),
    container: z.string(),
    ridCount: z.number(),
    data: resource,
  }),
  z.object({
    kind: z.literal('delete'),
    of: z.enum(['database', 'container', 'item', 'udf']),
    database: z.string().optional(),
    container: z.string().optional(),
    rid: z.string(),
  }),
]);
export type StateRecord = z.infer<typeof stateRecordSchema>;

export class CosmosState {
  readonly account: Account;
  private readonly changeLogs = new WeakMap<object, ChangeLog>();
  private recording = true;

  /** `onRecord` receives each mutation as it is applied (not during `apply`). */
  constructor(private readonly onRecord: (record: StateRecord) => void = () => undefined) {
    // Host and port only feed the account document, which the server answers with the real endpoint.
    this.account = new Account('127.0.0.1', 0);
    this.instrumentDatabases();
  }

  /** The change sequence of a container's items. */
  changeLog(collection: Collection): ChangeLog {
    return this.changeLogOf(collection.documents as unknown as AnyItems);
  }

  /** Restores one persisted record (snapshot or journal replay) without reporting it again. */
  apply(raw: unknown): void {
    const record = stateRecordSchema.parse(raw);
    this.recording = false;
    try {
      this.applyRecord(record);
    } finally {
      this.recording = true;
    }
  }

  /** The whole state as records, captured synchronously (the stored objects are never mutated in place). */
  capture(): StateRecord[] {
    const records: StateRecord[] = [];
    const databases = this.account.databases as unknown as AnyItems;
    for (const database of databases._data.values() as Iterable<Database>) {
      const db = database.read();
      records.push({ kind: 'database', ridCount: databases._ridCount, data: db });
      const collections = database.collections as unknown as AnyItems;
      for (const collection of collections._data.values() as Iterable<Collection>) {
        const coll = collection.read();
        const documents = collection.documents as unknown as AnyItems;
        const log = this.changeLogOf(documents);
        records.push({
          kind: 'container',
          database: db.id,
          ridCount: collections._ridCount,
          lastLsn: log.lastLsn,
          data: coll,
        });
        const where = { database: db.id, container: coll.id };
        const items = documents._data as unknown as Map<string, { read(): ItemObject }>;
        // Oldest change first, so a replay rebuilds the same change sequence.
        for (const { lsn, rid } of log.after(0)) {
          const data = items.get(rid)?.read();
          if (data !== undefined)
            records.push({ kind: 'item', ...where, ridCount: documents._ridCount, lsn, data });
        }
        const udfs = collection.userDefinedFunctions as unknown as AnyItems;
        for (const udf of udfs._data.values() as Iterable<{ read(): ItemObject }>) {
          records.push({ kind: 'udf', ...where, ridCount: udfs._ridCount, data: udf.read() });
        }
      }
    }
    return records;
  }

  private changeLogOf(documents: AnyItems): ChangeLog {
    let log = this.changeLogs.get(documents);
    if (log === undefined) {
      log = new ChangeLog();
      this.changeLogs.set(documents, log);
    }
    return log;
  }

  private applyRecord(record: StateRecord): void {
    const restore = (items: AnyItems, ridCount: number, data: ItemObject): void => {
      items._ridCount = Math.max(items._ridCount, ridCount);
      items._set(data);
    };
    switch (record.kind) {
      case 'database':
        restore(this.account.databases as unknown as AnyItems, record.ridCount, record.data);
        return;
      case 'container': {
        const database = this.existingDatabase(record.database);
        const previous = database.collection(record.data.id);
        restore(database.collections as unknown as AnyItems, record.ridCount, record.data);
        const collection = this.existingCollection(record.database, record.data.id);
        if (previous.read()) keepContents(previous, collection); // a replaced container keeps its items
        if (record.lastLsn !== undefined) this.changeLog(collection).lastLsn = record.lastLsn;
        return;
      }
      case 'item': {
        const collection = this.existingCollection(record.database, record.container);
        restore(collection.documents as unknown as AnyItems, record.ridCount, record.data);
        this.changeLog(collection).changed(record.data._rid, record.lsn);
        return;
      }
      case 'udf': {
        // Through upsert, which also compiles the function; the UDF gets a new ETag.
        const collection = this.existingCollection(record.database, record.container);
        collection.userDefinedFunctions.upsert({ id: record.data.id, body: String(record.data.body) });
        return;
      }
      case 'delete':
        this.itemsOf(record).delete(record.rid, undefined);
    }
  }

  private itemsOf(record: Extract<StateRecord, { kind: 'delete' }>): AnyItems {
    const databaseId = record.database ?? '';
    const containerId = record.container ?? '';
    switch (record.of) {
      case 'database':
        return this.account.databases as unknown as AnyItems;
      case 'container':
        return this.existingDatabase(databaseId).collections as unknown as AnyItems;
      case 'item':
        return this.existingCollection(databaseId, containerId).documents as unknown as AnyItems;
      case 'udf':
        return this.existingCollection(databaseId, containerId).userDefinedFunctions as unknown as AnyItems;
    }
  }

  private existingDatabase(id: string): Database {
    const database = this.account.database(id);
    if (!database.read()) throw new Error(`persisted state refers to a missing database ${id}`);
    return database;
  }

  private existingCollection(databaseId: string, id: string): Collection {
    const collection = this.existingDatabase(databaseId).collection(id);
    if (!collection.read())
      throw new Error(`persisted state refers to a missing container ${databaseId}/${id}`);
    return collection;
  }

  // --- instrumentation: wraps the mutating methods of each Items instance as the server creates them ---

  private instrumentDatabases(): void {
    const databases = this.account.databases as unknown as AnyItems;
    this.instrument(databases, {
      put: (data, ridCount) => ({ kind: 'database', ridCount, data }),
      remove: (rid) => ({ kind: 'delete', of: 'database', rid }),
      created: (database: Database, data) => this.instrumentCollections(database, data.id),
    });
  }

  private instrumentCollections(database: Database, databaseId: string): void {
    const collections = database.collections as unknown as AnyItems;
    this.instrument(collections, {
      put: (data, ridCount) => ({ kind: 'container', database: databaseId, ridCount, data }),
      remove: (rid) => ({ kind: 'delete', of: 'container', database: databaseId, rid }),
      created: (collection: Collection, data) => this.instrumentContents(collection, databaseId, data.id),
    });
    // The server replaces a container (e.g. a new indexing policy) by deleting it and creating an empty one.
    // Cosmos DB keeps the items: move them over, and journal the replace as one put, not delete + put.
    const originalReplace = collections.replace.bind(collections);
    collections.replace = (data, original) => {
      const previous = database.collection(String(original.id));
      this.recording = false;
      let stored: ItemObject;
      try {
        stored = originalReplace(data, original);
      } finally {
        this.recording = true;
      }
      keepContents(previous, database.collection(stored.id));
      this.onRecord({
        kind: 'container',
        database: databaseId,
        ridCount: collections._ridCount,
        data: stored,
      });
      return stored;
    };
  }

  private instrumentContents(collection: Collection, databaseId: string, containerId: string): void {
    const where = { database: databaseId, container: containerId };
    const documents = collection.documents as unknown as AnyItems;
    const log = this.changeLogOf(documents);
    const compile = documents._getQuery.bind(documents);
    documents._getQuery = (sql) => linearQuery(compile(sql));
    scopeQueriesToPartition(documents as unknown as PartitionedItems);
    this.instrument(documents, {
      put: (data, ridCount) => {
        if (!this.recording) return undefined; // apply() sets the persisted LSN itself
        return { kind: 'item', ...where, ridCount, lsn: log.changed(data._rid), data };
      },
      remove: (rid) => {
        log.removed(rid);
        return { kind: 'delete', of: 'item', ...where, rid };
      },
    });
    this.instrument(collection.userDefinedFunctions as unknown as AnyItems, {
      put: (data, ridCount) => ({ kind: 'udf', ...where, ridCount, data }),
      remove: (rid) => ({ kind: 'delete', of: 'udf', ...where, rid }),
    });
  }

  private instrument<Child>(
    items: AnyItems,
    hooks: {
      put: (data: ItemObject, ridCount: number) => StateRecord | undefined;
      remove: (rid: string) => StateRecord;
      created?: (child: Child, data: ItemObject) => void;
    },
  ): void {
    const originalSet = items._set.bind(items);
    const originalDelete = items.delete.bind(items);
    const originalNewItem = items._newItem.bind(items);
    items._set = (data: ItemObject): ItemObject => {
      const stored = originalSet(data);
      const record = hooks.put(stored, items._ridCount);
      if (this.recording && record !== undefined) this.onRecord(record);
      return stored;
    };
    items.delete = (idOrRid, partition): void => {
      const existing = (items._item('/id', idOrRid, partition) as { read(): ItemObject | undefined }).read();
      originalDelete(idOrRid, partition);
      if (!existing) return;
      const record = hooks.remove(existing._rid);
      if (this.recording) this.onRecord(record);
    };
    if (hooks.created !== undefined) {
      const created = hooks.created;
      // The server creates a child object for every lookup, hits and misses alike; only real ones matter.
      items._newItem = (data?: ItemObject) => {
        const child = originalNewItem(data);
        if (data) created(child as Child, data);
        return child;
      };
    }
  }
}

/** Moves a container's items, functions and key ranges to the object that replaces it. */
function keepContents(from: Collection, to: Collection): void {
  if (from === to) return;
  to.documents = from.documents;
  to.userDefinedFunctions = from.userDefinedFunctions;
  to.partitionKeyRanges = from.partitionKeyRanges;
  for (const contents of [to.documents, to.userDefinedFunctions, to.partitionKeyRanges]) {
    (contents as unknown as { _parent: Collection })._parent = to;
  }
}
