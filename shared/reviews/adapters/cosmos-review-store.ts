import type { Container, Database, ItemDefinition, SqlQuerySpec } from '@azure/cosmos';
import { ConditionalDocuments } from '../../platform/cosmos-conditional';
import { lazyContainer } from '../../platform/cosmos-containers';
import { cosmosContainers } from '../../platform/storage-layout';
import { StaleWriteError } from '../../platform/stored';
import {
  normalEmail,
  reviewDecisionSchema,
  reviewRoundSchema,
  roundId,
  type ReviewDecision,
  type ReviewRound,
  type RoundOutcome,
} from '../model';
import type { ReviewStore } from '../ports';

/**
 * Rounds and decisions in Cosmos `reviews` (partition `/requestId`: a request's review is one partition).
 * Decisions are created, never replaced: the create's 409 is what makes a second decision of the same member
 * in the same round a replay. The member's queue reads across partitions (small: open rounds, own decisions).
 */
export class CosmosReviewStore implements ReviewStore {
  private readonly container: () => Promise<Container>;
  private readonly rounds: ConditionalDocuments<ReviewRound>;
  private readonly decisions: ConditionalDocuments<ReviewDecision>;

  constructor(database: Database) {
    this.container = lazyContainer(database, cosmosContainers.reviews);
    this.rounds = new ConditionalDocuments(this.container, reviewRoundSchema, (round) => round.requestId);
    this.decisions = new ConditionalDocuments(this.container, reviewDecisionSchema, (d) => d.requestId);
  }

  async openRound(round: ReviewRound): Promise<ReviewRound> {
    try {
      return (await this.rounds.create(round)).document;
    } catch (error) {
      if (!(error instanceof StaleWriteError)) throw error;
      const existing = await this.rounds.read(round.id, round.requestId);
      if (existing === undefined) throw error;
      return existing.document;
    }
  }

  async findRound(requestId: string, dauId: string, round: number): Promise<ReviewRound | undefined> {
    return (await this.rounds.read(roundId(dauId, round), requestId))?.document;
  }

  async closeRound(
    requestId: string,
    dauId: string,
    round: number,
    outcome: RoundOutcome,
    at: string,
  ): Promise<ReviewRound> {
    for (;;) {
      const stored = await this.rounds.read(roundId(dauId, round), requestId);
      if (stored === undefined) throw new Error(`No review round ${round} of ${dauId} on ${requestId}`);
      if (stored.document.status === 'closed') return stored.document;
      try {
        const closed = { ...stored.document, status: 'closed', outcome, closedAt: at } as const;
        return (await this.rounds.replace(closed, stored.etag)).document;
      } catch (error) {
        if (!(error instanceof StaleWriteError)) throw error;
      }
    }
  }

  async recordDecision(decision: ReviewDecision): Promise<{ decision: ReviewDecision; created: boolean }> {
    try {
      return { decision: (await this.decisions.create(decision)).document, created: true };
    } catch (error) {
      if (!(error instanceof StaleWriteError)) throw error;
      const existing = await this.decisions.read(decision.id, decision.requestId);
      if (existing === undefined) throw error;
      return { decision: existing.document, created: false };
    }
  }

  async findDecision(requestId: string, id: string): Promise<ReviewDecision | undefined> {
    return (await this.decisions.read(id, requestId))?.document;
  }

  async decisionsOn(requestId: string, dauId: string, round?: number): Promise<ReviewDecision[]> {
    const found = await this.query(
      {
        query:
          "SELECT * FROM c WHERE c.docType = 'reviewDecision' AND c.dauId = @dauId" +
          (round === undefined ? '' : ' AND c.round = @round'),
        parameters: [
          { name: '@dauId', value: dauId },
          ...(round === undefined ? [] : [{ name: '@round', value: round }]),
        ],
      },
      requestId,
    );
    return found
      .map((item) => this.decisions.parse(item).document)
      .sort((a, b) => a.decidedAt.localeCompare(b.decidedAt));
  }

  async openRoundsOf(memberEmail: string): Promise<ReviewRound[]> {
    const found = await this.query({
      query:
        "SELECT * FROM c WHERE c.docType = 'reviewRound' AND c.status = 'open' AND ARRAY_CONTAINS(c.memberEmails, @email)",
      parameters: [{ name: '@email', value: normalEmail(memberEmail) }],
    });
    return found.map((item) => this.rounds.parse(item).document);
  }

  async decisionsBy(memberEmail: string): Promise<ReviewDecision[]> {
    const found = await this.query({
      query: "SELECT * FROM c WHERE c.docType = 'reviewDecision' AND c.member.email = @email",
      parameters: [{ name: '@email', value: normalEmail(memberEmail) }],
    });
    return found
      .map((item) => this.decisions.parse(item).document)
      .sort((a, b) => b.decidedAt.localeCompare(a.decidedAt));
  }

  private async query(spec: SqlQuerySpec, partitionKey?: string): Promise<ItemDefinition[]> {
    const container = await this.container();
    const { resources } = await container.items
      .query<ItemDefinition>(spec, partitionKey === undefined ? {} : { partitionKey })
      .fetchAll();
    return resources;
  }
}
