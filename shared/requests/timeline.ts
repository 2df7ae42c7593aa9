import { createHash } from 'node:crypto';
import { z } from 'zod';
import { actorSchema, newEventSchema, type NewEvent } from './model';

/**
 * A request's timeline: append-only events, one document each in `requestEvents` (partition `/requestId`),
 * numbered from 1. Each carries the SHA-256 of its predecessor and its own, over a canonical JSON form, so
 * altering, removing or reordering any event breaks the chain from there on (tamper-evident, exportable).
 */

/** The predecessor of the first event. */
export const GENESIS_HASH = '0'.repeat(64);

export const timelineEventSchema = z
  .object({
    requestId: z.string(),
    seq: z.number().int().min(1),
    type: z.string(),
    actor: actorSchema,
    at: z.iso.datetime(),
    details: z.record(z.string(), z.unknown()),
    idempotencyKey: z.string(),
    previousHash: z.string().regex(/^[0-9a-f]{64}$/),
    hash: z.string().regex(/^[0-9a-f]{64}$/),
  })
  .meta({ id: 'TimelineEvent' });
export type TimelineEvent = z.infer<typeof timelineEventSchema>;

export const timelineSchema = z
  .object({
    events: z.array(timelineEventSchema),
    /** Every event's hash recomputes and names its predecessor's. */
    verified: z.boolean(),
    /** The first event where the chain breaks, if it does. */
    brokenAt: z.number().int().nullable(),
  })
  .meta({ id: 'Timeline' });
export type Timeline = z.infer<typeof timelineSchema>;

/** JSON with object keys sorted at every level: the same event always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, member]) => member !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, member]) => `${JSON.stringify(key)}:${canonicalJson(member)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function eventHash(event: Omit<TimelineEvent, 'hash'>): string {
  return createHash('sha256').update(canonicalJson(event)).digest('hex');
}

/** The event that follows `previous` (or starts the chain). */
export function chainEvent(
  requestId: string,
  input: NewEvent,
  previous: { readonly seq: number; readonly hash: string } | undefined,
  now: () => Date,
): TimelineEvent {
  const parsed = newEventSchema.parse(input);
  const unhashed = {
    requestId,
    seq: (previous?.seq ?? 0) + 1,
    type: parsed.type,
    actor: parsed.actor,
    at: parsed.at ?? now().toISOString(),
    details: parsed.details,
    idempotencyKey: parsed.idempotencyKey,
    previousHash: previous?.hash ?? GENESIS_HASH,
  };
  return { ...unhashed, hash: eventHash(unhashed) };
}

/** Checks the chain in order; `events` must be sorted by `seq`. */
export function verifyChain(events: readonly TimelineEvent[]): Timeline {
  let previousHash = GENESIS_HASH;
  for (const [position, event] of events.entries()) {
    const { hash, ...unhashed } = event;
    if (event.seq !== position + 1 || event.previousHash !== previousHash || eventHash(unhashed) !== hash) {
      return { events: [...events], verified: false, brokenAt: position + 1 };
    }
    previousHash = hash;
  }
  return { events: [...events], verified: true, brokenAt: null };
}
