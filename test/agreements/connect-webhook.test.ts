/**
 * `POST /api/webhooks/docusign` on the whole local system (the built app on the local host, Cosmos DB, the
 * Durable engine and the DocuSign stand-in sending real, HMAC-signed Connect deliveries): valid deliveries
 * move signer progress and raise the envelope's outcome to the request's orchestration; forgeries, oversize
 * bodies, duplicates, out-of-order and unknown envelopes behave as the design says.
 *
 * The app is configured with two Connect secrets (a rotation in progress): the stand-in's, which it signs
 * with, and a second one this test signs with.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Container } from '@azure/cosmos';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../infra/local/clock';
import { startLocalEnvironment, type LocalEnvironment } from '../../infra/local/environment';
import { generateCredentials } from '../../infra/local/standins/docusign/credentials';
import { agreementTemplatePdf } from '../../infra/local/standins/seed-documents';
import { CosmosEnvelopeIndex } from '../../shared/agreements/adapters/cosmos-envelope-index';
import { DocuSignEnvelopeService } from '../../shared/agreements/adapters/docusign-envelope-service';
import { connectSignature } from '../../shared/agreements/connect';
import { buildEnvelopeDefinition } from '../../shared/agreements/envelope-definition';
import { signatoriesOf, type SignerProgress } from '../../shared/agreements/model';
import { parseSettings } from '../../shared/config/settings';
import { lifecycleEvents, lifecycleInstanceId } from '../../shared/lifecycle/request-lifecycle-contract';
import { createCosmosClient } from '../../shared/platform/cosmos';
import { cosmosContainers } from '../../shared/platform/storage-layout';
import { durableDriver, type DurableDriver } from '../durable/support';
import { rawRequest } from '../support/raw-request';
import { mutationOf, type WireHeaders } from './connect-mutations';
import { actAsRecipient, agreementSubject, connectMessage, signedHeaders, signersOf } from './support';

const standInSecret = 'stand-in-connect-secret-0123456789abcdefABCDEF=';
const rotatedSecret = 'second-connect-secret-during-a-rotation-9876543210';
const clock = new VirtualClock(Date.parse('2030-01-01T00:00:00Z'));
const route = '/api/webhooks/docusign';

let dataDir: string;
let environment: LocalEnvironment;
let durable: DurableDriver;
let index: CosmosEnvelopeIndex;
let envelopes: Container;
const logs: string[] = [];

beforeAll(async () => {
  // The stand-in keeps its credentials under the data folder: seed them so that its Connect secret is known.
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'connect-webhook-'));
  mkdirSync(path.join(dataDir, 'docusign'), { recursive: true });
  writeFileSync(
    path.join(dataDir, 'docusign', 'credentials.json'),
    JSON.stringify({ ...generateCredentials(), connectHmacKey: standInSecret }),
  );
  environment = await startLocalEnvironment({
    freePorts: true,
    dataDir,
    clock,
    settings: { DocuSign__connectHmacKeys: `${standInSecret},${rotatedSecret}` },
    log: (line) => logs.push(line),
  });
  durable = durableDriver(environment.host.url, clock);
  const settings = parseSettings(environment.appSettings);
  const database = createCosmosClient(settings).database(settings.CosmosDb__databaseName);
  index = new CosmosEnvelopeIndex(database);
  await index.find('warm-up');
  envelopes = database.container(cosmosContainers.envelopes.id);
});

afterAll(async () => {
  await environment?.close();
  if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
});

function post(body: Buffer, headers: WireHeaders) {
  return rawRequest(environment.host.url, route, { method: 'POST', headers, body });
}

/** An envelope known to the index, for request `requestId`, with three pending signers. */
async function recordedEnvelope(
  requestId = randomUUID(),
): Promise<{ envelopeId: string; requestId: string }> {
  const envelopeId = randomUUID();
  await index.record({ envelopeId, requestId, ownerId: 'owner-1', signers: signersOf(3) });
  return { envelopeId, requestId };
}

