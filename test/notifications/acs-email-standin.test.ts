/** The real `@azure/communication-email` SDK against the ACS Email stand-in (HTTPS with the local CA). */
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mail, pollRaw, sendAndWait, sendRaw, startStandIn, type StandInFixture } from './acs-test-support';
import type { RawResponse } from '../support/raw-request';

let fixture: StandInFixture;

beforeAll(async () => {
  fixture = await startStandIn();
});
afterAll(async () => fixture?.standIn.close());
beforeEach(() => fixture.standIn.setFault(undefined));

/** A mail to an address no other test uses, so outbox assertions see only this test's mail. */
function mailTo(overrides: Parameters<typeof mail>[0] = {}) {
  const address = `user-${randomUUID()}@example.org`;
  return { address, message: mail({ recipients: { to: [{ address }] }, ...overrides }) };
}

function errorOf(response: RawResponse): { code: string; message: string } {
  const body = JSON.parse(response.text) as { error: { code: string; message: string } };
  return body.error;
}

const minutes = (n: number) => n * 60 * 1000;

describe('sending through the ACS Email stand-in', () => {
  it('accepts a send as Running, then polls to Succeeded and only then shows the mail in the outbox', async () => {
    const { address, message } = mailTo();
    const poller = await fixture.client().beginSend(message, { updateIntervalInMs: 20 });
    expect(poller.getOperationState().status).toBe('running');
    expect(fixture.standIn.outbox.list({ to: address })).toEqual([]);

    const result = await poller.pollUntilDone();

    expect(result.status).toBe('Succeeded');
    expect(fixture.standIn.outbox.list({ to: address })).toEqual([
      expect.objectContaining({
        id: result.id,
        subject: 'Hello',
        text: 'Open https://example.org/x',
        links: ['https://example.org/x'],
        source: 'acs',
        from: 'DoNotReply@notifications.localhost',
      }),
    ]);
  });

  it('answers a raw request signed by hand with 202, Operation-Location and Running', async () => {
    const { address, message } = mailTo();
    const response = await sendRaw(fixture, JSON.stringify(message));
    expect(response.status).toBe(202);
    const body = JSON.parse(response.text) as { id: string; status: string };
    expect(body.status).toBe('Running');
    expect(response.headers['operation-location']).toBe(
      new URL(`emails/operations/${body.id}?api-version=2025-09-01`, fixture.standIn.endpoint).href,
    );
    expect(JSON.parse((await pollRaw(fixture, body.id)).text)).toMatchObject({ status: 'Running' });
    expect(JSON.parse((await pollRaw(fixture, body.id)).text)).toMatchObject({ status: 'Succeeded' });
    expect(fixture.standIn.outbox.list({ to: address })).toHaveLength(1);
  });
});

