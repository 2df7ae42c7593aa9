/**
 * Transactional batch (`container.items.batch`) with Cosmos DB's all-or-nothing semantics, which
 * `@zeit/cosmosdb-server` lacks: it applies operations one by one and keeps the ones before a failure.
 *
 * Here, when an atomic batch fails, the operations already applied are undone in reverse order and the
 * answer is Cosmos DB's: HTTP 207, the failing operation's status, 424 for every other operation.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Collection from '@zeit/cosmosdb-server/lib/account/collection';
import type ItemObject from '@zeit/cosmosdb-server/lib/account/item-object';
import {
  createOperation,
  deleteOperation,
  readOperation,
  replaceOperation,
  upsertOperation,
  type OperationResult,
} from '@zeit/cosmosdb-server/lib/handler/_document-operations';
import { parsePartitionKey } from '@zeit/cosmosdb-server/lib/utils/get-partition-from-header';
import { z } from 'zod';

const operationSchema = z.looseObject({
  operationType: z.enum(['Create', 'Upsert', 'Read', 'Delete', 'Replace']),
  id: z.string().optional(),
  partitionKey: z.string().optional(),
  ifMatch: z.string().optional(),
  resourceBody: z.looseObject({ id: z.string() }).optional(),
});
const batchSchema = z.array(operationSchema).max(100);
type Operation = z.infer<typeof operationSchema>;

interface OperationOutcome {
  statusCode: number;
  requestCharge: number;
  eTag?: string;
  resourceBody?: unknown;
}

const failedDependency: OperationOutcome = { statusCode: 424, requestCharge: 0 };

export function executeBatch(
  req: IncomingMessage,
  res: ServerResponse,
  collection: Collection,
  body: unknown,
): unknown {
  const parsed = batchSchema.safeParse(body);
  if (!parsed.success) {
    res.statusCode = 400;
    return {
      code: 'BadRequest',
      message: `Invalid batch: ${parsed.error.issues[0]?.message ?? 'malformed'}`,
    };
  }
  const atomic = headerIsTrue(req, 'x-ms-cosmos-batch-atomic');
  const continueOnError = headerIsTrue(req, 'x-ms-cosmos-batch-continue-on-error');
  // Operations name their partition key only when it differs from the batch's (the request header).
  const batchPartitionKey = req.headers['x-ms-documentdb-partitionkey'];
  const operations = parsed.data.map((operation) => ({
    ...operation,
    partitionKey:
      operation.partitionKey ?? (typeof batchPartitionKey === 'string' ? batchPartitionKey : undefined),
  }));
  const undo: (() => void)[] = [];
  const outcomes: OperationOutcome[] = [];
  let failedAt: number | undefined;

  for (const [index, operation] of operations.entries()) {
    if (failedAt !== undefined && (atomic || !continueOnError)) {
      outcomes.push(failedDependency);
      continue;
    }
    const before = currentVersion(collection, operation);
    const result = run(collection, operation);
    if (result.statusCode >= 400) {
      failedAt ??= index;
      outcomes.push({ statusCode: result.statusCode, requestCharge: 0 });
      continue;
    }
    if (operation.operationType !== 'Read')
      undo.push(undoer(collection, before, result.body as ItemObject | undefined));
    const stored = result.body as ItemObject | undefined;
    outcomes.push({
      statusCode: result.statusCode,
      requestCharge: 1,
      eTag: stored?._etag,
      resourceBody: stored,
    });
  }

  if (atomic && failedAt !== undefined) {
    for (const step of undo.reverse()) step();
    res.statusCode = 207;
    return outcomes.map((outcome, index) => (index === failedAt ? outcome : failedDependency));
  }
  res.statusCode = 200;
  return outcomes;
}

function run(collection: Collection, operation: Operation): OperationResult {
  const body = operation.resourceBody ?? {};
  const id = operation.id ?? '';
  switch (operation.operationType) {
    case 'Create':
      return createOperation(collection, { resourceBody: body });
    case 'Upsert':
      return upsertOperation(collection, { ...operation, resourceBody: body });
    case 'Replace':
      return replaceOperation(collection, { ...operation, resourceBody: body });
    case 'Read':
      return readOperation(collection, { partitionKey: operation.partitionKey, id });
    case 'Delete':
      return deleteOperation(collection, { ...operation, id });
  }
}

/** The stored version of the item an operation touches, if any. */
function currentVersion(collection: Collection, operation: Operation): ItemObject | undefined {
  if (operation.operationType === 'Read') return undefined;
  const id = operation.resourceBody?.id ?? operation.id;
  if (id === undefined) return undefined;
  try {
    const partition =
      operation.partitionKey !== undefined
        ? parsePartitionKey(operation.partitionKey, id)
        : collection.documents._getPartition(operation.resourceBody ?? {});
    return collection.document(id, partition).read() ?? undefined;
  } catch {
    return undefined; // an unparsable partition key: the operation itself fails, nothing to undo
  }
}

/** Restores `before` (or removes the item when there was none), undoing an applied operation. */
function undoer(
  collection: Collection,
  before: ItemObject | undefined,
  after: ItemObject | undefined,
): () => void {
  return () => {
    if (after !== undefined) collection.documents.delete(after._rid, undefined);
    if (before !== undefined) collection.documents._set(before);
  };
}

function headerIsTrue(req: IncomingMessage, name: string): boolean {
  const value = req.headers[name];
  return typeof value === 'string' && value.toLowerCase() === 'true';
}
