/**
 * Connect: envelope-level webhooks in the JSON SIM format (`reference/protocols.md` §3.4). Each delivery sits
 * in its envelope's stored outbox until the receiver answers 2xx, so a restart resumes what was pending.
 *
 * - Body: `{event, apiVersion, uri, retryCount, configurationId, generatedDateTime, data:{accountId, userId,
 *   envelopeId, recipientId?, envelopeSummary?}}`; `retryCount` is 0 on the first attempt and grows with each
 *   retry (each attempt is signed afresh).
 * - With `includeHMAC`, `X-DocuSign-Signature-1` (and `-2`, … for every further configured secret) is
 *   base64(HMAC-SHA256(secret, raw body)), plus `X-Authorization-Digest: HMACSHA256`.
 * - With `requireAcknowledgment`, a non-2xx answer, a timeout or an unreachable receiver schedules a retry
 *   after the next delay of `retryDelaysMs` (on the stand-in's clock); after the last one the delivery is
 *   `failed`. Without it, one attempt only (as DocuSign).
 * - Deliveries go out one at a time in the order they were made (retries join the queue when due, so a
 *   retried message can arrive after newer ones, as with DocuSign).
 * - Test switches (`faults`): drop the next n deliveries (optionally of some events), send the next n twice,
 *   or hold the next n and release them in reverse order.
 */
