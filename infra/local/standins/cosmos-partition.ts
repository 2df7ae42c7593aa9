/**
 * Requests the SDK scopes to one logical partition (`x-ms-documentdb-partitionkey`): the change feed and
 * queries. `@zeit/cosmosdb-server` ignores the header on queries and answers from every partition; Cosmos DB
 * answers from that partition only, so code that relies on it (a dashboard of one owner's requests) would
 * pass here and be wrong there, or the reverse.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage } from 'node:http';

/** The partition key value a request names, if it names one. */
export function partitionFilter(req: IncomingMessage): unknown {
  const header = req.headers['x-ms-documentdb-partitionkey'];
  if (typeof header !== 'string') return undefined;
  try {
    const value: unknown = JSON.parse(header);
    return Array.isArray(value) ? value[0] : value;
  } catch {
    return undefined;
  }
}

export function samePartition(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The partition the query being answered is scoped to (set around the server's query handler). */
const queryPartition = new AsyncLocalStorage<{ readonly value: unknown }>();

/** Runs `answer` (the server's query handler) so that its query sees only the partition `req` names. */
export function withQueryPartition<T>(req: IncomingMessage, answer: () => T): T {
  const value = partitionFilter(req);
  return value === undefined ? answer() : queryPartition.run({ value }, answer);
}

/** What this needs of the server's `Items` (a container's documents). */
export interface PartitionedItems {
  _data: Map<string, { read(): object }>;
  _getPartition(data: object): unknown;
  query(params: unknown, options: unknown): unknown;
}

/**
 * Makes the container's query honour `withQueryPartition`. The server's query reads its items map
 * synchronously, so the map is narrowed to the partition for exactly that call.
 */
export function scopeQueriesToPartition(documents: PartitionedItems): void {
  const query = documents.query.bind(documents);
  documents.query = (params, options) => {
    const scope = queryPartition.getStore();
    if (scope === undefined) return query(params, options);
    const everything = documents._data;
    documents._data = new Map(
      [...everything].filter(([, item]) => samePartition(documents._getPartition(item.read()), scope.value)),
    );
    try {
      return query(params, options);
    } finally {
      documents._data = everything;
    }
  };
}
