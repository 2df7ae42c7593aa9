/**
 * Drafts through the local host: create from a catalog selection, read, autosave with JSON merge patch under
 * If-Match (428, 412 with the current representation, 50 parallel autosaves), delete, copy, and bad input
 * (malformed and foreign ids, oversized bodies, unknown fields).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { personaSubject } from '../../infra/local/personas';
import {
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

async function createDraft(
  as = 'us-requester',
  selection: unknown = studySelection('PCGP', 'PanALL'),
): Promise<Reply> {
  const reply = await system.call('POST', '/api/requests', { as, body: selection });
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  return reply;
}

const patch = (id: string, body: unknown, etag: string | null, as = 'us-requester') =>
  system.call('PATCH', `/api/requests/${id}`, {
    as,
    body,
    headers: {
      'content-type': 'application/merge-patch+json',
      ...(etag === null ? {} : { 'if-match': etag }),
    },
  });

describe('POST /api/requests', () => {
  it('creates a draft from study rows: resolved DAUs and counts, defaults, the profile institution', async () => {
    const reply = await createDraft();
    const draft = reply.body;
    expect(reply.headers.get('location')).toBe(`/api/requests/${draft.id}`);
    expect(reply.etag).toMatch(/^"[^"]+"$/);
    expect(draft).toMatchObject({
      status: 'draft',
      revision: 1,
      owner: { subjectId: personaSubject('us-requester'), email: 'maya.chen@example.edu' },
      copiedFrom: null,
      viewer: { as: 'owner', readOnly: false },
      answers: {
        destination: { kind: 'new', folderName: `Data Requested (${draft.createdAt.slice(0, 10)})` },
        institution: { name: 'Example State University', country: 'US', organisationType: 'academic' },
      },
      nextAction: { code: 'complete-steps' },
    });
    const expectedFiles = system.catalog.filter((file) =>
      file.datasets.some((code) => ['PCGP', 'PanALL'].includes(code)),
    );
    expect(draft.selection.counts.files).toBe(expectedFiles.length);
    expect(draft.selection.frozen).toBeNull();
    const byId = Object.fromEntries(draft.daus.map((dau: { id: string }) => [dau.id, dau]));
    expect(byId.PCGP).toMatchObject({
      access: 'controlled',
      held: false,
      agreementRequired: true,
      status: 'draft',
      embargoDate: '2018-07-23',
    });
    expect(byId.PanALL).toMatchObject({ access: 'open', agreementRequired: false });
    expect(draft.wizard.complete).toBe(false);
    expect(draft.wizard.missing.map((issue: { field: string }) => issue.field)).toEqual(
      expect.arrayContaining([
        'destination.projectName',
        'principalInvestigator',
        'institutionalAuthority',
        'contemplatedUse',
        'download',
        'agreementRoute',
      ]),
    );
  });

  it('creates a draft from sample names (a PeCan link), reporting names that matched nothing', async () => {
    const names = [...new Set(system.catalog.map((file) => file.sampleName))].slice(0, 3);
    const reply = await createDraft('us-requester', { sampleNames: [...names, 'SJNOSUCH_X1'] });
    expect(reply.body.selection.unknownSampleNames).toEqual(['SJNOSUCH_X1']);
    expect(reply.body.selection.counts.samples).toBe(3);
    expect(reply.body.rules).toContainEqual(
      expect.objectContaining({ type: 'https://datarequests.dev/problems/unknown-names', blocking: false }),
    );
  });

  it('refuses a bad selection and unknown fields, naming each', async () => {
    const both = await system.call('POST', '/api/requests', {
      as: 'us-requester',
      body: { tab: 'study', rowIds: ['PCGP'], sampleNames: ['SJOS000001_D1'], colour: 'blue' },
    });
    expect(both.status).toBe(400);
    expect(both.body.errors).toEqual(
      expect.arrayContaining([{ in: 'body', name: 'colour', message: 'is not allowed' }]),
    );
    const noTab = await system.call('POST', '/api/requests', {
      as: 'us-requester',
      body: { rowIds: ['PCGP'] },
    });
    expect(noTab.body.errors).toContainEqual({ in: 'body', name: 'tab', message: 'is required with rowIds' });
  });
});

describe('GET /api/requests/{id}', () => {
  it('answers the draft with its ETag, and 304 to If-None-Match', async () => {
    const { body, etag } = await createDraft();
    const read = await system.call('GET', `/api/requests/${body.id}`, { as: 'us-requester' });
    expect(read.status).toBe(200);
    expect(read.etag).toBe(etag);
    expect(read.body.id).toBe(body.id);
    const again = await system.call('GET', `/api/requests/${body.id}`, {
      as: 'us-requester',
      headers: { 'if-none-match': etag! },
    });
    expect(again.status).toBe(304);
  });

  it('answers 404 for another user’s request exactly as for a missing one, and 400 for a malformed id', async () => {
    const { body } = await createDraft('us-requester');
    const foreign = await system.call('GET', `/api/requests/${body.id}`, { as: 'non-us-requester' });
    const missing = await system.call('GET', `/api/requests/${randomUUID()}`, { as: 'non-us-requester' });
    expect(foreign.status).toBe(404);
    expect(missing.status).toBe(404);
    const strip = ({ type, title, detail, status }: Record<string, unknown>) => ({
      type,
      title,
      detail,
      status,
    });
    expect(strip(foreign.body)).toEqual(strip(missing.body));
    for (const [method, path] of [
      ['GET', '/api/requests/not-a-uuid'],
      ['PATCH', '/api/requests/1234'],
      ['DELETE', '/api/requests/x'],
      ['POST', '/api/requests/abc/copy'],
      ['POST', '/api/requests/abc/submit'],
      ['GET', '/api/requests/abc/events'],
    ] as const) {
      const reply = await system.call(method, path, {
        as: 'us-requester',
        ...(method === 'PATCH' ? { body: {} } : {}),
      });
      expect(reply.status, `${method} ${path}`).toBe(400);
      expect(reply.body.errors).toContainEqual({
        in: 'params',
        name: 'id',
        message: 'must be a request id (a UUID)',
      });
    }
  });
});

describe('PATCH /api/requests/{id} (autosave)', () => {
  it('merges the patch (RFC 7396): members replace, null removes, arrays replace whole', async () => {
    const created = await createDraft();
    const first = await patch(
      created.body.id,
      {
        answers: {
          destination: { projectName: 'Relapse genomes' },
          additionalApplicants: [{ name: 'A B', email: 'a@example.org', title: 'T' }, { name: 'C D' }],
        },
      },
      created.etag,
    );
    expect(first.status).toBe(200);
    expect(first.body.revision).toBe(2);
    expect(first.body.answers.destination).toEqual({
      kind: 'new',
      projectName: 'Relapse genomes',
      folderName: created.body.answers.destination.folderName,
    });
    const second = await patch(
      created.body.id,
      { answers: { destination: { kind: null, folderName: null }, additionalApplicants: [{ name: 'E F' }] } },
      first.etag,
    );
    expect(second.status).toBe(200);
    // The folder name falls back to its default; kind is gone; the array was replaced whole.
    expect(second.body.answers.destination).toEqual({
      projectName: 'Relapse genomes',
      folderName: created.body.answers.destination.folderName,
    });
    expect(second.body.answers.additionalApplicants).toEqual([{ name: 'E F' }]);
    expect(second.body.wizard.missing).toContainEqual(
      expect.objectContaining({ field: 'destination.kind', message: 'is required' }),
    );
    // Saving what is there already writes nothing.
    const same = await patch(
      created.body.id,
      { answers: { destination: { projectName: 'Relapse genomes' } } },
      second.etag,
    );
    expect(same.status).toBe(200);
    expect(same.etag).toBe(second.etag);
    expect(same.body.revision).toBe(3);
  });

  it('re-resolves a changed selection (rows to sample names), refusing an invalid merged selection', async () => {
    const created = await createDraft('us-requester', studySelection('PCGP'));
    const names = [
      ...new Set(system.catalog.filter((file) => file.dau === 'PanALL').map((file) => file.sampleName)),
    ].slice(0, 2);
    const invalid = await patch(created.body.id, { selection: { sampleNames: names } }, created.etag);
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors).toContainEqual(
      expect.objectContaining({
        name: 'selection.rowIds',
        message: 'give either rowIds (with tab) or sampleNames',
      }),
    );
    const changed = await patch(
      created.body.id,
      { selection: { tab: null, rowIds: null, sampleNames: names } },
      created.etag,
    );
    expect(changed.status).toBe(200);
    expect(changed.body.selection.query).toEqual({
      sampleNames: names,
      filters: { sequencingType: [], sampleType: [], fileType: [], tissueType: [] },
    });
    expect(changed.body.daus.map((dau: { id: string }) => dau.id)).toEqual(['PanALL']);
    const filtered = await patch(
      changed.body.id,
      { selection: { filters: { fileType: ['Feature Counts'] } } },
      changed.etag,
    );
    expect(filtered.body.selection.query.filters.fileType).toEqual(['Feature Counts']);
    expect(filtered.body.selection.counts.files).toBeLessThanOrEqual(changed.body.selection.counts.files);
  });

  it('refuses unknown fields at any depth, naming them', async () => {
    const created = await createDraft();
    const reply = await patch(
      created.body.id,
      {
        answers: { destination: { colour: 'red' }, principalInvestigator: { phone: '555' } },
        owner: 'me',
        selection: { sort: 'x' },
      },
      created.etag,
    );
    expect(reply.status).toBe(400);
    expect(reply.body.errors).toEqual(
      expect.arrayContaining([
        { in: 'body', name: 'owner', message: 'is not allowed' },
        { in: 'body', name: 'answers.destination.colour', message: 'is not allowed' },
        { in: 'body', name: 'answers.principalInvestigator.phone', message: 'is not allowed' },
        { in: 'body', name: 'selection.sort', message: 'is not allowed' },
      ]),
    );
  });

  it('answers 428 without If-Match and 412 when stale, both with the current request and its ETag', async () => {
    const created = await createDraft();
    const missing = await patch(created.body.id, { answers: { contemplatedUse: 'x' } }, null);
    expect(missing.status).toBe(428);
    expect(missing.body.type).toBe('https://datarequests.dev/problems/precondition-required');
    expect(missing.etag).toBe(created.etag);
    expect(missing.body.current.id).toBe(created.body.id);
    const changed = await patch(created.body.id, { answers: { contemplatedUse: 'first' } }, created.etag);
    const stale = await patch(created.body.id, { answers: { contemplatedUse: 'second' } }, created.etag);
    expect(stale.status).toBe(412);
    expect(stale.etag).toBe(changed.etag);
    expect(stale.body.current.answers.contemplatedUse).toBe('first');
    expect(stale.body.current.revision).toBe(2);
  });

  it('takes one of 50 parallel autosaves of the same version and answers the other 49 with 412 and the winner', async () => {
    const created = await createDraft();
    const replies = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        patch(created.body.id, { answers: { contemplatedUse: `autosave ${index}` } }, created.etag),
      ),
    );
    const winners = replies.filter((reply) => reply.status === 200);
    const losers = replies.filter((reply) => reply.status === 412);
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(49);
    const stored = await system.call('GET', `/api/requests/${created.body.id}`, { as: 'us-requester' });
    expect(stored.body.answers.contemplatedUse).toBe(winners[0]!.body.answers.contemplatedUse);
    expect(stored.etag).toBe(winners[0]!.etag);
    expect(stored.body.revision).toBe(2);
    for (const loser of losers) {
      expect(loser.etag).toBe(winners[0]!.etag);
      expect(loser.body.current.answers.contemplatedUse).toBe(winners[0]!.body.answers.contemplatedUse);
    }
    const events = await system.call('GET', `/api/requests/${created.body.id}/events`, {
      as: 'us-requester',
    });
    expect(events.body.events.map((event: { type: string }) => event.type)).toEqual([
      'request.created',
      'request.updated',
    ]);
  });

  it('loses no update when parallel autosaves merge onto the 412’s current version and retry', async () => {
    const created = await createDraft();
    const writers = 12;
    await Promise.all(
      Array.from({ length: writers }, async (_, index) => {
        let etag = created.etag;
        let applicants: unknown[] = created.body.answers.additionalApplicants ?? [];
        for (let attempt = 0; attempt < writers + 2; attempt += 1) {
          const me = {
            name: `Writer ${String.fromCharCode(65 + index)}`,
            email: `writer-${index}@example.org`,
            title: 'Analyst',
          };
          const reply = await patch(
            created.body.id,
            { answers: { additionalApplicants: [...applicants, me] } },
            etag,
          );
          if (reply.status === 200) return;
          expect(reply.status).toBe(412);
          etag = reply.etag;
          applicants = reply.body.current.answers.additionalApplicants ?? [];
        }
        throw new Error(`writer ${index} never got its change in`);
      }),
    );
    const stored = await system.call('GET', `/api/requests/${created.body.id}`, { as: 'us-requester' });
    expect(
      stored.body.answers.additionalApplicants.map((applicant: { email: string }) => applicant.email).sort(),
    ).toEqual(Array.from({ length: writers }, (_, index) => `writer-${index}@example.org`).sort());
    expect(stored.body.revision).toBe(writers + 1);
    const events = await system.call('GET', `/api/requests/${created.body.id}/events`, {
      as: 'us-requester',
    });
    expect(events.body.events).toHaveLength(writers + 1);
    expect(events.body.verified).toBe(true);
  });

  it('refuses bodies over 2 MiB with 413', async () => {
    const created = await createDraft();
    const huge = JSON.stringify({ answers: { contemplatedUse: 'x'.repeat(3 * 1024 * 1024) } });
    const reply = await system.call('PATCH', `/api/requests/${created.body.id}`, {
      as: 'us-requester',
      rawBody: huge,
      headers: { 'if-match': created.etag! },
    });
    expect(reply.status).toBe(413);
    const post = await system.call('POST', '/api/requests', {
      as: 'us-requester',
      rawBody: JSON.stringify({
        sampleNames: Array.from({ length: 200_000 }, (_, index) => `SJX${index}_D1`),
      }),
    });
    expect(post.status).toBe(413);
  });
});

describe('DELETE /api/requests/{id}', () => {
  it('deletes a draft under If-Match; afterwards every route answers 404', async () => {
    const created = await createDraft();
    const id = created.body.id;
    expect((await system.call('DELETE', `/api/requests/${id}`, { as: 'us-requester' })).status).toBe(428);
    const deleted = await system.call('DELETE', `/api/requests/${id}`, {
      as: 'us-requester',
      headers: { 'if-match': created.etag! },
    });
    expect(deleted.status).toBe(204);
    for (const [method, path] of [
      ['GET', `/api/requests/${id}`],
      ['PATCH', `/api/requests/${id}`],
      ['DELETE', `/api/requests/${id}`],
      ['POST', `/api/requests/${id}/copy`],
      ['POST', `/api/requests/${id}/submit`],
      ['GET', `/api/requests/${id}/events`],
    ] as const) {
      const reply = await system.call(method, path, {
        as: 'us-requester',
        headers: { 'if-match': created.etag! },
        ...(method === 'PATCH' ? { body: {} } : {}),
      });
      expect(reply.status, `${method} ${path}`).toBe(404);
    }
    const list = await system.call('GET', '/api/requests?pageSize=100', { as: 'us-requester' });
    expect(list.body.items.map((item: { id: string }) => item.id)).not.toContain(id);
  });
});

describe('POST /api/requests/{id}/copy', () => {
  it('starts a new draft with the same answers and selection, recorded on both timelines', async () => {
    const created = await createDraft('us-requester', studySelection('PCGP'));
    const filled = await patch(created.body.id, { answers: completeAnswers() }, created.etag);
    expect(filled.status).toBe(200);
    const copy = await system.call('POST', `/api/requests/${created.body.id}/copy`, { as: 'us-requester' });
    expect(copy.status).toBe(201);
    expect(copy.headers.get('location')).toBe(`/api/requests/${copy.body.id}`);
    expect(copy.body.id).not.toBe(created.body.id);
    expect(copy.body).toMatchObject({ status: 'draft', revision: 1, copiedFrom: created.body.id });
    expect(copy.body.answers.principalInvestigator).toEqual(filled.body.answers.principalInvestigator);
    expect(copy.body.answers.destination.projectName).toBe('Osteosarcoma relapse study');
    expect(copy.body.selection.query).toEqual(filled.body.selection.query);
    expect(copy.body.selection.counts).toEqual(filled.body.selection.counts);
    expect(copy.body.wizard.complete).toBe(true);
    const sourceEvents = await system.call('GET', `/api/requests/${created.body.id}/events`, {
      as: 'us-requester',
    });
    expect(sourceEvents.body.events.at(-1)).toMatchObject({
      type: 'request.copied',
      details: { copy: copy.body.id },
    });
    const copyEvents = await system.call('GET', `/api/requests/${copy.body.id}/events`, {
      as: 'us-requester',
    });
    expect(copyEvents.body.events).toEqual([
      expect.objectContaining({
        type: 'request.created',
        details: expect.objectContaining({ copiedFrom: created.body.id }),
      }),
    ]);
  });
});
