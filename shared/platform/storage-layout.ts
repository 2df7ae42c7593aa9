/**
 * Where the application keeps its data: every Cosmos DB container (with its partition key and TTL) and every
 * Blob Storage container the code uses. Modules take their names from here, the local stand-ins create them,
 * and the infrastructure test checks that `infra/` declares exactly these.
 *
 * Partition keys (why each was chosen is in the README, "Stores"):
 * - users by `/id`: one profile per signed-in user, always read by its id.
 * - requests by `/ownerId`: the dashboard (a requester's requests, newest first) is a single-partition query;
 *   reads by staff and committee members are cross-partition by id, which is rare and small.
 * - requestEvents by `/requestId`: a request's timeline is read and appended as one partition.
 * - grants by `/userId`: the catalog's `held` and the requester's access are one partition per user.
 * - reviews by `/requestId`: the per-DAU review state and its decisions sit with their request.
 * - envelopes by `/envelopeId`: a DocuSign Connect delivery names only its envelope.
 */

export interface CosmosContainerSpec {
  readonly id: string;
  readonly partitionKeyPath: string;
  /** -1: TTL on, per-item `ttl` only; undefined: TTL off. */
  readonly defaultTtl?: number;
}

export const cosmosContainers = {
  catalogFiles: { id: 'catalogFiles', partitionKeyPath: '/pk', defaultTtl: -1 },
  catalogDaus: { id: 'catalogDaus', partitionKeyPath: '/id' },
  catalogSnapshots: { id: 'catalogSnapshots', partitionKeyPath: '/snapshotId' },
  users: { id: 'users', partitionKeyPath: '/id' },
  requests: { id: 'requests', partitionKeyPath: '/ownerId' },
  requestEvents: { id: 'requestEvents', partitionKeyPath: '/requestId' },
  grants: { id: 'grants', partitionKeyPath: '/userId' },
  reviews: { id: 'reviews', partitionKeyPath: '/requestId' },
  envelopes: { id: 'envelopes', partitionKeyPath: '/envelopeId', defaultTtl: -1 },
} as const satisfies Record<string, CosmosContainerSpec>;

/** Blob containers of the data storage account (`DataStorage__blobServiceUri`). */
export const dataBlobContainers = {
  /** Private: the agreement template and uploaded signed agreements (every version kept). */
  documents: 'documents',
  /** Private: frozen selections, one gzip manifest of file ids per submitted request. */
  selections: 'selections',
  /** Private: a vend's copy plan, one small JSON blob per batch of files (`<requestId>/<dauId>/<n>.json`). */
  vendingPlans: 'vending-plans',
} as const;