describe('the request signature', () => {
  it('refuses a wrong access key with 401 and sends nothing', async () => {
    const { address, message } = mailTo();
    const wrong = `endpoint=${fixture.standIn.endpoint};accesskey=${Buffer.alloc(32, 7).toString('base64')}`;
    await expect(fixture.client(wrong).beginSend(message)).rejects.toMatchObject({
      statusCode: 401,
      code: 'Denied',
    });
    expect(fixture.standIn.outbox.list({ to: address })).toEqual([]);
  });

  it('refuses a body the SDK signed and something then altered', async () => {
    const { address, message } = mailTo();
    const tamper: PipelinePolicy = {
      name: 'tamper-after-signing',
      sendRequest: (request, next) => {
        if (typeof request.body === 'string') request.body = request.body.replace('Hello', 'Pay here');
        return next(request);
      },
    };
    const client = fixture.client(undefined, {
      additionalPolicies: [{ policy: tamper, position: 'perRetry' }],
    });
    await expect(client.beginSend(message)).rejects.toMatchObject({ statusCode: 401 });
    expect(fixture.standIn.outbox.list({ to: address })).toEqual([]);
  });

  it('refuses one body signed and another sent, whether or not the content hash is recomputed', async () => {
    const signed = JSON.stringify(mailTo().message);
    const sent = JSON.stringify(mailTo().message);

    const keptHash = await sendRaw(fixture, sent, { signedBody: signed });
    const recomputed = await sendRaw(fixture, sent, {
      signedBody: signed,
      headers: (headers) => ({
        ...headers,
        // The honest hash of what is sent, under the signature of the other body.
        'x-ms-content-sha256': createHash('sha256').update(sent).digest('base64'),
      }),
    });

    expect([keptHash.status, recomputed.status]).toEqual([401, 401]);
    expect(errorOf(keptHash)).toEqual({ code: 'Denied', message: expect.any(String) });
    expect(keptHash.headers['x-ms-error-code']).toBe('Denied');
  });

  it('accepts x-ms-date within the 15-minute skew and refuses it outside, either way', async () => {
    const body = JSON.stringify(mailTo().message);
    const at = (offsetMs: number) => sendRaw(fixture, body, { date: new Date(Date.now() + offsetMs) });

    const [tenMinutesOld, sixteenMinutesOld, sixteenMinutesAhead] = await Promise.all([
      at(-minutes(10)),
      at(-minutes(16)),
      at(minutes(16)),
    ]);

    expect(tenMinutesOld.status).toBe(202);
    expect(sixteenMinutesOld.status).toBe(401);
    expect(sixteenMinutesAhead.status).toBe(401);
  });

  it('refuses requests that lack a signed header or leave one out of SignedHeaders', async () => {
    const body = JSON.stringify(mailTo().message);
    const without =
      (name: string) =>
      (headers: Record<string, string>): Record<string, string> =>
        Object.fromEntries(Object.entries(headers).filter(([key]) => key !== name));

    const responses = await Promise.all([
      sendRaw(fixture, body, { headers: without('authorization') }),
      sendRaw(fixture, body, { headers: without('x-ms-date') }),
      sendRaw(fixture, body, { headers: without('x-ms-content-sha256') }),
      // The same signature, but claiming that only the date and host were signed.
      sendRaw(fixture, body, {
        headers: (headers) => ({
          ...headers,
          authorization: headers.authorization!.replace(
            'x-ms-date;host;x-ms-content-sha256',
            'x-ms-date;host',
          ),
        }),
      }),
      sendRaw(fixture, body, {
        headers: (headers) => ({ ...headers, authorization: `Bearer ${headers.authorization!}` }),
      }),
    ]);

    expect(responses.map((response) => response.status)).toEqual([401, 401, 401, 401, 401]);
  });
});

