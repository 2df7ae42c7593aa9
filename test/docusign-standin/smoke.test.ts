import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startDocuSignStandIn, type DocuSignStandIn } from '../../infra/local/standins/docusign';
import { testCertificates } from '../standins/support';

// The SDK's own (CommonJS) axios instance: trust the test CA for the stand-in's origin only.
const sdkRequire = createRequire(require.resolve('docusign-esign'));
const docusign = sdkRequire('docusign-esign');
const axios = sdkRequire('axios');

let standIn: DocuSignStandIn;
let receiver: http.Server;
const received: { body: string; signature: string | undefined }[] = [];

beforeAll(async () => {
  const certificates = await testCertificates();
  standIn = await startDocuSignStandIn({
    port: 0,
    tls: { cert: certificates.serverCertPem, key: certificates.serverKeyPem },
  });
  const agent = new https.Agent({ ca: certificates.caPem });
  axios.interceptors.request.use((config: { baseURL?: string; url?: string; httpsAgent?: unknown }) => {
    const target = `${config.baseURL ?? ''}${config.url ?? ''}`;
    if (target.startsWith(standIn.origin)) config.httpsAgent = agent;
    return config;
  });
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
  const client = new docusign.ApiClient({ basePath: `${standIn.origin}/restapi` });
  client.setOAuthBasePath(standIn.oAuthBasePath);
  const { integrationKey, userId, privateKeyPem, connectHmacKeys } = standIn.credentials;
  const token = await client.requestJWTUserToken(
    integrationKey,
    userId,
    ['signature', 'impersonation'],
    privateKeyPem,
    3600,
  );
  const info = await client.getUserInfo(token.body.access_token);
  const account = info.accounts[0];
  expect(account.baseUri).toBe(standIn.origin);
  client.setBasePath(`${account.baseUri}/restapi`);
  client.addDefaultHeader('Authorization', `Bearer ${token.body.access_token}`);
  const api = new docusign.EnvelopesApi(client);
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  const summary = await api.createEnvelope(account.accountId, {
    envelopeDefinition: {
      emailSubject: 'Please sign the DAA',
      status: 'sent',
      documents: [
        {
          documentId: '1',
          name: 'daa.pdf',
          fileExtension: 'pdf',
          documentBase64: Buffer.from('%PDF-1.4\n%%EOF').toString('base64'),
        },
      ],
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
  for (const recipient of ['1', '2']) {
    const link = standIn.pendingSignatures()[0]!;
    expect(link.recipientId).toBe(recipient);
    const form = new URLSearchParams({ token: new URL(link.url).searchParams.get('token')!, action: 'sign' });
    const { caPem } = await testCertificates();
    const status = await new Promise<number>((resolve, reject) => {
      const target = new URL(link.url);
      const request = https.request(
        `${target.origin}${target.pathname}`,
        { method: 'POST', ca: caPem, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      request.on('error', reject);
      request.end(form.toString());
    });
    expect(status).toBe(303);
  }
  const envelope = await api.getEnvelope(account.accountId, summary.envelopeId);
  expect(envelope.status).toBe('completed');
  await standIn.connect.idle();
  expect(received).toHaveLength(1);
  const expected = createHmac('sha256', connectHmacKeys[0]!).update(received[0]!.body).digest('base64');
  expect(received[0]!.signature).toBe(expected);
  expect(JSON.parse(received[0]!.body).event).toBe('envelope-completed');
});
