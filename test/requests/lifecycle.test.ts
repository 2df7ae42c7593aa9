/**
 * Submit (re-resolve, freeze the selection as a gzip manifest with its SHA-256, once), the hash-chained
 * timeline (append, idempotency, concurrency, tamper evidence), and the dashboard (paging, status filter, next
 * action), through the local host against the stand-ins.
 */
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subjectFor } from '../../infra/local/standins/dev-issuer';
import { CosmosGrantStore } from '../../shared/grants/adapters/cosmos-grant-store';
import { requestTimeline } from '../../shared/notifications/adapters/request-timeline';
import { REQUEST_STATUSES, type RequestDocument } from '../../shared/requests/model';
import { CosmosTimelineStore } from '../../shared/requests/adapters/cosmos-timeline-store';
import { nextAction } from '../../shared/requests/next-action';
import { wizardReport } from '../../shared/requests/wizard';
import { cosmosContainers, dataBlobContainers } from '../../shared/platform/storage-layout';
import {
  awaitStatus,
  completeAnswers,
  startRequestsSystem,
  studySelection,
  type Reply,
  type RequestsSystem,
} from './support';

let system: RequestsSystem;

beforeAll(async () => {
  system = await startRequestsSystem();
});

afterAll(async () => {
  await system?.close();
});

async function completeDraft(
  who: { as?: string; token?: string } = { as: 'us-requester' },
  selection = studySelection('PCGP', 'PanALL'),
) {
  const created = await system.call('POST', '/api/requests', { ...who, body: selection });
  expect(created.status).toBe(201);
  const filled = await system.call('PATCH', `/api/requests/${created.body.id}`, {
    ...who,
    body: { answers: completeAnswers() },
    headers: { 'if-match': created.etag! },
  });
  expect(filled.status).toBe(200);
  return filled;
}

const submit = (
  id: string,
  etag: string | null,
  who: { as?: string; token?: string } = { as: 'us-requester' },
) =>
  system.call('POST', `/api/requests/${id}/submit`, {
    ...who,
    headers: etag === null ? {} : { 'if-match': etag },
  });

/** The timeline once the submitted mail (sent asynchronously after submit) is on it. */
async function settledTimeline(id: string): Promise<Reply['body']> {
  let body: Reply['body'];
  await expect
    .poll(async () => {
      body = (await system.call('GET', `/api/requests/${id}/events`, { as: 'us-requester' })).body;
      return body.events.map((event: { type: string }) => event.type);
    })
    .toContain('notification.sent');
  return body;
}

async function manifestOf(blobName: string): Promise<Buffer> {
  return system.blobs
    .getContainerClient(dataBlobContainers.selections)
    .getBlobClient(blobName)
    .downloadToBuffer();
}

async function blobsOf(requestId: string): Promise<string[]> {
  const names: string[] = [];
  const container = system.blobs.getContainerClient(dataBlobContainers.selections);
  for await (const blob of container.listBlobsFlat({ prefix: `${requestId}/` })) names.push(blob.name);
  return names;
}

