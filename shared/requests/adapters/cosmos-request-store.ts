import type { Database, ItemDefinition } from '@azure/cosmos';
import { ConditionalDocuments } from '../../platform/cosmos-conditional';
import { cosmosStatus, lazyContainer } from '../../platform/cosmos-containers';
import { cosmosContainers } from '../../platform/storage-layout';
import type { Stored } from '../../platform/stored';
import { requestDocumentSchema, type RequestDocument, type RequestKey } from '../model';
import { InvalidContinuationError, type ListOptions, type Page, type RequestStore } from '../ports';

/**
 * Requests in Cosmos DB `requests`, partition key `/ownerId`: the owner's reads and writes are point
 * operations, their dashboard is a single-partition query paged with continuation tokens (never OFFSET);
 * only reads by staff and committee members cross partitions, by id.
 */
export class CosmosRequestStore implements RequestStore {
  private readonly container;
  private readonly documents: ConditionalDocuments<RequestDocument>;

  constructor(database: Database) {
    this.container = lazyContainer(database, cosmosContainers.requests);
    this.documents = new ConditionalDocuments(
      this.container,
      requestDocumentSchema,
      (document) => document.ownerId,
    );
  }

  create(document: RequestDocument): Promise<Stored<RequestDocument>> {
    return this.documents.create(document);
  }

  read(key: RequestKey): Promise<Stored<RequestDocument> | undefined> {
    return this.documents.read(key.id, key.ownerId);
  }

  async find(id: string): Promise<Stored<RequestDocument> | undefined> {
    const container = await this.container();
    const { resources } = await container.items
      .query<ItemDefinition>({
        query: "SELECT * FROM c WHERE c.id = @id AND c.docType = 'request'",
        parameters: [{ name: '@id', value: id }],
      })
      .fetchAll();
    return resources[0] === undefined ? undefined : this.documents.parse(resources[0]);
  }

  replace(document: RequestDocument, etag: string): Promise<Stored<RequestDocument>> {
    return this.documents.replace(document, etag);
  }

  delete(key: RequestKey, etag: string): Promise<void> {
    return this.documents.delete(key.id, key.ownerId, etag);
  }

  async listByOwner(ownerId: string, options: ListOptions): Promise<Page<Stored<RequestDocument>>> {
    const container = await this.container();
    const statusFilter = options.statuses.length > 0 ? ' AND ARRAY_CONTAINS(@statuses, c.status)' : '';
    const iterator = container.items.query<ItemDefinition>(
      {
        query: `SELECT * FROM c WHERE c.ownerId = @ownerId AND c.docType = 'request'${statusFilter} ORDER BY c.createdAt DESC`,
        parameters: [
          { name: '@ownerId', value: ownerId },
          { name: '@statuses', value: [...options.statuses] },
        ],
      },
      { partitionKey: ownerId, maxItemCount: options.pageSize, continuationToken: options.continuation },
    );
    let response;
    try {
      response = await iterator.fetchNext();
    } catch (error) {
      // A token Cosmos DB cannot read (altered, or from another container) is the caller's mistake.
      if (options.continuation !== undefined && cosmosStatus(error) === 400)
        throw new InvalidContinuationError();
      throw error;
    }
    return {
      items: response.resources.map((resource) => this.documents.parse(resource)),
      continuation: response.continuationToken ?? undefined,
    };
  }
}
