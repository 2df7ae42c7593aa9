import type { Database, ItemDefinition } from '@azure/cosmos';
import { cosmosStatus } from '../../platform/cosmos-containers';
import { cosmosContainers } from '../../platform/storage-layout';
import { requestDocumentSchema, type RequestDocument } from '../../requests/model';
import { InvalidContinuationError, type Page } from '../../requests/ports';
import type { RequestDirectory, RequestDirectoryQuery } from '../ports';

/**
 * Every owner's submitted requests for admins, from Cosmos DB `requests`: a cross-partition query (admins are
 * few and page through), newest first, paged with continuation tokens (never OFFSET). Drafts are the owner's
 * own business and never listed.
 */
export class CosmosRequestDirectory implements RequestDirectory {
  constructor(private readonly database: Database) {}

  async list(query: RequestDirectoryQuery): Promise<Page<RequestDocument>> {
    const container = this.database.container(cosmosContainers.requests.id);
    const filters = ["c.docType = 'request'", "c.status != 'draft'"];
    if (query.statuses.length > 0) filters.push('ARRAY_CONTAINS(@statuses, c.status)');
    if (query.dauIds.length > 0) {
      filters.push(
        `(${query.dauIds.map((_, index) => `ARRAY_CONTAINS(c.daus, { "id": @dau${index} }, true)`).join(' OR ')})`,
      );
    }
    const iterator = container.items.query<ItemDefinition>(
      {
        query: `SELECT * FROM c WHERE ${filters.join(' AND ')} ORDER BY c.createdAt DESC`,
        parameters: [
          { name: '@statuses', value: [...query.statuses] },
          ...query.dauIds.map((dauId, index) => ({ name: `@dau${index}`, value: dauId })),
        ],
      },
      { maxItemCount: query.pageSize, continuationToken: query.continuation },
    );
    let response;
    try {
      response = await iterator.fetchNext();
    } catch (error) {
      if (query.continuation !== undefined && cosmosStatus(error) === 400)
        throw new InvalidContinuationError();
      throw error;
    }
    return {
      items: response.resources.map((resource) =>
        requestDocumentSchema.parse(
          Object.fromEntries(Object.entries(resource).filter(([key]) => !key.startsWith('_'))),
        ),
      ),
      continuation: response.continuationToken ?? undefined,
    };
  }
}