describe('POST /api/requests/{id}/submit', () => {
  let draft: Reply;
  let submitted: Reply;

  beforeAll(async () => {
    draft = await completeDraft();
  });

  it('needs If-Match: 428 without it, 412 with a stale one', async () => {
    expect((await submit(draft.body.id, null)).status).toBe(428);
    const stale = await submit(draft.body.id, '"not-the-version"');
    expect(stale.status).toBe(412);
    expect(stale.body.current.status).toBe('draft');
  });

  it('freezes the resolved file ids as a gzip manifest with its SHA-256 and moves the request to submitted', async () => {
    submitted = await submit(draft.body.id, draft.etag);
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(200);
    const request = submitted.body;
    expect(request).toMatchObject({
      status: 'submitted',
      agreementRoute: 'electronic',
      viewer: { as: 'owner', readOnly: true },
      nextAction: { code: 'wait-for-processing' },
    });
    expect(request.submittedAt).toEqual(expect.any(String));
    expect(request.daus.map((dau: { id: string; status: string }) => [dau.id, dau.status])).toEqual([
      ['PCGP', 'awaiting_agreement'],
      ['PanALL', 'submitted'],
    ]);
    expect(
      request.signatories.map((signatory: { role: string; email: string }) => [
        signatory.role,
        signatory.email,
      ]),
    ).toEqual([
      ['requester', 'maya.chen@example.edu'],
      ['principal_investigator', 'grace.hopper@example.edu'],
      ['additional_applicant', 'alan.turing@example.edu'],
      ['institutional_authority', 'grants@example.edu'],
    ]);
    const frozen = request.selection.frozen;
    const bytes = await manifestOf(frozen.blobName);
    expect(frozen.blobName.startsWith(`${request.id}/`)).toBe(true);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(frozen.sha256);
    expect(bytes.length).toBe(frozen.compressedBytes);
    const ids = gunzipSync(bytes).toString('utf8').trimEnd().split('\n');
    const expected = system.catalog
      .filter((file) => file.datasets.some((code) => code === 'PCGP' || code === 'PanALL'))
      .map((file) => file.id);
    expect(ids.length).toBe(frozen.files);
    expect(frozen.files).toBe(request.selection.counts.files);
    expect([...ids].sort()).toEqual([...expected].sort());
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('changes nothing when submitted again (same or old ETag), and only the owner could have', async () => {
    for (const etag of [submitted.etag, draft.etag]) {
      const again = await submit(draft.body.id, etag);
      expect(again.status).toBe(200);
      expect(again.etag).toBe(submitted.etag);
      expect(again.body.selection.frozen).toEqual(submitted.body.selection.frozen);
    }
    expect(await blobsOf(draft.body.id)).toEqual([submitted.body.selection.frozen.blobName]);
    const events = await settledTimeline(draft.body.id);
    const types: string[] = events.events.map((event: { type: string }) => event.type);
    expect(types.slice(0, 3)).toEqual(['request.created', 'request.updated', 'request.submitted']);
    expect(types.filter((type) => type === 'request.submitted')).toHaveLength(1);
  });

  it('keeps a submitted request unchangeable: PATCH and DELETE answer 409', async () => {
    const patch = await system.call('PATCH', `/api/requests/${draft.body.id}`, {
      as: 'us-requester',
      body: { answers: { contemplatedUse: null } },
      headers: { 'if-match': submitted.etag! },
    });
    expect(patch.status).toBe(409);
    expect(patch.body.type).toBe('https://datarequests.dev/problems/request-not-draft');
    const remove = await system.call('DELETE', `/api/requests/${draft.body.id}`, {
      as: 'us-requester',
      headers: { 'if-match': submitted.etag! },
    });
    expect(remove.status).toBe(409);
  });

  it('submits once when two submits race', async () => {
    const racing = await completeDraft();
    const [first, second] = await Promise.all([
      submit(racing.body.id, racing.etag),
      submit(racing.body.id, racing.etag),
    ]);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(first.etag).toBe(second.etag);
    expect(first.body.selection.frozen).toEqual(second.body.selection.frozen);
    const events = await system.call('GET', `/api/requests/${racing.body.id}/events`, { as: 'us-requester' });
    expect(
      events.body.events.filter((event: { type: string }) => event.type === 'request.submitted'),
    ).toHaveLength(1);
    expect(await blobsOf(racing.body.id)).toContain(first.body.selection.frozen.blobName);
  });

  it('re-resolves at submit: a DAU granted since the draft was made needs no agreement any more', async () => {
    const email = 'late-grant@example.org';
    const token = await system.token(email);
    await system.call('PUT', '/api/me', {
      token,
      body: {
        name: 'Lee Grant',
        institution: { name: 'Example State University' },
        country: 'US',
        organisationType: 'academic',
      },
    });
    const draftNow = await completeDraft({ token }, studySelection('PCGP'));
    expect(draftNow.body.daus[0]).toMatchObject({ id: 'PCGP', agreementRequired: true });
    const now = Date.now();
    await new CosmosGrantStore(system.database).put({
      id: 'other-request:PCGP',
      userId: subjectFor(email),
      docType: 'grant',
      dauId: 'PCGP',
      requestId: 'other-request',
      grantedAt: new Date(now).toISOString(),
      expiresAt: new Date(now + 86_400_000).toISOString(),
      downloadAllowed: false,
      status: 'active',
      updatedAt: new Date(now).toISOString(),
    });
    const done = await submit(draftNow.body.id, draftNow.etag, { token });
    expect(done.status).toBe(200);
    expect(done.body.daus[0]).toMatchObject({
      id: 'PCGP',
      held: true,
      agreementRequired: false,
      status: 'submitted',
    });
    expect(done.body.agreementRoute).toBe('none');
  });
});

describe('the timeline', () => {
  it('chains every event to its predecessor and detects an altered or removed event', async () => {
    const draft = await completeDraft();
    const done = await submit(draft.body.id, draft.etag);
    const body = await settledTimeline(done.body.id);
    expect(body.verified).toBe(true);
    expect(body.brokenAt).toBeNull();
    expect(body.events.map((event: { seq: number }) => event.seq)).toEqual([1, 2, 3, 4]);
    expect(body.events[0].previousHash).toBe('0'.repeat(64));
    expect(body.events[1].previousHash).toBe(body.events[0].hash);
    expect(body.events[2]).toMatchObject({
      type: 'request.submitted',
      actor: { kind: 'requester', id: subjectFor('maya.chen@example.edu'), email: 'maya.chen@example.edu' },
      details: { files: done.body.selection.frozen.files, sha256: done.body.selection.frozen.sha256 },
    });
    expect(body.events[1].details.changed).toEqual(
      expect.arrayContaining(['answers.contemplatedUse', 'answers.destination.projectName']),
    );

    const events = system.database.container(cosmosContainers.requestEvents.id);
    const item = events.item('event-0000000002', done.body.id);
    const { resource } = await item.read<Record<string, unknown>>();
    await item.replace({ ...resource!, details: { changed: ['nothing to see'] } });
    const altered = await system.call('GET', `/api/requests/${done.body.id}/events`, { as: 'us-requester' });
    expect(altered.body).toMatchObject({ verified: false, brokenAt: 2 });
    await item.replace(resource!);
    expect(
      (await system.call('GET', `/api/requests/${done.body.id}/events`, { as: 'us-requester' })).body
        .verified,
    ).toBe(true);
    await item.delete();
    const removed = await system.call('GET', `/api/requests/${done.body.id}/events`, { as: 'us-requester' });
    expect(removed.body).toMatchObject({ verified: false, brokenAt: 2 });
  });

  it('appends once per idempotency key and keeps one chain under concurrent appends', async () => {
    const store = new CosmosTimelineStore(system.database);
    const requestId = 'timeline-concurrency';
    const actor = { kind: 'system' as const, id: 'test', email: null };
    const appended = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        store.append(requestId, {
          type: 'test.appended',
          actor,
          details: { index },
          idempotencyKey: `key-${index % 10}`,
        }),
      ),
    );
    const events = await store.read(requestId);
    expect(events.map((event) => event.seq)).toEqual(Array.from({ length: 10 }, (_, index) => index + 1));
    expect(new Set(events.map((event) => event.idempotencyKey)).size).toBe(10);
    // The same key answers the event recorded first.
    for (const event of appended)
      expect(events.find((known) => known.idempotencyKey === event.idempotencyKey)).toEqual(event);
    // Notifications record on the same timeline, once per key.
    const notifications = requestTimeline(store);
    const entry = {
      type: 'notification.sent' as const,
      idempotencyKey: 'mail-1',
      at: new Date().toISOString(),
      details: { to: 'x' },
    };
    await notifications.record(requestId, entry);
    await notifications.record(requestId, entry);
    const after = await store.read(requestId);
    expect(after).toHaveLength(11);
    expect(after.at(-1)).toMatchObject({
      type: 'notification.sent',
      actor: { kind: 'system', id: 'notifications' },
    });
  });
});