import { createHmac, randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { Clock } from '../../clock';
import { docuSignTime } from './http';
import type { StoredDelivery, StoredEnvelope } from './model';

/** Roughly DocuSign's schedule, compressed: ten retries, the last a day after the one before. */
export const defaultRetryDelaysMs = [
  5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000, 7_200_000, 14_400_000, 28_800_000, 86_400_000,
];
/** DocuSign gives a receiver 100 s. */
const defaultTimeoutMs = 100_000;
const maxResponseBytes = 64 * 1024;

export interface DeliveryAttempt {
  readonly deliveryId: string;
  readonly envelopeId: string;
  readonly event: string;
  readonly recipientId?: string;
  readonly url: string;
  readonly retryCount: number;
  /** The receiver's HTTP status, `unreachable` (refused, timed out), or `dropped` (a test switch). */
  readonly outcome: number | 'unreachable' | 'dropped';
  /** Stand-in clock time of the attempt (epoch ms). */
  readonly at: number;
}

export interface ConnectFaults {
  /** Silently drops the next `count` deliveries (of `events` only, when given): never sent, never retried. */
  drop(count: number, events?: readonly string[]): void;
  /** Sends each of the next `count` deliveries twice, byte for byte. */
  duplicate(count: number, events?: readonly string[]): void;
  /** Holds the next `count` deliveries and sends them in reverse order once the last of them is made. */
  reorder(count: number): void;
  /** Turns every switch off and releases held deliveries. */
  clear(): void;
}

export interface ConnectOptions {
  readonly clock: Clock;
  /** The account's user, named in every message's `data.userId`. */
  readonly userId: string;
  /** Secrets for `X-DocuSign-Signature-1..n`, read at each attempt (rotation takes effect at once). */
  readonly hmacKeys: () => readonly string[];
  /** Persists an envelope after its outbox changed. */
  readonly save: (envelopeId: string) => Promise<void>;
  readonly envelope: (envelopeId: string) => StoredEnvelope | undefined;
  readonly retryDelaysMs?: readonly number[];
  readonly timeoutMs?: number;
  /** CA certificate (PEM) trusted for https receivers. */
  readonly ca?: string;
  readonly log: (line: string) => void;
}

interface Switch {
  remaining: number;
  readonly events: readonly string[] | undefined;
}

interface Entry {
  readonly envelopeId: string;
  readonly delivery: StoredDelivery;
  cancel: (() => void) | undefined;
  due: boolean;
  /** The drop/reorder switches were consulted (once per delivery). */
  switched: boolean;
}

export class ConnectDispatcher {
  /** Every attempt, in order (tests and the `/connect` page read it). */
  readonly attempts: DeliveryAttempt[] = [];
  readonly faults: ConnectFaults;
  private readonly entries = new Map<string, Entry>();
  private readonly held: Entry[] = [];
  private dropSwitch: Switch | undefined;
  private duplicateSwitch: Switch | undefined;
  private reorderCount = 0;
  private pumping: Promise<void> | undefined;
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  private nextSeq = 1;
  private readonly retryDelaysMs: readonly number[];

  constructor(private readonly options: ConnectOptions) {
    this.retryDelaysMs = options.retryDelaysMs ?? defaultRetryDelaysMs;
    this.faults = {
      drop: (count, events) => (this.dropSwitch = { remaining: count, events }),
      duplicate: (count, events) => (this.duplicateSwitch = { remaining: count, events }),
      reorder: (count) => {
        this.reorderCount = count;
      },
      clear: () => {
        this.dropSwitch = undefined;
        this.duplicateSwitch = undefined;
        this.reorderCount = 0;
        this.releaseHeld();
      },
    };
  }

  /** Arms every pending delivery of the loaded envelopes (after a restart). */
  resume(envelopes: Iterable<StoredEnvelope>): void {
    for (const envelope of envelopes) {
      for (const delivery of envelope.outbox) {
        this.nextSeq = Math.max(this.nextSeq, delivery.seq + 1);
        if (delivery.state === 'pending') this.arm(envelope.envelopeId, delivery);
      }
    }
  }

  /**
   * Puts a delivery of `event` into the envelope's outbox when its `eventNotification` subscribes to it.
   * The caller saves the envelope and then calls `arm` with the result.
   */
  enqueue(
    envelope: StoredEnvelope,
    event: string,
    envelopeSummary: Record<string, unknown> | undefined,
    recipientId?: string,
  ): StoredDelivery | undefined {
    const notification = envelope.eventNotification;
    if (notification === undefined || !notification.events.includes(event)) return undefined;
    const now = this.options.clock.now();
    const delivery: StoredDelivery = {
      id: randomUUID(),
      seq: this.nextSeq++,
      event,
      url: notification.url,
      payload: {
        event,
        apiVersion: 'v2.1',
        uri: `/restapi/v2.1/accounts/${envelope.accountId}/envelopes/${envelope.envelopeId}`,
        configurationId: configurationIdOf(envelope.envelopeId),
        generatedDateTime: docuSignTime(now),
        data: {
          accountId: envelope.accountId,
          userId: this.options.userId,
          envelopeId: envelope.envelopeId,
          ...(recipientId === undefined ? {} : { recipientId }),
          ...(envelopeSummary === undefined ? {} : { envelopeSummary }),
        },
      },
      includeHmac: notification.includeHmac,
      requireAcknowledgment: notification.requireAcknowledgment,
      attempts: 0,
      nextAttemptAt: now,
      state: 'pending',
    };
    envelope.outbox.push(delivery);
    return delivery;
  }

  /** Schedules a stored delivery's next attempt on the clock. */
  arm(envelopeId: string, delivery: StoredDelivery): void {
    if (this.closed) return;
    const existing = this.entries.get(delivery.id);
    existing?.cancel?.();
    const entry: Entry = existing ?? { envelopeId, delivery, cancel: undefined, due: false, switched: false };
    entry.due = false;
    this.entries.set(delivery.id, entry);
    entry.cancel = this.options.clock.schedule(delivery.nextAttemptAt, () => {
      entry.cancel = undefined;
      entry.due = true;
      this.pump();
    });
  }

  /** Resolves once no delivery is due or in flight (future retries and held deliveries do not count). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Deliveries not yet acknowledged (pending retries, held, failed), oldest first. */
  pending(): readonly (StoredDelivery & { readonly envelopeId: string })[] {
    return [...this.entries.values()]
      .map((entry) => ({ ...entry.delivery, envelopeId: entry.envelopeId }))
      .sort((a, b) => a.seq - b.seq);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const entry of this.entries.values()) entry.cancel?.();
    await this.pumping;
  }

  private isIdle(): boolean {
    if (this.pumping !== undefined) return false;
    const now = this.options.clock.now();
    for (const entry of this.entries.values()) {
      if (entry.delivery.state !== 'pending' || this.held.includes(entry)) continue;
      if (entry.due || entry.delivery.nextAttemptAt <= now) return false;
    }
    return true;
  }

  private pump(): void {
    if (this.pumping !== undefined || this.closed) return;
    this.pumping = (async () => {
      for (;;) {
        const next = this.nextDue();
        if (next === undefined || this.closed) break;
        next.due = false;
        await this.process(next);
      }
    })()
      .catch((error: unknown) =>
        this.options.log(`docusign stand-in: Connect failed: ${(error as Error).message}`),
      )
      .finally(() => {
        this.pumping = undefined;
        if (this.nextDue() !== undefined && !this.closed) this.pump();
        else if (this.isIdle()) for (const resolve of this.idleWaiters.splice(0)) resolve();
      });
  }

  private nextDue(): Entry | undefined {
    let best: Entry | undefined;
    for (const entry of this.entries.values()) {
      if (!entry.due) continue;
      if (best === undefined || entry.delivery.seq < best.delivery.seq) best = entry;
    }
    return best;
  }

  private async process(entry: Entry): Promise<void> {
    const { delivery } = entry;
    if (delivery.attempts === 0 && !entry.switched) {
      entry.switched = true;
      if (take(this.dropSwitch, delivery.event)) {
        this.record(entry, 'dropped');
        return this.finish(entry);
      }
      if (this.reorderCount > 0) {
        this.reorderCount -= 1;
        this.held.push(entry);
        if (this.reorderCount === 0) this.releaseHeld();
        return;
      }
    }
    const copies = delivery.attempts === 0 && take(this.duplicateSwitch, delivery.event) ? 2 : 1;
    let outcome: DeliveryAttempt['outcome'] = 'unreachable';
    for (let copy = 0; copy < copies; copy++) {
      outcome = await this.post(delivery);
      this.record(entry, outcome);
    }
    if (typeof outcome === 'number' && outcome >= 200 && outcome < 300) return this.finish(entry);

    delivery.attempts += 1;
    const delay = this.retryDelaysMs[delivery.attempts - 1];
    if (!delivery.requireAcknowledgment || delay === undefined) {
      delivery.state = 'failed';
      this.options.log(
        `docusign stand-in: Connect ${delivery.event} for ${entry.envelopeId} failed after ${delivery.attempts} attempt(s)`,
      );
      await this.options.save(entry.envelopeId);
      return;
    }
    delivery.nextAttemptAt = this.options.clock.now() + delay;
    await this.options.save(entry.envelopeId);
    this.arm(entry.envelopeId, delivery);
  }

  /** Held deliveries, newest first, become due again. */
  private releaseHeld(): void {
    const released = this.held.splice(0).reverse();
    // Re-sequence so the newest goes first; each keeps its own payload.
    const seqs = released.map((entry) => entry.delivery.seq).sort((a, b) => a - b);
    released.forEach((entry, index) => {
      entry.delivery.seq = seqs[index]!;
      entry.due = true;
    });
    if (released.length > 0) this.pump();
  }

  private async finish(entry: Entry): Promise<void> {
    this.entries.delete(entry.delivery.id);
    const envelope = this.options.envelope(entry.envelopeId);
    if (envelope !== undefined) {
      envelope.outbox = envelope.outbox.filter((delivery) => delivery.id !== entry.delivery.id);
      await this.options.save(entry.envelopeId);
    }
  }

  private record(entry: Entry, outcome: DeliveryAttempt['outcome']): void {
    const data = entry.delivery.payload.data as { recipientId?: string };
    this.attempts.push({
      deliveryId: entry.delivery.id,
      envelopeId: entry.envelopeId,
      event: entry.delivery.event,
      ...(data.recipientId === undefined ? {} : { recipientId: data.recipientId }),
      url: entry.delivery.url,
      retryCount: entry.delivery.attempts,
      outcome,
      at: this.options.clock.now(),
    });
  }

  private post(delivery: StoredDelivery): Promise<number | 'unreachable'> {
    const { event, apiVersion, uri, ...rest } = delivery.payload;
    const body = Buffer.from(
      JSON.stringify({ event, apiVersion, uri, retryCount: delivery.attempts, ...rest }),
    );
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(body.length),
      'user-agent': 'DocuSign Connect (local stand-in)',
    };
    if (delivery.includeHmac) {
      headers['x-authorization-digest'] = 'HMACSHA256';
      this.options.hmacKeys().forEach((key, index) => {
        headers[`x-docusign-signature-${index + 1}`] = createHmac('sha256', key)
          .update(body)
          .digest('base64');
      });
    }
    const url = new URL(delivery.url);
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise((resolve) => {
      const request = transport.request(
        url,
        {
          method: 'POST',
          headers,
          timeout: this.options.timeoutMs ?? defaultTimeoutMs,
          ...(url.protocol === 'https:' && this.options.ca !== undefined ? { ca: this.options.ca } : {}),
        },
        (response) => {
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > maxResponseBytes) response.destroy();
          });
          response.on('close', () => resolve(response.statusCode ?? 0));
          response.on('error', () => resolve(response.statusCode ?? 0));
        },
      );
      request.on('timeout', () => request.destroy(new Error('timeout')));
      request.on('error', () => resolve('unreachable'));
      request.end(body);
    });
  }
}

/** Consumes one use of a switch when it applies to `event`. */
function take(switchState: Switch | undefined, event: string): boolean {
  if (switchState === undefined || switchState.remaining <= 0) return false;
  if (switchState.events !== undefined && !switchState.events.includes(event)) return false;
  switchState.remaining -= 1;
  return true;
}

/** A stable number per envelope, as DocuSign names the envelope-level configuration that sent a message. */
function configurationIdOf(envelopeId: string): number {
  return Number.parseInt(envelopeId.replace(/-/g, '').slice(0, 7), 16);
}
