import type { Container, ItemDefinition } from '@azure/cosmos';
import type { z } from 'zod';
import { cosmosStatus } from './cosmos-containers';
import { StaleWriteError, type Stored } from './stored';

/**
 * Point reads and conditional writes of one kind of document, parsed with its schema on the way back (Cosmos
 * adds `_rid`, `_etag`, `_ts`, ...; they are dropped, the ETag is kept beside the document). A lost
 * precondition (412), an existing id on create (409) and a missing document on replace or delete (404) are
 * all `StaleWriteError`: the caller's picture of the document is out of date.
 */
export class ConditionalDocuments<T extends { readonly id: string }> {
  constructor(
    private readonly container: () => Promise<Container>,
    private readonly schema: z.ZodType<T>,
    private readonly partitionKeyOf: (document: T) => string,
  ) {}

  async read(id: string, partitionKey: string): Promise<Stored<T> | undefined> {
    const container = await this.container();
    const { resource } = await container.item(id, partitionKey).read<ItemDefinition>();
    return resource === undefined ? undefined : this.parse(resource);
  }

  async create(document: T): Promise<Stored<T>> {
    const container = await this.container();
    try {
      const { resource } = await container.items.create<ItemDefinition>(document as ItemDefinition);
      return this.parse(resource!);
    } catch (error) {
      throw stale(error);
    }
  }

  async replace(document: T, etag: string): Promise<Stored<T>> {
    const container = await this.container();
    try {
      const { resource } = await container
        .item(document.id, this.partitionKeyOf(document))
        .replace<ItemDefinition>(document as ItemDefinition, {
          accessCondition: { type: 'IfMatch', condition: etag },
        });
      return this.parse(resource!);
    } catch (error) {
      throw stale(error);
    }
  }

  async delete(id: string, partitionKey: string, etag: string): Promise<void> {
    const container = await this.container();
    try {
      await container
        .item(id, partitionKey)
        .delete({ accessCondition: { type: 'IfMatch', condition: etag } });
    } catch (error) {
      throw stale(error);
    }
  }

  /** A stored item (from a read or a query) as the document and its ETag. */
  parse(resource: ItemDefinition): Stored<T> {
    const etag = resource._etag;
    if (typeof etag !== 'string')
      throw new Error(`Cosmos DB returned ${String(resource.id)} without an _etag`);
    const document = Object.fromEntries(Object.entries(resource).filter(([key]) => !key.startsWith('_')));
    return { document: this.schema.parse(document), etag };
  }
}

function stale(error: unknown): unknown {
  const status = cosmosStatus(error);
  return status === 409 || status === 412 || status === 404
    ? new StaleWriteError(`The document changed meanwhile (Cosmos DB ${status})`, { cause: error })
    : error;
}