/** Everything stored about an envelope: its record and its delivery records. */
async function stored(envelopeId: string): Promise<string> {
  const { resources } = await envelopes.items
    .query(
      {
        query: 'SELECT c.id, c.signers FROM c WHERE c.envelopeId = @envelopeId',
        parameters: [{ name: '@envelopeId', value: envelopeId }],
      },
      { partitionKey: envelopeId },
    )
    .fetchAll();
  return JSON.stringify(resources.sort((a, b) => String(a.id).localeCompare(String(b.id))));
}

async function progress(envelopeId: string): Promise<SignerProgress['status'][]> {
  return (await index.find(envelopeId))!.signers.map((signer) => signer.status);
}

/** A `requestLifecycle` stand-in: the app's approval sample, started under the request's instance id. */
async function orchestrationFor(requestId: string): Promise<string> {
  const instanceId = lifecycleInstanceId(requestId);
  await durable.start('approvalSample', { subject: 'stands in for requestLifecycle' }, instanceId);
  await durable.waitFor(instanceId, 'Running');
  return instanceId;
}

async function outcomesRaised(instanceId: string): Promise<unknown[]> {
  const status = await durable.status(instanceId, '?showHistory=true&showHistoryOutput=true');
  return (status.historyEvents ?? [])
    .filter(
      (event) => event['EventType'] === 'EventRaised' && event['Name'] === lifecycleEvents.envelopeOutcome,
    )
    .map((event) => event['Input']);
}

