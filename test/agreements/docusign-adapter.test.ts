/**
 * The DocuSign adapter (`DocuSignEnvelopeService`) with the unmodified `docusign-esign` SDK against the
 * DocuSign stand-in: JWT grant and token reuse, a wrong key, drafts sent once, recovery by idempotency key,
 * outcomes with their reasons, and voiding. The stand-in's envelope clock is virtual (expiry in a step).
 */
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../infra/local/clock';
import {
  expiredVoidedReason,
  startDocuSignStandIn,
  type DocuSignStandIn,
} from '../../infra/local/standins/docusign';
import { agreementTemplatePdf } from '../../infra/local/standins/seed-documents';
import {
  DocuSignEnvelopeService,
  DocuSignError,
  tokenRenewBeforeMs,
  type DocuSignConnection,
} from '../../shared/agreements/adapters/docusign-envelope-service';
import {
  agreementIdempotencyKey,
  buildEnvelopeDefinition,
} from '../../shared/agreements/envelope-definition';
import { outcomeOfState } from '../../shared/agreements/outcome';
import { testCertificates } from '../standins/support';
import { envelopesApi, trustStandIn } from '../docusign-standin/support';
import { actAsRecipient, agreementSubject } from './support';

const clock = new VirtualClock(Date.parse('2030-01-01T00:00:00Z'));
let standIn: DocuSignStandIn;
let caPem: string;
let connection: DocuSignConnection;
let receiver: http.Server;
let webhookUrl: string;
/** Connect messages the stand-in delivered: event and envelope. */
const delivered: { event: string; envelopeId: string }[] = [];
/** Requests the SDK sent to /oauth/token (counted on the SDK's own axios). */
let grants = 0;

