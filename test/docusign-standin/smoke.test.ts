import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startDocuSignStandIn, type DocuSignStandIn } from '../../infra/local/standins/docusign';
import { testCertificates } from '../standins/support';
import { actAsRecipient } from './signing';
import { envelopesApi, tinyPdfDocument, trustStandIn } from './support';

let standIn: DocuSignStandIn;
let receiver: http.Server;
const received: { body: string; signature: string | undefined }[] = [];

beforeAll(async () => {
  const certificates = await testCertificates();
  standIn = await startDocuSignStandIn({
    port: 0,
    tls: { cert: certificates.serverCertPem, key: certificates.serverKeyPem },
  });
  trustStandIn(standIn.origin, certificates.caPem);
  receiver = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({
        body: Buffer.concat(chunks).toString('utf8'),
        signature: request.headers['x-docusign-signature-1'] as string,
      });
      response.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  await standIn.close();
  receiver.close();
});

it('JWT grant, userinfo, create, get, sign in order, Connect signed', async () => {
  const { connectHmacKeys } = standIn.credentials;
  const { api, accountId, baseUri } = await envelopesApi(standIn);
  expect(baseUri).toBe(standIn.origin);
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  const summary = await api.createEnvelope(accountId, {
    envelopeDefinition: {
      emailSubject: 'Please sign the DAA',
      status: 'sent',
      documents: [tinyPdfDocument],
      recipients: {
        signers: [
          { email: 'a@example.org', name: 'A', recipientId: '1', routingOrder: '1' },
          { email: 'b@example.org', name: 'B', recipientId: '2', routingOrder: '2' },
        ],
      },
      eventNotification: {
        url,
        includeHMAC: 'true',
        requireAcknowledgment: 'true',
        events: ['envelope-completed'],
        eventData: { version: 'restv2.1', format: 'json' },
      },
    },
  });
  expect(summary.status).toBe('sent');
  const pending = standIn.pendingSignatures();
  expect(pending.map((each) => each.recipientId)).toEqual(['1']);
  const { caPem } = await testCertificates();
  for (const recipient of ['1', '2']) {
    expect(await actAsRecipient(standIn, caPem, summary.envelopeId, 'sign')).toBe(recipient);
  }
  const envelope = await api.getEnvelope(accountId, summary.envelopeId);
  expect(envelope.status).toBe('completed');
  await standIn.connect.idle();
  expect(received).toHaveLength(1);
  const expected = createHmac('sha256', connectHmacKeys[0]!).update(received[0]!.body).digest('base64');
  expect(received[0]!.signature).toBe(expected);
  expect(JSON.parse(received[0]!.body).event).toBe('envelope-completed');
});

it('lists only the envelopes with a given custom field (`custom_field=name=value`)', async () => {
  const { api, accountId } = await envelopesApi(standIn);
  const create = (key: string) =>
    api.createEnvelope(accountId, {
      envelopeDefinition: {
        emailSubject: 'Please sign',
        status: 'created',
        documents: [tinyPdfDocument],
        recipients: { signers: [{ email: 'a@example.org', name: 'A', recipientId: '1' }] },
        customFields: { textCustomFields: [{ name: 'idempotencyKey', value: key, show: 'false' }] },
      },
    });
  const [mine] = await Promise.all([create('daa:request-1'), create('daa:request-2')]);
  const found = await api.listStatusChanges(accountId, {
    fromDate: new Date(Date.now() - 3600_000).toISOString(),
    customField: 'idempotencyKey=daa:request-1',
  });
  expect(found.envelopes.map((envelope: { envelopeId: string }) => envelope.envelopeId)).toEqual([
    mine.envelopeId,
  ]);
});
