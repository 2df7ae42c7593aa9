/**
 * Connect deliveries in process: the signature check, the use case's story (signature first, unknown
 * envelopes, duplicates, out-of-order progress, outcomes raised once), and 1,200 generated forgeries of
 * valid deliveries, none accepted and none leaving a trace.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  connectSignature,
  deliveryKey,
  isConnectSignatureValid,
  connectPayloadSchema,
} from '../../shared/agreements/connect';
import { mergeSignerProgress, nextSigner, type SignerProgress } from '../../shared/agreements/model';
import { ConnectDeliveries } from '../../shared/agreements/use-cases/receive-connect-delivery';
import { isAppError } from '../../shared/http/errors';
import { asReceived, mutationOf, type Delivery } from './connect-mutations';
import {
  connectMessage,
  InMemoryEnvelopeIndex,
  RecordingLifecycle,
  signedHeaders,
  signersOf,
  type ConnectMessageOptions,
} from './support';

const secret = 'MfGz2vBq3E1vQ7w0jv3o2Fh0nX5g7mT9cQ1sY6rK8dA=';
const rotated = 'second-secret-during-rotation-0123456789abcdef';
const envelopeA = '2d5b6a0e-1111-4c1e-9a3f-0e9f1c2b3a4d';
const envelopeB = '7f3c9b1d-2222-4d2f-8b4e-1fa02d3c4b5e';

function setup(options: { secrets?: readonly string[]; instances?: (requestId: string) => boolean } = {}) {
  const index = new InMemoryEnvelopeIndex();
  for (const [envelopeId, requestId] of [
    [envelopeA, 'request-a'],
    [envelopeB, 'request-b'],
  ] as const) {
    index.records.set(envelopeId, {
      envelopeId,
      requestId,
      ownerId: `owner-${requestId}`,
      signers: signersOf(3),
    });
  }
  const lifecycle = new RecordingLifecycle(options.instances);
  const logs: string[] = [];
  // What the request's copy of the progress was told: the index's progress after each delivery with news.
  const copied: { requestId: string; statuses: string[] }[] = [];
  const deliveries = new ConnectDeliveries({
    secrets: () => options.secrets ?? [secret],
    envelopes: index,
    requests: {
      record: async (requestId, _envelopeId, signers) => {
        copied.push({ requestId, statuses: signers.map((signer) => signer.status) });
      },
    },
  });
  const receive = (delivery: Delivery) =>
    deliveries.receive(
      { body: delivery.body, headers: asReceived(delivery.headers) },
      { lifecycle, log: (line) => logs.push(line) },
    );
  index.calls.length = 0;
  return { index, lifecycle, logs, receive, copied };
}

function delivery(
  options: Omit<ConnectMessageOptions, 'envelopeId'> & { envelopeId?: string },
  secrets = [secret],
) {
  const body = connectMessage({ envelopeId: envelopeA, ...options });
  return { body, headers: signedHeaders(body, secrets) };
}

async function refusal(promise: Promise<unknown>): Promise<number | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    if (isAppError(error)) return error.status;
    throw error;
  }
}

const signed = (status: string, recipientId: string) => ({
  recipientId,
  status,
  name: `Signer ${recipientId}`,
});

describe('isConnectSignatureValid', () => {
  const body = Buffer.from('{"event":"envelope-sent"}');
  const valid = connectSignature(body, secret);

  it('accepts the signature of any configured secret, in any signature header', () => {
    expect(isConnectSignatureValid(body, [['x-docusign-signature-1', valid]], [secret])).toBe(true);
    expect(isConnectSignatureValid(body, [['X-DocuSign-Signature-1', valid]], [rotated, secret])).toBe(true);
    expect(
      isConnectSignatureValid(
        body,
        [
          ['x-docusign-signature-1', connectSignature(body, 'retired')],
          ['x-docusign-signature-2', valid],
        ],
        [secret],
      ),
    ).toBe(true);
  });

  it('refuses no header, no secret, another body, a joined duplicate and a non-canonical spelling', () => {
    expect(isConnectSignatureValid(body, [], [secret])).toBe(false);
    expect(isConnectSignatureValid(body, [['x-docusign-signature-1', valid]], [])).toBe(false);
    expect(isConnectSignatureValid(Buffer.from('{}'), [['x-docusign-signature-1', valid]], [secret])).toBe(
      false,
    );
    expect(isConnectSignatureValid(body, [['x-docusign-signature-1', `${valid}, ${valid}`]], [secret])).toBe(
      false,
    );
    // Same decoded bytes, different text: the two unused bits of the last digit set.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const last = alphabet.indexOf(valid.at(-2)!);
    const spelled = `${valid.slice(0, -2)}${alphabet[last | 1]}=`;
    expect(Buffer.from(spelled, 'base64').equals(Buffer.from(valid, 'base64'))).toBe(true);
    expect(isConnectSignatureValid(body, [['x-docusign-signature-1', spelled]], [secret])).toBe(false);
  });
});

describe('deliveryKey', () => {
  it('is the same for a retry (re-signed with a higher retryCount) and differs for another message', () => {
    const key = (options: Omit<ConnectMessageOptions, 'envelopeId'>) => {
      const body = connectMessage({ envelopeId: envelopeA, ...options });
      return deliveryKey(body, connectPayloadSchema.parse(JSON.parse(body.toString())));
    };
    const first = key({ event: 'recipient-completed', recipientId: '1' });
    expect(key({ event: 'recipient-completed', recipientId: '1', retryCount: 3 })).toBe(first);
    expect(key({ event: 'recipient-completed', recipientId: '2' })).not.toBe(first);
    expect(key({ event: 'recipient-delivered', recipientId: '1' })).not.toBe(first);
    expect(
      key({
        event: 'recipient-completed',
        recipientId: '1',
        generatedDateTime: '2030-01-01T12:00:01.0000000Z',
      }),
    ).not.toBe(first);
  });
});

describe('signer progress', () => {
  it('only moves forward, whatever order (and however often) the news arrives', () => {
    const statuses = ['sent', 'delivered', 'completed'] as const;
    const news = fc.array(
      fc.record({ recipientId: fc.constantFrom('1', '2', '3'), status: fc.constantFrom(...statuses) }),
      { maxLength: 20 },
    );
    const orders = news.chain((items) =>
      fc
        .shuffledSubarray(items, { minLength: items.length, maxLength: items.length })
        .map((shuffled) => [items, shuffled] as const),
    );
    fc.assert(
      fc.property(orders, ([items, shuffled]) => {
        const inOrder = items.reduce<readonly SignerProgress[]>(
          (known, item) => mergeSignerProgress(known, [item]),
          signersOf(3),
        );
        // Shuffled, and every delivery twice.
        const outOfOrder = shuffled.reduce<readonly SignerProgress[]>(
          (known, item) => mergeSignerProgress(mergeSignerProgress(known, [item]), [item]),
          signersOf(3),
        );
        expect(outOfOrder.map((signer) => signer.status)).toEqual(inOrder.map((signer) => signer.status));
      }),
      { numRuns: 300 },
    );
  });

  it('takes the furthest of several items about one signer and names who is next', () => {
    const merged = mergeSignerProgress(signersOf(3), [
      { recipientId: '1', status: 'delivered' },
      { recipientId: '1', status: 'completed', at: '2030-01-02' },
      { recipientId: '1', status: 'sent' },
    ]);
    expect(merged[0]).toMatchObject({ status: 'completed', at: '2030-01-02' });
    expect(nextSigner(merged)?.recipientId).toBe('2');
    expect(mergeSignerProgress(merged, [{ recipientId: '1', status: 'declined' }])).toBe(merged);
  });
});

describe('ConnectDeliveries', () => {
  it('moves signer progress on a recipient event, copies it onto the request and records the delivery', async () => {
    const { index, receive, lifecycle, copied } = setup();
    const result = await receive(
      delivery({
        event: 'recipient-completed',
        recipientId: '1',
        signers: [signed('completed', '1'), signed('sent', '2')],
      }),
    );
    expect(result).toEqual({
      outcome: 'processed',
      envelopeId: envelopeA,
      requestId: 'request-a',
      signersChanged: true,
    });
    expect(index.records.get(envelopeA)!.signers.map((signer) => signer.status)).toEqual([
      'completed',
      'sent',
      'pending',
    ]);
    expect(copied).toEqual([{ requestId: 'request-a', statuses: ['completed', 'sent', 'pending'] }]);
    expect(index.deliveries.get(envelopeA)?.size).toBe(1);
    expect(lifecycle.raised).toEqual([]);
  });

  it('changes nothing twice: the same delivery again, or its retry with a higher retryCount', async () => {
    const { index, receive, lifecycle } = setup();
    const completed = delivery({
      event: 'envelope-completed',
      envelopeStatus: 'completed',
      signers: [signed('completed', '1')],
    });
    await receive(completed);
    const after = index.snapshot();
    expect(await receive(completed)).toEqual({ outcome: 'duplicate', envelopeId: envelopeA });
    expect(
      await receive(
        delivery({
          event: 'envelope-completed',
          envelopeStatus: 'completed',
          retryCount: 1,
          signers: [signed('completed', '1')],
        }),
      ),
    ).toEqual({ outcome: 'duplicate', envelopeId: envelopeA });
    expect(index.snapshot()).toBe(after);
    expect(lifecycle.raised).toHaveLength(1);
  });

  it('never regresses progress when deliveries arrive out of order', async () => {
    const { index, receive, copied } = setup();
    await receive(
      delivery({
        event: 'recipient-completed',
        recipientId: '2',
        generatedDateTime: '2030-01-01T12:00:03.0000000Z',
        signers: [signed('completed', '1'), signed('completed', '2'), signed('sent', '3')],
      }),
    );
    const late = await receive(
      delivery({
        event: 'recipient-sent',
        recipientId: '2',
        generatedDateTime: '2030-01-01T12:00:01.0000000Z',
        signers: [signed('completed', '1'), signed('sent', '2')],
      }),
    );
    expect(late).toMatchObject({ outcome: 'processed', signersChanged: false });
    expect(index.records.get(envelopeA)!.signers.map((signer) => signer.status)).toEqual([
      'completed',
      'completed',
      'sent',
    ]);
    // The request is told what the index holds, never the late news itself.
    expect(copied.map((copy) => copy.statuses)).toEqual([
      ['completed', 'completed', 'sent'],
      ['completed', 'completed', 'sent'],
    ]);
  });

  it('raises completed, declined (reason, who) and voided (expired) to the request’s orchestration', async () => {
    const { receive, lifecycle } = setup();
    await receive(delivery({ event: 'envelope-completed', envelopeStatus: 'completed' }));
    await receive(
      delivery({
        envelopeId: envelopeB,
        event: 'envelope-declined',
        envelopeStatus: 'declined',
        signers: [
          signed('completed', '1'),
          { recipientId: '2', status: 'declined', name: 'Pat', declinedReason: 'No IRB approval' },
        ],
      }),
    );
    await receive(
      delivery({
        envelopeId: envelopeB,
        event: 'envelope-voided',
        envelopeStatus: 'voided',
        voidedReason: 'Envelope has expired.',
        generatedDateTime: '2030-01-02T00:00:00.0000000Z',
      }),
    );
    expect(lifecycle.raised).toEqual([
      {
        requestId: 'request-a',
        outcome: {
          envelopeId: envelopeA,
          status: 'completed',
          reason: '',
          expired: false,
          at: '2030-01-01T12:00:00.0000000Z',
          source: 'connect',
        },
      },
      {
        requestId: 'request-b',
        outcome: {
          envelopeId: envelopeB,
          status: 'declined',
          reason: 'No IRB approval',
          declinedBy: 'Pat',
          expired: false,
          at: '2030-01-01T12:00:00.0000000Z',
          source: 'connect',
        },
      },
      {
        requestId: 'request-b',
        outcome: {
          envelopeId: envelopeB,
          status: 'voided',
          reason: 'Envelope has expired.',
          expired: true,
          at: '2030-01-02T00:00:00.0000000Z',
          source: 'connect',
        },
      },
    ]);
  });

  it('acknowledges an outcome whose request has no orchestration, and logs it', async () => {
    const { receive, logs, index } = setup({ instances: () => false });
    expect(
      await receive(delivery({ event: 'envelope-completed', envelopeStatus: 'completed' })),
    ).toMatchObject({
      outcome: 'processed',
      raised: { status: 'completed', to: 'no-instance' },
    });
    expect(logs.join('\n')).toContain('request request-a has no orchestration');
    expect(index.deliveries.get(envelopeA)?.size).toBe(1);
  });

  it('records nothing when raising fails, so the retry raises again', async () => {
    const { receive, index, lifecycle } = setup();
    let fail = true;
    const original = lifecycle.raiseEnvelopeOutcome.bind(lifecycle);
    lifecycle.raiseEnvelopeOutcome = async (requestId, outcome) => {
      if (fail) throw new Error('durable client unavailable');
      return original(requestId, outcome);
    };
    await expect(
      receive(delivery({ event: 'envelope-completed', envelopeStatus: 'completed' })),
    ).rejects.toThrow('durable client unavailable');
    expect(index.deliveries.get(envelopeA)).toBeUndefined();
    fail = false;
    await receive(delivery({ event: 'envelope-completed', envelopeStatus: 'completed', retryCount: 1 }));
    expect(lifecycle.raised).toHaveLength(1);
  });

  it('acknowledges an unknown envelope and logs it, writing nothing', async () => {
    const { receive, index, logs } = setup();
    const before = index.snapshot();
    const unknown = '9a9a9a9a-3333-4e3f-9c5f-2ab13e4d5c6f';
    expect(await receive(delivery({ envelopeId: unknown, event: 'envelope-completed' }))).toEqual({
      outcome: 'unknown-envelope',
      envelopeId: unknown,
    });
    expect(index.calls).toEqual([`find ${unknown}`]);
    expect(index.snapshot()).toBe(before);
    expect(logs.join('\n')).toContain(`unknown envelope ${unknown}`);
  });

  it('acknowledges a signed body that is no JSON SIM message, touching nothing', async () => {
    const { receive, index } = setup();
    const body = Buffer.from('{"event":"not-an-event","data":{}}');
    expect(await receive({ body, headers: signedHeaders(body, [secret]) })).toMatchObject({
      outcome: 'ignored',
    });
    expect(index.calls).toEqual([]);
  });

  it('accepts either secret while a key is rotated (DocuSign signs with each active key)', async () => {
    const { receive } = setup({ secrets: [secret, rotated] });
    const body = connectMessage({ envelopeId: envelopeA, event: 'recipient-sent', recipientId: '1' });
    expect(
      await receive({ body, headers: { 'x-docusign-signature-1': connectSignature(body, rotated) } }),
    ).toMatchObject({
      outcome: 'processed',
    });
    const other = connectMessage({ envelopeId: envelopeA, event: 'recipient-delivered', recipientId: '1' });
    expect(
      await receive({
        body: other,
        headers: {
          'x-docusign-signature-1': connectSignature(other, 'retired-secret'),
          'x-docusign-signature-2': connectSignature(other, secret),
        },
      }),
    ).toMatchObject({ outcome: 'processed' });
  });

  it('refuses everything while no secret is configured, and says why once', async () => {
    const { receive, logs, index } = setup({ secrets: [] });
    expect(await refusal(receive(delivery({ event: 'envelope-completed' })))).toBe(401);
    expect(await refusal(receive(delivery({ event: 'envelope-completed' })))).toBe(401);
    expect(logs).toEqual(['Connect: DocuSign__connectHmacKeys is not set, so every delivery is refused']);
    expect(index.calls).toEqual([]);
  });
});

describe('forged deliveries (1,200 generated)', () => {
  const bases = [
    delivery({
      event: 'recipient-completed',
      recipientId: '1',
      signers: [signed('completed', '1'), signed('sent', '2')],
    }),
    delivery({
      event: 'envelope-completed',
      envelopeStatus: 'completed',
      signers: [signed('completed', '1')],
    }),
    delivery({
      event: 'envelope-declined',
      envelopeStatus: 'declined',
      signers: [{ recipientId: '1', status: 'declined', declinedReason: 'no' }],
    }),
    delivery({ event: 'envelope-voided', envelopeStatus: 'voided', voidedReason: 'Envelope has expired.' }, [
      secret,
      rotated,
    ]),
  ];

  it('are all refused with 401, reading and writing nothing, raising nothing', async () => {
    const kinds = new Map<string, number>();
    const arbitrary = fc.oneof(
      ...bases.map((base) => mutationOf(base, [secret, rotated], [envelopeB], envelopeA)),
    );
    await fc.assert(
      fc.asyncProperty(arbitrary, async (mutation) => {
        const { index, lifecycle, receive } = setup({ secrets: [secret, rotated] });
        const before = index.snapshot();
        kinds.set(mutation.kind, (kinds.get(mutation.kind) ?? 0) + 1);
        expect(await refusal(receive(mutation))).toBe(401);
        expect(index.calls).toEqual([]);
        expect(index.snapshot()).toBe(before);
        expect(lifecycle.raised).toEqual([]);
      }),
      { numRuns: 1200 },
    );
    // Every kind of forgery was tried.
    expect(kinds.size).toBeGreaterThanOrEqual(13);
    // And the originals themselves are accepted (the forgeries were refused for what changed).
    for (const base of bases) {
      const { receive } = setup({ secrets: [secret, rotated] });
      expect((await receive(base)).outcome).toBe('processed');
    }
  });
});