beforeAll(async () => {
  const certificates = await testCertificates();
  caPem = certificates.caPem;
  standIn = await startDocuSignStandIn({
    port: 0,
    tls: { cert: certificates.serverCertPem, key: certificates.serverKeyPem },
    clock,
  });
  trustStandIn(standIn.origin, caPem);
  connection = {
    oAuthBasePath: standIn.oAuthBasePath,
    integrationKey: standIn.credentials.integrationKey,
    userId: standIn.credentials.userId,
    privateKeyPem: standIn.credentials.privateKeyPem,
    caCertPath: certificates.caCertPath,
  };
  const sdkAxios = createRequire(require.resolve('docusign-esign'))('axios');
  sdkAxios.interceptors.request.use((config: { url?: string }) => {
    if (config.url === '/oauth/token') grants += 1;
    return config;
  });
  receiver = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const message = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      delivered.push({ event: message.event, envelopeId: message.data.envelopeId });
      response.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  webhookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/api/webhooks/docusign`;
});

afterAll(async () => {
  await standIn?.close();
  receiver?.close();
});

const options = () => ({ webhookUrl, reminderDelayDays: 2, reminderFrequencyDays: 3, expireAfterDays: 10 });

function definitionFor(requestId: string, overrides: Parameters<typeof agreementSubject>[0] = {}) {
  return buildEnvelopeDefinition(
    agreementSubject({ requestId, ...overrides }),
    agreementTemplatePdf(),
    options(),
  );
}

/** A one-signer envelope, so one signature completes it. */
function oneSigner(requestId: string) {
  const person = { name: 'Solo Signer', email: 'solo@example.org' };
  return definitionFor(requestId, {
    requester: person,
    principalInvestigator: person,
    additionalApplicants: [],
    institutionalAuthority: person,
    informationSecurityOfficer: person,
  });
}

async function sentEvents(envelopeId: string): Promise<number> {
  await standIn.connect.idle();
  return delivered.filter((each) => each.envelopeId === envelopeId && each.event === 'envelope-sent').length;
}

describe('authentication', () => {
  it('signs in with the JWT grant once and reuses the token until shortly before it expires', async () => {
    let now = Date.now();
    const service = new DocuSignEnvelopeService(connection, () => now);
    const before = grants;
    const id = await service.createDraft(definitionFor('auth-1'));
    await service.get(id);
    await Promise.all([service.get(id), service.get(id)]);
    expect(grants - before).toBe(1);
    // Just before the renewal window: still the same token.
    now += 3600_000 - tokenRenewBeforeMs - 1_000;
    await service.get(id);
    expect(grants - before).toBe(1);
    // Inside it: a new grant, once, however many calls.
    now += 2_000;
    await Promise.all([service.get(id), service.get(id), service.get(id)]);
    expect(grants - before).toBe(2);
  });

  it('fails clearly when the JWT grant is signed with another key, and says nothing secret', async () => {
    const { privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const service = new DocuSignEnvelopeService({ ...connection, privateKeyPem: privateKey });
    const failure = await service
      .get('00000000-0000-0000-0000-000000000000')
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DocuSignError);
    const error = failure as DocuSignError;
    expect(error.status).toBe(400);
    expect(error.errorCode).toBe('invalid_grant');
    expect(error.message).toBe(
      'DocuSign refused the JWT grant: HTTP 400 invalid_grant: no_valid_keys_or_signatures ' +
        '(the private key does not belong to the integration key: check DocuSign__privateKey)',
    );
    expect(error.cause).toBeUndefined();
    expect(JSON.stringify(error) + error.stack).not.toMatch(/PRIVATE KEY|assertion|eyJ/);
    // A failed grant is not cached: the next call asks again.
    const before = grants;
    await expect(service.get('00000000-0000-0000-0000-000000000000')).rejects.toThrow(/JWT grant/);
    expect(grants - before).toBe(1);
  });

  it('names missing consent when the user is not the one who consented', async () => {
    const service = new DocuSignEnvelopeService({
      ...connection,
      userId: '9d6f7a59-3f6a-4f7e-9a57-1c1f7f6b9d11',
    });
    await expect(service.get('x')).rejects.toThrow(
      'DocuSign refused the JWT grant: HTTP 400 consent_required (the impersonated user has not granted consent to the integration key)',
    );
  });
});

describe('envelopes', () => {
  it('creates a draft that sends nothing; send twice (and concurrently) sends one envelope', async () => {
    const service = new DocuSignEnvelopeService(connection);
    const id = await service.createDraft(definitionFor('send-1'));
    expect((await service.get(id)).status).toBe('created');
    expect(standIn.pendingSignatures().filter((each) => each.envelopeId === id)).toEqual([]);
    await Promise.all([service.send(id), service.send(id)]);
    await service.send(id);
    expect((await service.get(id)).status).toBe('sent');
    expect(await sentEvents(id)).toBe(1);
    // The first in routing order (the requester) is the only one asked to sign.
    expect(standIn.pendingSignatures().filter((each) => each.envelopeId === id)).toMatchObject([
      { recipientId: '1', email: 'ada@example.org' },
    ]);
  });

  it('carries the definition: recipients in routing order, locked prefilled tabs, DAUs, reminders and expiry', async () => {
    const service = new DocuSignEnvelopeService(connection);
    const id = await service.createDraft(definitionFor('definition-1'));
    const { api, accountId } = await envelopesApi(standIn);
    const recipients = await api.listRecipients(accountId, id, { includeTabs: 'true' });
    expect(
      recipients.signers.map((signer: { routingOrder: string; email: string }) => [
        signer.routingOrder,
        signer.email,
      ]),
    ).toEqual([
      ['1', 'ada@example.org'],
      ['2', 'pat@example.org'],
      ['3', 'ann@example.org'],
      ['4', 'bob@example.org'],
      ['5', 'ines@example.org'],
      ['6', 'iso@example.org'],
    ]);
    const first = recipients.signers[0].tabs;
    expect(first.textTabs.every((tab: { locked: string }) => tab.locked === 'true')).toBe(true);
    expect(first.textTabs.find((tab: { tabLabel: string }) => tab.tabLabel === 'projectName').value).toBe(
      'Osteosarcoma relapse',
    );
    expect(
      first.checkboxTabs.map((tab: { tabLabel: string; selected: string }) => [tab.tabLabel, tab.selected]),
    ).toEqual([
      ['dau:dau-pcgp', 'true'],
      ['dau:dau-sjlife', 'true'],
    ]);
    const notification = await api.getNotificationSettings(accountId, id);
    expect(notification).toMatchObject({
      reminders: { reminderEnabled: 'true', reminderDelay: '2', reminderFrequency: '3' },
      expirations: { expireEnabled: 'true', expireAfter: '10', expireWarn: '3' },
    });
  });

  it('finds the envelope created before the host was killed (recorded, not sent), never another request’s', async () => {
    const since = new Date(clock.now() - 60_000);
    const before = new DocuSignEnvelopeService(connection);
    const other = await before.createDraft(definitionFor('crash-other'));
    const created = await before.createDraft(definitionFor('crash-1'));
    // A new process: its own session, nothing in memory about the envelope.
    const after = new DocuSignEnvelopeService(connection);
    expect(await after.findByIdempotencyKey(agreementIdempotencyKey('crash-1'), since)).toBe(created);
    expect(await after.findByIdempotencyKey(agreementIdempotencyKey('crash-other'), since)).toBe(other);
    expect(await after.findByIdempotencyKey(agreementIdempotencyKey('never-created'), since)).toBeUndefined();
    await after.send(created);
    await after.send(created);
    expect(await sentEvents(created)).toBe(1);
  });

  it('reports completed', async () => {
    const service = new DocuSignEnvelopeService(connection);
    const id = await service.createDraft(oneSigner('completed-1'));
    await service.send(id);
    await actAsRecipient(standIn, caPem, id, 'sign');
    const state = await service.get(id);
    expect(state).toMatchObject({
      status: 'completed',
      signers: [{ recipientId: '1', status: 'completed' }],
    });
    expect(outcomeOfState(state)).toEqual({
      envelopeId: id,
      status: 'completed',
      reason: '',
      expired: false,
      source: 'poll',
    });
  });

  it('reports declined with the signer’s reason and who declined', async () => {
    const service = new DocuSignEnvelopeService(connection);
    const id = await service.createDraft(definitionFor('declined-1'));
    await service.send(id);
    await actAsRecipient(standIn, caPem, id, 'sign');
    await actAsRecipient(standIn, caPem, id, 'decline', 'Our IRB has not approved this use.');
    const state = await service.get(id);
    expect(state).toMatchObject({
      status: 'declined',
      declinedReason: 'Our IRB has not approved this use.',
      declinedBy: 'Pat Investigator',
    });
    expect(state.signers.slice(0, 2)).toMatchObject([
      { recipientId: '1', status: 'completed' },
      { recipientId: '2', status: 'declined' },
    ]);
    expect(outcomeOfState(state)).toMatchObject({
      status: 'declined',
      reason: 'Our IRB has not approved this use.',
      declinedBy: 'Pat Investigator',
    });
  });

  it('reports voided with the reason, and an expired envelope as expired', async () => {
    const service = new DocuSignEnvelopeService(connection);
    const voided = await service.createDraft(definitionFor('voided-1'));
    await service.send(voided);
    await service.void(voided, 'Withdrawn by the requester');
    expect(outcomeOfState(await service.get(voided))).toMatchObject({
      status: 'voided',
      reason: 'Withdrawn by the requester',
      expired: false,
    });

    const expiring = await service.createDraft(definitionFor('expired-1'));
    await service.send(expiring);
    await clock.advance(10 * 24 * 3600_000 + 1);
    const state = await service.get(expiring);
    expect(state).toMatchObject({ status: 'voided', voidedReason: expiredVoidedReason });
    expect(outcomeOfState(state)).toMatchObject({ status: 'voided', expired: true });
  });

  it('void leaves a completed or declined envelope alone, voids one in flight, and twice is once', async () => {
    const service = new DocuSignEnvelopeService(connection);
    const completed = await service.createDraft(oneSigner('void-completed'));
    await service.send(completed);
    await actAsRecipient(standIn, caPem, completed, 'sign');
    await service.void(completed, 'too late');
    expect(await service.get(completed)).toMatchObject({ status: 'completed' });
    expect((await service.get(completed)).voidedReason).toBeUndefined();

    const declined = await service.createDraft(oneSigner('void-declined'));
    await service.send(declined);
    await actAsRecipient(standIn, caPem, declined, 'decline', 'no');
    await service.void(declined, 'too late');
    expect(await service.get(declined)).toMatchObject({ status: 'declined' });

    const inFlight = await service.createDraft(definitionFor('void-open'));
    await service.send(inFlight);
    await Promise.all([service.void(inFlight, 'Withdrawn'), service.void(inFlight, 'Withdrawn')]);
    await service.void(inFlight, 'Withdrawn again');
    expect(await service.get(inFlight)).toMatchObject({ status: 'voided', voidedReason: 'Withdrawn' });
    await standIn.connect.idle();
    expect(
      delivered.filter((each) => each.envelopeId === inFlight && each.event === 'envelope-voided'),
    ).toHaveLength(1);
  });

  it('discards a draft never sent (DocuSign refuses to void one), and then leaves it alone', async () => {
    const service = new DocuSignEnvelopeService(connection);
    const draft = await service.createDraft(definitionFor('void-draft'));
    // What the stand-in answers a void of a draft, as DocuSign does.
    const { api, accountId } = await envelopesApi(standIn);
    await expect(
      api.update(accountId, draft, { envelope: { status: 'voided', voidedReason: 'Withdrawn' } }),
    ).rejects.toMatchObject({
      response: { status: 400, data: { errorCode: 'ENVELOPE_CANNOT_VOID_INVALID_STATE' } },
    });
    await service.void(draft, 'Withdrawn');
    await service.void(draft, 'Withdrawn again');
    expect(await service.get(draft)).toMatchObject({ status: 'deleted' });
    // Nobody was ever asked to sign it, and a deleted draft is never sent.
    expect(standIn.pendingSignatures().filter((each) => each.envelopeId === draft)).toEqual([]);
    await service.send(draft);
    expect(await service.get(draft)).toMatchObject({ status: 'deleted' });
  });

  it('fails with DocuSign’s error code for an envelope that does not exist', async () => {
    const service = new DocuSignEnvelopeService(connection);
    await expect(service.get('6a1f1b8e-0000-4000-8000-000000000000')).rejects.toMatchObject({
      name: 'DocuSignError',
      status: 404,
      errorCode: 'ENVELOPE_DOES_NOT_EXIST',
    });
  });
});
