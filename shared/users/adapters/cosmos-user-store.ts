import type { Database } from '@azure/cosmos';
import { ConditionalDocuments } from '../../platform/cosmos-conditional';
import { lazyContainer } from '../../platform/cosmos-containers';
import { cosmosContainers } from '../../platform/storage-layout';
import type { Stored } from '../../platform/stored';
import { userDocumentSchema, type UserDocument } from '../model';
import type { UserStore } from '../ports';

/** Profiles in Cosmos DB `users`, partition key `/id` (the subject id): every access is a point read or write. */
export class CosmosUserStore implements UserStore {
  private readonly documents: ConditionalDocuments<UserDocument>;

  constructor(database: Database) {
    this.documents = new ConditionalDocuments(
      lazyContainer(database, cosmosContainers.users),
      userDocumentSchema,
      (document) => document.id,
    );
  }

  read(userId: string): Promise<Stored<UserDocument> | undefined> {
    return this.documents.read(userId, userId);
  }

  create(document: UserDocument): Promise<Stored<UserDocument>> {
    return this.documents.create(document);
  }

  replace(document: UserDocument, etag: string): Promise<Stored<UserDocument>> {
    return this.documents.replace(document, etag);
  }
}