describe('GET /api/requests (the dashboard)', () => {
  const email = 'dashboard@example.org';
  let token: string;
  const created: string[] = [];

  beforeAll(async () => {
    token = await system.token(email);
    await system.call('PUT', '/api/me', {
      token,
      body: {
        name: 'Dee Board',
        institution: { name: 'Example State University' },
        country: 'US',
        organisationType: 'academic',
      },
    });
    for (let index = 0; index < 7; index += 1) {
      const draft =
        index < 2
          ? await completeDraft({ token })
          : await system.call('POST', '/api/requests', { token, body: studySelection('PCGP') });
      created.push(draft.body.id);
      if (index < 2) expect((await submit(draft.body.id, draft.etag, { token })).status).toBe(200);
    }
  });

  async function allPages(query: string): Promise<{ pages: Reply[]; ids: string[] }> {
    const pages: Reply[] = [];
    let continuation: string | null = null;
    do {
      const reply: Reply = await system.call(
        'GET',
        `/api/requests?${query}${continuation === null ? '' : `&continuation=${encodeURIComponent(continuation)}`}`,
        { token },
      );
      expect(reply.status, JSON.stringify(reply.body)).toBe(200);
      pages.push(reply);
      continuation = reply.body.continuation;
    } while (continuation !== null);
    return { pages, ids: pages.flatMap((page) => page.body.items.map((item: { id: string }) => item.id)) };
  }

  it('pages newest first across three pages with continuation tokens', async () => {
    const { pages, ids } = await allPages('pageSize=3');
    expect(pages.map((page) => page.body.items.length)).toEqual([3, 3, 1]);
    expect([...ids].sort()).toEqual([...created].sort());
    const createdAt = pages.flatMap((page) =>
      page.body.items.map((item: { createdAt: string }) => item.createdAt),
    );
    expect(createdAt).toEqual([...createdAt].sort().reverse());
    const item = pages[0]!.body.items[0];
    expect(item).toMatchObject({
      status: 'draft',
      projectName: null,
      counts: { files: expect.any(Number) },
      daus: [{ id: 'PCGP', access: 'controlled', status: 'draft', agreementRequired: true }],
      wizard: { complete: false },
      nextAction: { code: 'complete-steps', label: expect.stringMatching(/^Complete \d steps?$/) },
    });
  });

  it('filters by status, and shows each request’s per-DAU state and next action', async () => {
    for (const id of [created[0]!, created[1]!])
      await awaitStatus(system, id, { token }, 'awaiting_signatures');
    const waiting = await allPages('status=awaiting_signatures&pageSize=1');
    expect([...waiting.ids].sort()).toEqual([created[0], created[1]].sort());
    const item = waiting.pages[0]!.body.items[0];
    expect(item).toMatchObject({
      status: 'awaiting_signatures',
      projectName: 'Osteosarcoma relapse study',
      nextAction: { code: 'sign-agreement', actor: 'signatories' },
      daus: [
        { id: 'PCGP', status: 'awaiting_agreement' },
        { id: 'PanALL', access: 'open' },
      ],
    });
    expect((await allPages('status=draft&pageSize=2')).ids.sort()).toEqual(created.slice(2).sort());
    expect((await allPages('status=draft,awaiting_signatures&pageSize=5')).ids.sort()).toEqual(
      [...created].sort(),
    );
    expect((await allPages('status=active')).ids).toEqual([]);
  });

  it('refuses a continuation of another filter, an altered one, and bad parameters', async () => {
    const first = await system.call('GET', '/api/requests?pageSize=2', { token });
    const continuation = encodeURIComponent(first.body.continuation);
    const otherFilter = await system.call(
      'GET',
      `/api/requests?pageSize=2&status=draft&continuation=${continuation}`,
      { token },
    );
    expect(otherFilter.status).toBe(400);
    expect(otherFilter.body.errors[0]).toMatchObject({ in: 'query', name: 'continuation' });
    const otherUser = await system.call('GET', `/api/requests?pageSize=2&continuation=${continuation}`, {
      as: 'us-requester',
    });
    expect(otherUser.status).toBe(400);
    const altered = await system.call(
      'GET',
      `/api/requests?pageSize=2&continuation=${continuation.slice(0, -4)}abcd`,
      { token },
    );
    expect(altered.status).toBe(400);
    const badStatus = await system.call('GET', '/api/requests?status=pending', { token });
    expect(badStatus.status).toBe(400);
    expect(badStatus.body.errors[0]).toMatchObject({ name: 'status', allowed: [...REQUEST_STATUSES] });
    for (const size of ['0', '101', 'ten']) {
      expect((await system.call('GET', `/api/requests?pageSize=${size}`, { token })).status).toBe(400);
    }
    expect((await system.call('GET', '/api/requests?sort=asc', { token })).body.errors[0]).toMatchObject({
      name: 'sort',
      message: 'is not allowed',
    });
  });

  it('lists only the caller’s requests', async () => {
    const { ids } = await allPages('pageSize=100&status=draft,submitted');
    const others = await system.call('GET', '/api/requests?pageSize=100', { as: 'non-us-requester' });
    expect(
      others.body.items.map((item: { id: string }) => item.id).filter((id: string) => ids.includes(id)),
    ).toEqual([]);
  });

  it('names the next action for every status', () => {
    const base = { answers: {}, daus: [] } as unknown as RequestDocument;
    const wizard = wizardReport({}, { agreementNeeded: false });
    const codes = Object.fromEntries(
      REQUEST_STATUSES.map((status) => [
        status,
        nextAction({ ...base, status }, wizard, [], 'owner')?.code ?? null,
      ]),
    );
    expect(codes).toEqual({
      draft: 'complete-steps',
      submitted: 'wait-for-processing',
      awaiting_signatures: 'sign-agreement',
      awaiting_agreement_upload: 'upload-agreement',
      in_review: 'wait-for-committee',
      returned: 'upload-revised-agreement',
      approved: 'wait-for-data',
      partially_approved: 'wait-for-data',
      rejected: null,
      provisioning: 'wait-for-data',
      active: 'use-data',
      expiring: 'request-extension',
      expired: null,
      withdrawn: null,
      signature_declined: 'copy-request',
      agreement_voided: 'copy-request',
      revoked: null,
    });
    expect(nextAction({ ...base, status: 'in_review' }, wizard, [], 'committee')?.code).toBe('review');
  });
});