describe('validation as ACS does it', () => {
  it('answers 400 with an ACS error for a missing sender', async () => {
    const { senderAddress: _omitted, ...withoutSender } = mailTo().message;
    const raw = await sendRaw(fixture, JSON.stringify(withoutSender));
    expect(raw.status).toBe(400);
    expect(raw.headers['x-ms-error-code']).toBe(errorOf(raw).code);
    expect(errorOf(raw)).toMatchObject({ code: 'BadRequest', message: expect.stringMatching(/sender/i) });

    await expect(fixture.client().beginSend(mailTo({ senderAddress: '' }).message)).rejects.toMatchObject({
      statusCode: 400,
      code: 'BadRequest',
    });
  });

  it('answers 400 without recipients', async () => {
    await expect(
      fixture.client().beginSend(mail({ recipients: { to: [], cc: [], bcc: [] } })),
    ).rejects.toMatchObject({
      statusCode: 400,
      code: 'BadRequest',
      message: expect.stringMatching(/recipient/i),
    });
  });

  it('counts to, cc and bcc together against the limit of 50 recipients', async () => {
    const addresses = (n: number, prefix: string) =>
      Array.from({ length: n }, (_, i) => ({ address: `${prefix}${i}-${randomUUID()}@example.org` }));

    await expect(
      fixture.client().beginSend(
        mail({
          recipients: { to: addresses(30, 'to'), cc: addresses(15, 'cc'), bcc: addresses(6, 'bcc') },
        }),
      ),
    ).rejects.toMatchObject({ statusCode: 400, code: 'BadRequest', message: expect.stringMatching(/50/) });

    const fifty = { to: addresses(30, 'to'), cc: addresses(15, 'cc'), bcc: addresses(5, 'bcc') };
    const result = await sendAndWait(fixture.client(), mail({ recipients: fifty }));
    expect(result.status).toBe('Succeeded');
    const delivered = fixture.standIn.outbox.list({ to: fifty.bcc[0]!.address });
    expect(delivered.map((message) => message.id)).toEqual([result.id]);
  });

  it('answers 400 for a message over 10 MB', async () => {
    const { address, message } = mailTo({
      attachments: [
        {
          name: 'big.bin',
          contentType: 'application/octet-stream',
          contentInBase64: Buffer.alloc(8 * 1024 * 1024, 1).toString('base64'), // ~10.7 MB encoded
        },
      ],
    });
    await expect(fixture.client().beginSend(message)).rejects.toMatchObject({
      statusCode: 400,
      code: 'BadRequest',
      message: expect.stringMatching(/size/i),
    });
    expect(fixture.standIn.outbox.list({ to: address })).toEqual([]);
  });

  it('accepts a message with attachments under the limit and lists them by name and size', async () => {
    const { address, message } = mailTo({
      attachments: [
        {
          name: 'agreement.pdf',
          contentType: 'application/pdf',
          contentInBase64: Buffer.from('%PDF-1.7').toString('base64'),
        },
      ],
    });
    await sendAndWait(fixture.client(), message);
    expect(fixture.standIn.outbox.list({ to: address })[0]?.attachments).toEqual([
      { name: 'agreement.pdf', contentType: 'application/pdf', bytes: 8 },
    ]);
  });
});

describe('Operation-Id', () => {
  it('makes a repeated send with the same operation id a no-op', async () => {
    const operationId = randomUUID();
    const { address, message } = mailTo();
    const first = await sendAndWait(fixture.client(), message, operationId);
    const again = await sendAndWait(
      fixture.client(),
      { ...message, content: { ...message.content, subject: 'Changed' } },
      operationId,
    );

    expect([first, again].map(({ id, status }) => ({ id, status }))).toEqual([
      { id: operationId, status: 'Succeeded' },
      { id: operationId, status: 'Succeeded' },
    ]);
    expect(fixture.standIn.sendAttempts(operationId)).toBe(2);
    expect(fixture.standIn.outbox.list({ to: address }).map((delivered) => delivered.subject)).toEqual([
      'Hello',
    ]);
  });

  it('refuses an operation id that is not a GUID', async () => {
    const response = await sendRaw(fixture, JSON.stringify(mailTo().message), { operationId: 'not-a-guid' });
    expect(response.status).toBe(400);
    expect(errorOf(response).code).toBe('InvalidOperationId');
  });
});

