/**
 * The envelope → request index in Cosmos DB (`envelopes`, partition key `/envelopeId`: a Connect delivery
 * names only its envelope, so every lookup is a point read). One document per envelope with the signers'
 * progress (updated under its ETag), and one small document per Connect delivery, created by key so a
 * repeated delivery is recognised; delivery records expire after 90 days (Connect retries stop long before).
 */
import { ErrorResponse, type Container, type Database } from '@azure/cosmos';
import { z } from 'zod';
import { lazyContainer } from '../../platform/cosmos-containers';
import { cosmosContainers } from '../../platform/storage-layout';
import { signerProgressSchema, type SignerProgress } from '../model';
import type { EnvelopeIndex, EnvelopeRecord } from '../ports';

const deliveryTtlSeconds = 90 * 24 * 3600;
const maxConcurrencyRetries = 10;

const envelopeDocumentSchema = z.object({
  id: z.string(),
  envelopeId: z.string(),
  kind: z.literal('envelope'),
  requestId: z.string(),
  ownerId: z.string(),
  signers: z.array(signerProgressSchema),
  _etag: z.string().optional(),
});
type EnvelopeDocument = z.infer<typeof envelopeDocumentSchema>;

export class CosmosEnvelopeIndex implements EnvelopeIndex {
  private readonly ready: () => Promise<Container>;

  constructor(database: Database) {
    this.ready = lazyContainer(database, cosmosContainers.envelopes);
  }

  async record(entry: EnvelopeRecord): Promise<void> {
    const container = await this.ready();
    const document: EnvelopeDocument = {
      id: entry.envelopeId,
      kind: 'envelope',
      ...entry,
      signers: [...entry.signers],
    };
    try {
      await container.items.create(document);
    } catch (error) {
      // Recorded before (an activity that ran twice): the first record, with any progress since, stands.
      if (!(error instanceof ErrorResponse && error.code === 409)) throw error;
    }
  }

  async find(envelopeId: string): Promise<EnvelopeRecord | undefined> {
    const document = await this.read(await this.ready(), envelopeId);
    return document === undefined ? undefined : recordOf(document);
  }

  async updateSigners(
    envelopeId: string,
    merge: (known: readonly SignerProgress[]) => readonly SignerProgress[],
  ): Promise<{ readonly signers: readonly SignerProgress[]; readonly changed: boolean } | undefined> {
    const container = await this.ready();
    for (let attempt = 1; ; attempt++) {
      const document = await this.read(container, envelopeId);
      if (document === undefined) return undefined;
      const signers = merge(document.signers);
      if (signers === document.signers) return { signers, changed: false };
      try {
        await container
          .item(envelopeId, envelopeId)
          .replace(
            { ...document, signers: [...signers] },
            { accessCondition: { type: 'IfMatch', condition: document._etag ?? '' } },
          );
        return { signers, changed: true };
      } catch (error) {
        // Another delivery changed it meanwhile: merge again onto what it wrote.
        if (!(error instanceof ErrorResponse && error.code === 412) || attempt >= maxConcurrencyRetries)
          throw error;
      }
    }
  }

  async hasDelivery(envelopeId: string, key: string): Promise<boolean> {
    const container = await this.ready();
    const { resource } = await container.item(deliveryId(key), envelopeId).read();
    return resource !== undefined;
  }

  async recordDelivery(envelopeId: string, key: string): Promise<boolean> {
    const container = await this.ready();
    try {
      await container.items.create({
        id: deliveryId(key),
        envelopeId,
        kind: 'delivery',
        ttl: deliveryTtlSeconds,
      });
      return true;
    } catch (error) {
      if (error instanceof ErrorResponse && error.code === 409) return false;
      throw error;
    }
  }

  private async read(container: Container, envelopeId: string): Promise<EnvelopeDocument | undefined> {
    const { resource } = await container.item(envelopeId, envelopeId).read<Record<string, unknown>>();
    return resource === undefined ? undefined : envelopeDocumentSchema.parse(resource);
  }
}

function recordOf(document: EnvelopeDocument): EnvelopeRecord {
  return {
    envelopeId: document.envelopeId,
    requestId: document.requestId,
    ownerId: document.ownerId,
    signers: document.signers,
  };
}

function deliveryId(key: string): string {
  return `delivery:${key}`;
}
