import { createHash } from 'node:crypto';
import type { Container, Database, ItemDefinition, JSONObject } from '@azure/cosmos';
import { lazyContainer } from '../../platform/cosmos-containers';
import { cosmosContainers } from '../../platform/storage-layout';
import { newEventSchema, type NewEvent } from '../model';
import type { TimelineStore } from '../ports';
import { chainEvent, timelineEventSchema, type TimelineEvent } from '../timeline';

const maxAttempts = 50;

/**
 * The timeline in Cosmos DB `requestEvents`, partition key `/requestId`: one document per event, never
 * updated (`event-<seq>`), plus one small document per idempotency key (`key-<sha256>`) naming the event it
 * recorded. Both are created in one transactional batch, so an event is appended at most once per key and at
 * most one event takes each place in the chain: a concurrent append that lost the place (409) re-reads the
 * head and tries the next one.
 */
export class CosmosTimelineStore implements TimelineStore {
  private readonly container: () => Promise<Container>;

  constructor(
    database: Database,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.container = lazyContainer(database, cosmosContainers.requestEvents);
  }

  async append(requestId: string, input: NewEvent): Promise<TimelineEvent> {
    const container = await this.container();
    const event = newEventSchema.parse(input);
    const keyId = `key-${createHash('sha256').update(event.idempotencyKey).digest('hex')}`;
    for (let attempt = 1; ; attempt += 1) {
      const recorded = await this.recorded(container, requestId, keyId);
      if (recorded !== undefined) return recorded;
      const next = chainEvent(requestId, event, await this.head(container, requestId), this.now);
      const response = await container.items.batch(
        [
          {
            operationType: 'Create',
            resourceBody: { id: eventId(next.seq), kind: 'event', ...next } as JSONObject,
          },
          { operationType: 'Create', resourceBody: { id: keyId, requestId, kind: 'key', seq: next.seq } },
        ],
        requestId,
      );
      const statuses = (response.result ?? []).map((result) => result.statusCode);
      if (statuses.length === 2 && statuses.every((status) => status >= 200 && status < 300)) return next;
      const conflict = statuses.includes(409);
      if (!conflict || attempt >= maxAttempts) {
        throw new Error(
          `Appending ${event.type} to the timeline of ${requestId} failed: ${statuses.join(', ')}`,
        );
      }
      // Another append took this place (or recorded this key) meanwhile.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
    }
  }

  async read(requestId: string): Promise<TimelineEvent[]> {
    const container = await this.container();
    const { resources } = await container.items
      .query<ItemDefinition>(
        {
          query: "SELECT * FROM c WHERE c.requestId = @requestId AND c.kind = 'event' ORDER BY c.seq ASC",
          parameters: [{ name: '@requestId', value: requestId }],
        },
        { partitionKey: requestId },
      )
      .fetchAll();
    return resources.map(toEvent);
  }

  private async head(container: Container, requestId: string): Promise<TimelineEvent | undefined> {
    const { resources } = await container.items
      .query<ItemDefinition>(
        {
          query:
            "SELECT TOP 1 * FROM c WHERE c.requestId = @requestId AND c.kind = 'event' ORDER BY c.seq DESC",
          parameters: [{ name: '@requestId', value: requestId }],
        },
        { partitionKey: requestId },
      )
      .fetchAll();
    return resources[0] === undefined ? undefined : toEvent(resources[0]);
  }

  private async recorded(
    container: Container,
    requestId: string,
    keyId: string,
  ): Promise<TimelineEvent | undefined> {
    const { resource: key } = await container.item(keyId, requestId).read<{ seq: number }>();
    if (key === undefined) return undefined;
    const { resource } = await container.item(eventId(key.seq), requestId).read<ItemDefinition>();
    if (resource === undefined) throw new Error(`The timeline of ${requestId} lost event ${key.seq}`);
    return toEvent(resource);
  }
}

/** Zero-padded, so ids sort like the sequence. */
function eventId(seq: number): string {
  return `event-${String(seq).padStart(10, '0')}`;
}

function toEvent(resource: ItemDefinition): TimelineEvent {
  const fields = Object.fromEntries(
    Object.entries(resource).filter(([key]) => !key.startsWith('_') && key !== 'id' && key !== 'kind'),
  );
  return timelineEventSchema.parse(fields);
}
