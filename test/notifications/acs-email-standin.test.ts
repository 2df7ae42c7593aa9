/** The real `@azure/communication-email` SDK against the ACS Email stand-in (HTTPS with the local CA). */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EmailClient } from '@azure/communication-email';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAcsEmailStandIn, type AcsEmailStandIn } from '../../infra/local/standins/acs-email';
import { ensureLocalCertificates, type LocalCertificates } from '../../infra/local/standins/tls';

let certificates: LocalCertificates;
let standIn: AcsEmailStandIn;

beforeAll(async () => {
  certificates = await ensureLocalCertificates(mkdtempSync(path.join(tmpdir(), 'acs-tls-')));
  standIn = await startAcsEmailStandIn({
    port: 0,
    tls: { cert: certificates.serverCertPem, key: certificates.serverKeyPem },
    retryAfterSeconds: 1,
  });
});
afterAll(async () => standIn?.close());

const client = (connectionString = standIn.connectionString) =>
  new EmailClient(connectionString, { tlsOptions: { ca: certificates.caPem } });

const message = {
  senderAddress: 'DoNotReply@notifications.localhost',
  content: {
    subject: 'Hello',
    plainText: 'Open https://example.org/x',
    html: '<p><a href="https://example.org/x">x</a></p>',
  },
  recipients: { to: [{ address: 'alice@example.org' }] },
};

describe('ACS Email stand-in', () => {
  it('accepts a send, answers Running then Succeeded, and shows the mail in the outbox', async () => {
    const statuses: string[] = [];
    const poller = await client().beginSend(message);
    statuses.push(poller.getOperationState().status);
    const result = await poller.pollUntilDone();
    expect(result.status).toBe('Succeeded');
    expect(statuses[0]).not.toBe('succeeded');
    expect(standIn.outbox.list({ to: 'alice@example.org' })[0]).toMatchObject({
      id: result.id,
      subject: 'Hello',
      links: ['https://example.org/x'],
    });
  });

  it('refuses a wrong key with 401', async () => {
    const wrong = `endpoint=${standIn.endpoint};accesskey=${Buffer.alloc(32, 7).toString('base64')}`;
    await expect(client(wrong).beginSend(message)).rejects.toMatchObject({ statusCode: 401 });
  });

  it('treats a repeated Operation-Id as the same send', async () => {
    const operationId = '0b5f8c1e-2a3d-4e5f-8a9b-0c1d2e3f4a5b';
    const first = await (await client().beginSend(message, { operationId })).pollUntilDone();
    const second = await (await client().beginSend(message, { operationId })).pollUntilDone();
    expect([first.id, second.id]).toEqual([operationId, operationId]);
    expect(standIn.sendAttempts(operationId)).toBe(2);
    expect(standIn.outbox.list().filter((mail) => mail.id === operationId)).toHaveLength(1);
  });

  it('answers 400 without recipients', async () => {
    await expect(client().beginSend({ ...message, recipients: { to: [] } })).rejects.toMatchObject({
      statusCode: 400,
      code: 'BadRequest',
    });
  });
});