describe('fault switches', () => {
  it("'fail' accepts the send, then ends its operation Failed; a retry with the same id goes through", async () => {
    fixture.standIn.setFault({ kind: 'fail', times: 1 });
    const operationId = randomUUID();
    const { address, message } = mailTo();

    await expect(sendAndWait(fixture.client(), message, operationId)).rejects.toThrow();
    const failed = JSON.parse((await pollRaw(fixture, operationId)).text) as Record<string, unknown>;
    expect(failed).toMatchObject({
      id: operationId,
      status: 'Failed',
      error: { code: expect.any(String), message: expect.any(String) },
    });
    expect(fixture.standIn.outbox.list({ to: address })).toEqual([]);

    const retried = await sendAndWait(fixture.client(), message, operationId);
    expect(retried.status).toBe('Succeeded');
    expect(fixture.standIn.outbox.list({ to: address })).toHaveLength(1);
  });

  it("'fail' without a count fails every send until it is cleared", async () => {
    fixture.standIn.setFault({ kind: 'fail' });
    const operationId = randomUUID();
    const { message } = mailTo();
    await expect(sendAndWait(fixture.client(), message, operationId)).rejects.toThrow();
    await expect(sendAndWait(fixture.client(), message, operationId)).rejects.toThrow();
    fixture.standIn.setFault(undefined);
    expect((await sendAndWait(fixture.client(), message, operationId)).status).toBe('Succeeded');
  });

  it("'stall' keeps the operation Running past its completion time, until it is sent again without the switch", async () => {
    const quick = await startStandIn({ completeAfterMs: 50 });
    try {
      quick.standIn.setFault({ kind: 'stall', times: 1 });
      const operationId = randomUUID();
      const { address, message } = mailTo();
      const poller = await quick.client().beginSend(message, { operationId, updateIntervalInMs: 20 });

      await expect(poller.pollUntilDone({ abortSignal: AbortSignal.timeout(300) })).rejects.toThrow();
      expect(JSON.parse((await pollRaw(quick, operationId)).text)).toMatchObject({ status: 'Running' });
      expect(quick.standIn.outbox.list({ to: address })).toEqual([]);

      const retried = await sendAndWait(quick.client(), message, operationId);
      expect(retried.status).toBe('Succeeded');
      expect(quick.standIn.outbox.list({ to: address })).toHaveLength(1);
    } finally {
      await quick.standIn.close();
    }
  });
});

describe('persistence', () => {
  it('keeps mails, operations and the access key across a restart on the same state dir', async () => {
    const stateDir = mkdtempSync(path.join(tmpdir(), 'acs-state-'));
    const first = await startStandIn({ stateDir, completeAfterMs: 60_000 });
    const delivered = await sendAndWait(
      first.client(),
      mail({ recipients: { to: [{ address: 'a@example.org' }] } }),
    );
    await first.standIn.deliver({
      source: 'docusign',
      from: 'dse@docusign.localhost',
      to: ['a@example.org'],
      subject: 'Please sign',
      html: '<a href="https://docusign.localhost/sign/1">Sign</a>',
    });
    // Accepted but not yet complete when the stand-in stops.
    const pending = JSON.parse(
      (await sendRaw(first, JSON.stringify(mail({ recipients: { to: [{ address: 'b@example.org' }] } }))))
        .text,
    ) as { id: string };
    const connectionString = first.standIn.connectionString;
    await first.standIn.close();

    const second = await startStandIn({ stateDir, completeAfterMs: 60_000 });
    try {
      expect(second.standIn.accessKey).toBe(first.standIn.accessKey);
      expect(second.standIn.outbox.list({ to: 'a@example.org' }).map((m) => [m.source, m.subject])).toEqual([
        ['docusign', 'Please sign'],
        ['acs', 'Hello'],
      ]);
      expect(second.standIn.outbox.get(delivered.id)?.links).toEqual(['https://example.org/x']);
      // The same connection string still authenticates, and the operation left running completes.
      const port = new URL(second.standIn.endpoint).port;
      const reconnected = connectionString.replace(/:\d+\//, `:${port}/`);
      const resumed = await (
        await second
          .client(reconnected)
          .beginSend(mail(), { operationId: pending.id, updateIntervalInMs: 20 })
      ).pollUntilDone();
      expect(resumed.status).toBe('Succeeded');
      expect(second.standIn.outbox.list({ to: 'b@example.org' })).toHaveLength(1);
    } finally {
      await second.standIn.close();
    }

    const fresh = await startStandIn({ stateDir, fresh: true });
    try {
      expect(fresh.standIn.outbox.size).toBe(0);
      expect(fresh.standIn.accessKey).toBe(first.standIn.accessKey);
    } finally {
      await fresh.standIn.close();
    }
  });
});
