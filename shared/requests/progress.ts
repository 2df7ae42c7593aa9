/**
 * How the lifecycle's stages change a submitted request: an activity reads the request by id, applies its
 * change, and writes it back conditionally on the ETag (a concurrent change by another branch is re-read and
 * the change applied again), with the request's status derived from its DAUs (status.ts) and the stage's
 * timeline events written into the same document first (the outbox), then appended. Every change is
 * idempotent: activities run at least once, so a change that finds its work done returns `undefined` and
 * the events, keyed, are recorded once however often this runs.
 */
import { AppError, problems } from '../http/errors';
import { newEventSchema, type NewEvent, type RequestDau, type RequestDocument } from './model';
import type { Stored } from '../platform/stored';
import { StaleWriteError, type RequestStore, type TimelineStore } from './ports';
import { derivedStatus } from './status';

export interface RequestProgressDependencies {
  readonly requests: RequestStore;
  readonly timeline: TimelineStore;
  readonly now: () => Date;
  readonly log: (line: string) => void;
}

/** A stage's change: the request as it should be, or `undefined` when there is nothing (more) to change. */
export type ProgressChange = (request: RequestDocument) => RequestDocument | undefined;

/** Conditional writes retried this often before the activity fails (and the orchestrator retries it). */
const maxAttempts = 8;

/** Owners remembered per process: a request's owner never changes, and a point read is far cheaper. */
const maxRememberedOwners = 10_000;

export class RequestProgress {
  private readonly owners = new Map<string, string>();

  constructor(private readonly dependencies: RequestProgressDependencies) {}

  /** The request by id, whoever owns it; a missing request is an error (the lifecycle only runs for one). */
  async read(requestId: string): Promise<RequestDocument> {
    return (await this.stored(requestId)).document;
  }

  /**
   * Applies `change` and records `events` (each with its own idempotency key) with it; answers the request as
   * stored afterwards. When the change has nothing to do the events are still recorded (a retry after a
   * crash between the write and the append finishes the append).
   */
  async apply(
    requestId: string,
    change: ProgressChange,
    events: readonly NewEvent[] = [],
  ): Promise<RequestDocument> {
    const { requests, now } = this.dependencies;
    for (let attempt = 1; ; attempt += 1) {
      const stored = await this.stored(requestId);
      await this.flush(stored.document);
      const changed = change(stored.document);
      if (changed === undefined) {
        await this.append(requestId, events);
        return stored.document;
      }
      const revision = stored.document.revision + 1;
      const next: RequestDocument = {
        ...changed,
        revision,
        updatedAt: now().toISOString(),
        pendingEvents: events.map((event) =>
          newEventSchema.parse({ ...event, details: { revision, ...event.details } }),
        ),
      };
      next.status = derivedStatus(next);
      try {
        const written = await requests.replace(next, stored.etag);
        await this.flush(written.document);
        return written.document;
      } catch (error) {
        if (!(error instanceof StaleWriteError) || attempt >= maxAttempts) throw error;
      }
    }
  }

  /** A point read in the owner's partition once the owner is known; the first read is by id across owners. */
  private async stored(requestId: string): Promise<Stored<RequestDocument>> {
    const { requests } = this.dependencies;
    const ownerId = this.owners.get(requestId);
    const stored =
      ownerId === undefined
        ? await requests.find(requestId)
        : await requests.read({ id: requestId, ownerId });
    if (stored === undefined) throw new AppError(problems.notFound, `No request ${requestId}.`);
    if (ownerId === undefined) {
      if (this.owners.size >= maxRememberedOwners) this.owners.delete(this.owners.keys().next().value!);
      this.owners.set(requestId, stored.document.ownerId);
    }
    return stored;
  }

  private async flush(document: RequestDocument): Promise<void> {
    await this.append(document.id, document.pendingEvents);
  }

  private async append(requestId: string, events: readonly NewEvent[]): Promise<void> {
    for (const event of events) await this.dependencies.timeline.append(requestId, event);
  }
}

/** `request` with one DAU changed by `update`; `undefined` when `update` changed nothing (returned it as is). */
export function withDau(
  request: RequestDocument,
  dauId: string,
  update: (dau: RequestDau) => RequestDau,
): RequestDocument | undefined {
  const index = request.daus.findIndex((dau) => dau.id === dauId);
  if (index < 0) throw new AppError(problems.notFound, `Request ${request.id} has no DAU ${dauId}.`);
  const current = request.daus[index]!;
  const updated = update(current);
  if (updated === current) return undefined;
  const daus = [...request.daus];
  daus[index] = updated;
  return { ...request, daus };
}
