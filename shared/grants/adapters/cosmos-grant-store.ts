import type { Database, ItemDefinition } from '@azure/cosmos';
import { ConditionalDocuments } from '../../platform/cosmos-conditional';
import { lazyContainer } from '../../platform/cosmos-containers';
import { cosmosContainers } from '../../platform/storage-layout';
import { StaleWriteError, type Stored } from '../../platform/stored';
import { grantDocumentSchema, type GrantDocument } from '../model';
import type { GrantStore } from '../ports';

/** Grants in Cosmos DB `grants`, partition key `/userId`: a user's grants are one single-partition query. */
export class CosmosGrantStore implements GrantStore {
  private readonly container;
  private readonly documents: ConditionalDocuments<GrantDocument>;

  constructor(database: Database) {
    this.container = lazyContainer(database, cosmosContainers.grants);
    this.documents = new ConditionalDocuments(this.container, grantDocumentSchema, (grant) => grant.userId);
  }

  async put(grant: GrantDocument): Promise<GrantDocument> {
    try {
      return (await this.documents.create(grant)).document;
    } catch (error) {
      if (!(error instanceof StaleWriteError)) throw error;
      const existing = await this.documents.read(grant.id, grant.userId);
      if (existing === undefined) throw error;
      return existing.document;
    }
  }

  read(id: string, userId: string): Promise<Stored<GrantDocument> | undefined> {
    return this.documents.read(id, userId);
  }

  replace(grant: GrantDocument, etag: string): Promise<Stored<GrantDocument>> {
    return this.documents.replace(grant, etag);
  }

  async listForUser(userId: string): Promise<GrantDocument[]> {
    const container = await this.container();
    const { resources } = await container.items
      .query<ItemDefinition>(
        {
          query: 'SELECT * FROM c WHERE c.userId = @userId',
          parameters: [{ name: '@userId', value: userId }],
        },
        { partitionKey: userId },
      )
      .fetchAll();
    return resources.map((resource) => this.documents.parse(resource).document);
  }
}