describe('POST /api/webhooks/docusign', () => {
  it('accepts a valid delivery, moves signer progress, and the app never loads the DocuSign SDK for it', async () => {
    const { envelopeId } = await recordedEnvelope();
    const body = connectMessage({
      envelopeId,
      event: 'recipient-completed',
      recipientId: '1',
      signers: [
        { recipientId: '1', status: 'completed' },
        { recipientId: '2', status: 'sent' },
      ],
    });
    const response = await post(body, signedHeaders(body, [standInSecret]));
    expect(response.status).toBe(200);
    expect(JSON.parse(response.text)).toEqual({ received: true, outcome: 'processed' });
    expect(response.headers['x-correlation-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(await progress(envelopeId)).toEqual(['completed', 'sent', 'pending']);
    expect(
      Object.keys(require.cache).filter((file) => file.includes(`${path.sep}docusign-esign${path.sep}`)),
    ).toEqual([]);
  });

  it('runs the real thing: the stand-in’s Connect for every signature, then the outcome raised once', async () => {
    const requestId = randomUUID();
    const instanceId = await orchestrationFor(requestId);
    const { docuSign } = environment.standIns;
    const service = new DocuSignEnvelopeService({
      oAuthBasePath: docuSign.oAuthBasePath,
      integrationKey: docuSign.credentials.integrationKey,
      userId: docuSign.credentials.userId,
      privateKeyPem: docuSign.credentials.privateKeyPem,
      caCertPath: environment.standIns.caCertPath,
    });
    const person = (name: string) => ({ name, email: `${name.toLowerCase()}@example.org` });
    const subject = agreementSubject({
      requestId,
      downloadRequested: false,
      requester: person('Ada'),
      principalInvestigator: person('Pat'),
      additionalApplicants: [],
      institutionalAuthority: person('Ines'),
    });
    const definition = buildEnvelopeDefinition(subject, agreementTemplatePdf(), {
      webhookUrl: `${environment.host.url}${route}`,
      reminderDelayDays: 2,
      reminderFrequencyDays: 2,
      expireAfterDays: 30,
    });
    const envelopeId = await service.createDraft(definition);
    // Recorded before it is sent, as the orchestration does it.
    await index.record({
      envelopeId,
      requestId,
      ownerId: 'owner-1',
      signers: signatoriesOf(subject).map(({ recipientId, name, email, routingOrder }) => ({
        recipientId,
        name,
        email,
        routingOrder,
        status: 'pending' as const,
      })),
    });
    // Every delivery arrives twice, byte for byte.
    docuSign.connect.faults.duplicate(1000);
    try {
      await service.send(envelopeId);
      for (let signer = 0; signer < 3; signer++) {
        await docuSign.connect.idle();
        await actAsRecipient(docuSign, environment.standIns.certificates.caPem, envelopeId, 'sign');
      }
      await docuSign.connect.idle();
    } finally {
      docuSign.connect.faults.clear();
    }
    const attempts = docuSign.connect.attempts.filter((attempt) => attempt.envelopeId === envelopeId);
    expect(attempts.map((attempt) => attempt.outcome).every((outcome) => outcome === 200)).toBe(true);
    expect(attempts.filter((attempt) => attempt.event === 'envelope-completed')).toHaveLength(2);
    expect(await progress(envelopeId)).toEqual(['completed', 'completed', 'completed']);
    expect(await outcomesRaised(instanceId)).toEqual([
      expect.objectContaining({ envelopeId, status: 'completed', source: 'connect', expired: false }),
    ]);
  });

  it('raises a declined envelope with the signer’s reason', async () => {
    const { envelopeId, requestId } = await recordedEnvelope();
    const instanceId = await orchestrationFor(requestId);
    const body = connectMessage({
      envelopeId,
      event: 'envelope-declined',
      envelopeStatus: 'declined',
      signers: [
        { recipientId: '1', status: 'declined', name: 'Ada', declinedReason: 'Not approved by our IRB' },
      ],
    });
    expect((await post(body, signedHeaders(body, [standInSecret]))).status).toBe(200);
    expect(await outcomesRaised(instanceId)).toEqual([
      expect.objectContaining({ status: 'declined', reason: 'Not approved by our IRB', declinedBy: 'Ada' }),
    ]);
    expect(await progress(envelopeId)).toEqual(['declined', 'pending', 'pending']);
  });

  it('accepts either configured secret while a key is rotated', async () => {
    const { envelopeId } = await recordedEnvelope();
    const first = connectMessage({ envelopeId, event: 'recipient-sent', recipientId: '1' });
    expect(
      (await post(first, { 'x-docusign-signature-1': connectSignature(first, rotatedSecret) })).status,
    ).toBe(200);
    const second = connectMessage({ envelopeId, event: 'recipient-delivered', recipientId: '1' });
    const response = await post(second, {
      'x-docusign-signature-1': connectSignature(second, 'a-retired-secret'),
      'x-docusign-signature-2': connectSignature(second, standInSecret),
    });
    expect(response.status).toBe(200);
    expect(await progress(envelopeId)).toEqual(['delivered', 'pending', 'pending']);
  });

  it('changes nothing twice and never goes back: duplicates and out-of-order deliveries', async () => {
    const { envelopeId } = await recordedEnvelope();
    const completed = connectMessage({
      envelopeId,
      event: 'recipient-completed',
      recipientId: '2',
      generatedDateTime: '2030-01-01T12:00:05.0000000Z',
      signers: [
        { recipientId: '1', status: 'completed' },
        { recipientId: '2', status: 'completed' },
      ],
    });
    expect(JSON.parse((await post(completed, signedHeaders(completed, [standInSecret]))).text).outcome).toBe(
      'processed',
    );
    const after = await stored(envelopeId);
    // The same delivery again, and its retry (re-signed with a higher retryCount).
    expect(JSON.parse((await post(completed, signedHeaders(completed, [standInSecret]))).text).outcome).toBe(
      'duplicate',
    );
    const retry = Buffer.from(completed.toString().replace('"retryCount":0', '"retryCount":1'));
    expect(JSON.parse((await post(retry, signedHeaders(retry, [standInSecret]))).text).outcome).toBe(
      'duplicate',
    );
    expect(await stored(envelopeId)).toBe(after);
    // Older news arriving late: recorded as a delivery, but no signer goes back.
    const late = connectMessage({
      envelopeId,
      event: 'recipient-delivered',
      recipientId: '2',
      generatedDateTime: '2030-01-01T12:00:01.0000000Z',
      signers: [
        { recipientId: '1', status: 'completed' },
        { recipientId: '2', status: 'delivered' },
      ],
    });
    expect((await post(late, signedHeaders(late, [standInSecret]))).status).toBe(200);
    expect(await progress(envelopeId)).toEqual(['completed', 'completed', 'pending']);
  });

  it('refuses 50 generated forgeries with 401 problem+json, changing nothing', async () => {
    const target = await recordedEnvelope();
    const other = await recordedEnvelope();
    const body = connectMessage({
      envelopeId: target.envelopeId,
      event: 'recipient-completed',
      recipientId: '1',
      signers: [{ recipientId: '1', status: 'completed' }],
    });
    const valid = { body, headers: signedHeaders(body, [standInSecret, rotatedSecret]) };
    const before = [await stored(target.envelopeId), await stored(other.envelopeId)];
    const samples = fc.sample(
      mutationOf(valid, [standInSecret, rotatedSecret], [other.envelopeId], target.envelopeId),
      { numRuns: 50, seed: 20300101 },
    );
    for (const mutation of samples) {
      const response = await post(mutation.body, mutation.headers);
      expect({ kind: mutation.kind, status: response.status }).toEqual({ kind: mutation.kind, status: 401 });
      expect(response.headers['content-type']).toBe('application/problem+json');
      expect(JSON.parse(response.text).type).toBe('https://datarequests.dev/problems/invalid-signature');
    }
    expect([await stored(target.envelopeId), await stored(other.envelopeId)]).toEqual(before);
    // The log says why, never with a signature or a secret.
    const logged = logs.join('\n');
    expect(logged).toMatch(/invalid-signature: .*signature header\(s\), none matching any of 2 secret\(s\)/);
    for (const secret of [standInSecret, rotatedSecret, ...Object.values(valid.headers)]) {
      if (secret.length > 20) expect(logged).not.toContain(secret);
    }
    // The original is accepted: the forgeries were refused for what they changed.
    expect((await post(valid.body, valid.headers)).status).toBe(200);
  });

  it('answers 413 for an oversized body, declared or streamed, before checking anything', async () => {
    const big = Buffer.alloc(1024 * 1024 + 1, 0x20);
    const declared = await post(big, {
      'content-type': 'application/json',
      ...signedHeaders(big, [standInSecret]),
    });
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.text).type).toBe('https://datarequests.dev/problems/payload-too-large');
    const streamed = await post(big, { 'transfer-encoding': 'chunked' });
    expect(streamed.status).toBe(413);
  });

  it('acknowledges an unknown envelope with 200 and logs it', async () => {
    const unknown = randomUUID();
    const body = connectMessage({
      envelopeId: unknown,
      event: 'envelope-completed',
      envelopeStatus: 'completed',
    });
    const response = await post(body, signedHeaders(body, [standInSecret]));
    expect(response.status).toBe(200);
    expect(JSON.parse(response.text).outcome).toBe('unknown-envelope');
    expect(logs.some((line) => line.includes(`unknown envelope ${unknown}`))).toBe(true);
    expect(await stored(unknown)).toBe('[]');
  });

  it('acknowledges an outcome for a request with no orchestration (yet) and logs it', async () => {
    const { envelopeId, requestId } = await recordedEnvelope();
    const body = connectMessage({
      envelopeId,
      event: 'envelope-voided',
      envelopeStatus: 'voided',
      voidedReason: 'x',
    });
    const response = await post(body, signedHeaders(body, [standInSecret]));
    expect(response.status).toBe(200);
    expect(logs.some((line) => line.includes(`request ${requestId} has no orchestration`))).toBe(true);
  });
});
