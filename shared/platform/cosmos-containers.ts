import type { Container, Database } from '@azure/cosmos';
import type { CosmosContainerSpec } from './storage-layout';

/**
 * A container of the storage layout, created on first use if it is missing (locally the stand-in starts empty;
 * in Azure the infrastructure declares it, so this is one metadata read). A failed attempt is retried on the
 * next call instead of being cached.
 */
export function lazyContainer(database: Database, spec: CosmosContainerSpec): () => Promise<Container> {
  let ready: Promise<Container> | undefined;
  return () =>
    (ready ??= database.containers
      .createIfNotExists({
        id: spec.id,
        partitionKey: { paths: [spec.partitionKeyPath] },
        ...(spec.defaultTtl === undefined ? {} : { defaultTtl: spec.defaultTtl }),
      })
      .then(
        ({ container }) => container,
        (error: unknown) => {
          ready = undefined;
          throw error;
        },
      ));
}

/** Cosmos DB's HTTP status on an SDK error (e.g. 404, 409, 412), if it has one. */
export function cosmosStatus(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}
