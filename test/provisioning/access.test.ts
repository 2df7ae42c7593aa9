/**
 * Access after a vend, on the virtual clock: download links only where the agreement granted download (and
 * they work: the blob downloads), a held controlled DAU that skips agreement and review, the reminder on day
 * 335, the expiry on day 365 that deletes the vended copy and refuses links, an extension that moves the
 * expiry, and a revocation by an admin.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPersona } from '../../infra/local/personas';
import { subjectFor } from '../../infra/local/standins/dev-issuer';
import { grantInstanceId } from '../../shared/lifecycle/provisioning-activities';
import {
  blobNames,
  DAY_MS,
  dauOf,
  grantOf,
  mailsTo,
  requestWhen,
  startProvisioningSystem,
  submitRequest,
  timelineTypes,
  type ProvisioningSystem,
  type SubmittedRequest,
} from './support';

let system: ProvisioningSystem;
const maya = findPersona('us-requester');
const mayaId = subjectFor(maya.email);
let startedAt: number;

const vendedOpen = async (project: string): Promise<SubmittedRequest> => {
  const request = await submitRequest(system, {
    rows: ['PanALL'],
    answers: { destination: { kind: 'new', projectName: project, folderName: 'data' } },
  });
  await requestWhen(system, request.id, (body) => dauOf(body, 'PanALL').status === 'active');
  return request;
};

let open: SubmittedRequest;
let held: SubmittedRequest;
let extended: SubmittedRequest;
let revoked: SubmittedRequest;

beforeAll(async () => {
  system = await startProvisioningSystem();
  startedAt = system.clock.now();
  // Maya already holds PCGP (an earlier request's grant): a new selection in it needs no agreement.
  await system.grants.put({
    id: 'earlier-request:PCGP',
    userId: mayaId,
    docType: 'grant',
    dauId: 'PCGP',
    requestId: 'earlier-request',
    grantedAt: new Date(startedAt).toISOString(),
    expiresAt: new Date(startedAt + 30 * DAY_MS).toISOString(),
    downloadAllowed: false,
    status: 'active',
    updatedAt: new Date(startedAt).toISOString(),
  });
  open = await vendedOpen('Links project');
  held = await submitRequest(system, {
    rows: ['PCGP'],
    answers: {
      destination: { kind: 'new', projectName: 'Held PCGP', folderName: 'data' },
      download: { wanted: false },
    },
  });
  extended = await vendedOpen('Extended project');
  revoked = await vendedOpen('Revoked project');
});

afterAll(async () => {
  await system?.close();
});

const files = (id: string, query = '', as = 'us-requester') =>
  system.call('GET', `/api/requests/${id}/files${query}`, { as });

describe('download links', () => {
  it('are issued for open data and download the blob', async () => {
    const listed = await files(open.id, '?links=true');
    expect(listed.status).toBe(200);
    expect(listed.body.files.length).toBeGreaterThan(0);
    expect(listed.body.daus).toEqual([expect.objectContaining({ id: 'PanALL', downloadAllowed: true })]);
    const expiresIn = Date.parse(listed.body.linksExpireAt) - Date.now();
    expect(expiresIn).toBeLessThanOrEqual(3600_000);
    const file = listed.body.files.find((entry: { index: boolean }) => !entry.index);
    expect(file.bytes).toBeGreaterThan(1000); // the catalog's size, not the synthetic blob's
    const download = await fetch(file.downloadUrl);
    expect(download.status).toBe(200);
    expect(await download.text()).toContain(file.path);
    // Read-only: the same URL cannot overwrite the blob.
    const overwrite = await fetch(file.downloadUrl, {
      method: 'PUT',
      headers: { 'x-ms-blob-type': 'BlockBlob' },
      body: 'x',
    });
    expect(overwrite.status).toBe(403);
  });

  it('are refused for controlled data whose agreement did not grant download; a held DAU skips review', async () => {
    const request = await requestWhen(system, held.id, (body) => dauOf(body, 'PCGP').status === 'active');
    expect(dauOf(request, 'PCGP')).toMatchObject({ held: true, agreementRequired: false });
    expect(request.agreementRoute).toBe('none');
    const types = await timelineTypes(system, held.id);
    expect(types).toContain('vending.dau-vended');
    expect(types.some((type) => type.startsWith('review.') || type.startsWith('agreement.'))).toBe(false);

    const listed = await files(held.id);
    expect(listed.status).toBe(200);
    expect(listed.body.files.length).toBeGreaterThan(0);
    expect(listed.body.files.every((file: { downloadUrl?: string }) => file.downloadUrl === undefined)).toBe(
      true,
    );
    expect(listed.body.linksExpireAt).toBeNull();
    const refused = await files(held.id, '?links=true');
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(refused.body.type).toContain('download-not-allowed');
    expect(await grantOf(system, held.id, 'PCGP', mayaId)).toMatchObject({ downloadAllowed: false });
  });

  it("answer 404 for another user's request and list without links to an admin who asks for none", async () => {
    expect((await files(open.id, '', 'non-us-requester')).status).toBe(404);
    const asAdmin = await files(open.id, '?links=false', 'admin');
    expect(asAdmin.status).toBe(200);
    expect(asAdmin.body.files[0].downloadUrl).toBeUndefined();
  });
});

describe('extension and revocation', () => {
  it('an approved extension moves the expiry by the DAU’s duration', async () => {
    const before = (await grantOf(system, extended.id, 'PanALL', mayaId))!;
    const asked = await system.call('POST', `/api/requests/${extended.id}/extension`, {
      as: 'us-requester',
      body: { reason: 'The analysis needs another year.' },
    });
    expect(asked.status).toBe(202);
    const again = await system.call('POST', `/api/requests/${extended.id}/extension`, {
      as: 'us-requester',
      body: {},
    });
    expect(again.body.extensionId).toBe(asked.body.extensionId);
    const decided = await system.call('POST', `/api/admin/requests/${extended.id}/extension/decision`, {
      as: 'admin',
      body: { decision: 'approved' },
    });
    expect(decided.status).toBe(200);
    await expect
      .poll(async () => (await grantOf(system, extended.id, 'PanALL', mayaId))!.expiresAt, {
        timeout: 20_000,
      })
      .toBe(new Date(Date.parse(before.expiresAt) + 365 * DAY_MS).toISOString());
    const request = await requestWhen(
      system,
      extended.id,
      (body) => dauOf(body, 'PanALL').vending.expiresAt !== before.expiresAt,
    );
    expect(request.status).toBe('active');
    // Deciding again finds nothing waiting.
    const replay = await system.call('POST', `/api/admin/requests/${extended.id}/extension/decision`, {
      as: 'admin',
      body: { decision: 'approved' },
    });
    expect(replay.status).toBe(409);
  });

  it('a revocation removes the vended copy now and tells the requester', async () => {
    const container = dauOf(
      (await system.call('GET', `/api/requests/${revoked.id}`, { as: 'us-requester' })).body,
      'PanALL',
    ).vending.container;
    expect((await blobNames(system, container)).length).toBeGreaterThan(1);
    const done = await system.call('POST', `/api/admin/requests/${revoked.id}/revoke`, {
      as: 'admin',
      body: { reason: 'Data use outside the agreement.' },
    });
    expect(done.status).toBe(202);
    expect(done.body.daus).toEqual(['PanALL']);
    const request = await requestWhen(system, revoked.id, (body) => body.status === 'revoked');
    expect(dauOf(request, 'PanALL').status).toBe('revoked');
    expect(await blobNames(system, container)).toEqual(['data/SAMPLE_INFO.txt']);
    expect(await grantOf(system, revoked.id, 'PanALL', mayaId)).toMatchObject({
      status: 'revoked',
      revocation: { reason: 'Data use outside the agreement.' },
    });
    await expect.poll(() => mailsTo(system, maya.email, 'has been revoked').length).toBe(1);
    expect((await files(revoked.id, '?links=true')).status).toBe(403);
    const replay = await system.call('POST', `/api/admin/requests/${revoked.id}/revoke`, {
      as: 'admin',
      body: { reason: 'again' },
    });
    expect(replay.status).toBe(409);
  });
});

describe('access that ends', () => {
  it('reminds on day 335', async () => {
    await system.clock.advance(335 * DAY_MS + 3600_000);
    // The open and the held request's reminders; the revoked one ended, the extended one expires a year later.
    await expect.poll(() => mailsTo(system, maya.email, 'expires on').length, { timeout: 30_000 }).toBe(2);
    const reminders = mailsTo(system, maya.email, 'expires on').map((mail) => mail.subject);
    expect(reminders.filter((subject) => subject.includes('Links project'))).toHaveLength(1);
    expect(reminders.filter((subject) => subject.includes('Extended project'))).toEqual([]);
    const request = await requestWhen(system, open.id, (body) => body.status === 'expiring');
    expect(dauOf(request, 'PanALL').vending.expiringSoon).toBe(true);
    // The extended grant expires a year later: no reminder for it yet.
    expect(
      (await system.call('GET', `/api/requests/${extended.id}`, { as: 'us-requester' })).body.status,
    ).toBe('active');
  });

  it('on day 365 deletes the vended copy, ends the grant, refuses links and mails the requester', async () => {
    const container = dauOf(
      (await system.call('GET', `/api/requests/${open.id}`, { as: 'us-requester' })).body,
      'PanALL',
    ).vending.container;
    await system.clock.advance(31 * DAY_MS);
    const request = await requestWhen(system, open.id, (body) => body.status === 'expired');
    expect(dauOf(request, 'PanALL')).toMatchObject({ status: 'expired', vending: { status: 'removed' } });
    expect(await blobNames(system, container)).toEqual(['data/SAMPLE_INFO.txt']);
    expect(await grantOf(system, open.id, 'PanALL', mayaId)).toMatchObject({ status: 'expired' });
    await expect
      .poll(() => mailsTo(system, maya.email, 'has expired').length, { timeout: 20_000 })
      .toBeGreaterThanOrEqual(1);
    const refused = await files(open.id, '?links=true');
    expect(refused.status).toBe(403);
    const listed = await files(open.id);
    expect(listed.body.files).toEqual([]);
    expect((await system.durable.status(grantInstanceId(open.id, 'PanALL'))).runtimeStatus).not.toBe(
      'Failed',
    );
    // The extended request is still live.
    expect(
      (await system.call('GET', `/api/requests/${extended.id}`, { as: 'us-requester' })).body.status,
    ).toBe('active');
  });
});

describe('close-out', () => {
  const admin = findPersona('admin').email;

  it('alerts admins 30 days after an end with downloads and no close-out, not after a close-out', async () => {
    // The revoked request allowed downloads and never closed out: its alert went out 30 days after revocation.
    expect(mailsTo(system, admin, 'Close-out overdue').map((mail) => mail.subject)).toEqual([
      expect.stringContaining('Revoked project'),
    ]);
    const closed = await system.call('POST', `/api/requests/${open.id}/closeout`, {
      as: 'us-requester',
      body: { attestation: true },
    });
    expect(closed.status).toBe(200);
    await system.clock.advance(31 * DAY_MS);
    await expect
      .poll(async () => (await system.durable.status(grantInstanceId(open.id, 'PanALL'))).runtimeStatus)
      .toBe('Completed');
    expect(mailsTo(system, admin, 'Close-out overdue')).toHaveLength(1);
    expect(await timelineTypes(system, revoked.id)).toContain('access.closeout-overdue');
    expect(await timelineTypes(system, open.id)).toContain('access.closed-out');
  });
});
