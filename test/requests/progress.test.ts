/**
 * RequestProgress against the Cosmos stand-in: parallel branches changing one request both land, the status
 * follows the DAUs, and a change retried after a crash records its events once.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { findPersona } from '../../infra/local/personas';
import { CosmosRequestStore } from '../../shared/requests/adapters/cosmos-request-store';
import { CosmosTimelineStore } from '../../shared/requests/adapters/cosmos-timeline-store';
import type { NewEvent } from '../../shared/requests/model';
import { RequestProgress, withDau } from '../../shared/requests/progress';
import {
  awaitStatus,
  completeAnswers,
  startRequestsSystem,
  studySelection,
  type RequestsSystem,
} from './support';

let system: RequestsSystem;
let progress: RequestProgress;
const requester = findPersona('us-requester');

beforeAll(async () => {
  system = await startRequestsSystem();
  progress = new RequestProgress({
    requests: new CosmosRequestStore(system.database),
    timeline: new CosmosTimelineStore(system.database),
    now: () => new Date(),
    log: () => undefined,
  });
});

afterAll(async () => {
  await system?.close();
});

/** A submitted request over two controlled DAUs, once its lifecycle waits for the upload (writes nothing). */
async function submittedRequest(): Promise<string> {
  const created = await system.call('POST', '/api/requests', {
    as: requester.id,
    body: studySelection('PCGP', 'SJLIFE'),
  });
  const filled = await system.call('PATCH', `/api/requests/${created.body.id}`, {
    as: requester.id,
    body: { answers: { ...completeAnswers(), agreementRoute: 'manual' } },
    headers: { 'if-match': created.etag ?? '' },
  });
  const submitted = await system.call('POST', `/api/requests/${created.body.id}/submit`, {
    as: requester.id,
    headers: { 'if-match': filled.etag ?? '' },
  });
  expect(submitted.body.daus).toHaveLength(2);
  await awaitStatus(system, created.body.id, { as: requester.id }, 'awaiting_agreement_upload');
  return created.body.id as string;
}

const event = (requestId: string, dauId: string): NewEvent => ({
  type: 'test.dau-approved',
  actor: { kind: 'system', id: 'test' },
  details: { dauId },
  idempotencyKey: `request:${requestId}:test:${dauId}:approved`,
});

it('lands parallel changes to different DAUs, derives the status, and records each event once', async () => {
  const requestId = await submittedRequest();
  const dauIds = (await progress.read(requestId)).daus.map((dau) => dau.id);
  const approve = (dauId: string) =>
    progress.apply(
      requestId,
      (request) =>
        withDau(request, dauId, (dau) =>
          dau.status === 'approved' ? dau : { ...dau, status: 'approved', review: { status: 'approved' } },
        ),
      [event(requestId, dauId)],
    );
  await Promise.all([...dauIds.map(approve), ...dauIds.map(approve)]);

  const after = await progress.read(requestId);
  expect(after.daus.map((dau) => dau.status)).toEqual(['approved', 'approved']);
  expect(after.status).toBe('approved');
  const timeline = await system.call('GET', `/api/requests/${requestId}/events`, { as: requester.id });
  const approvals = timeline.body.events.filter(
    (item: { type: string }) => item.type === 'test.dau-approved',
  );
  expect(approvals.map((item: { details: { dauId: string } }) => item.details.dauId).sort()).toEqual(
    [...dauIds].sort(),
  );
  expect(timeline.body.verified).toBe(true);

  // A retry that finds its work done changes nothing and records nothing twice.
  const revision = after.revision;
  await approve(dauIds[0]!);
  expect((await progress.read(requestId)).revision).toBe(revision);
  const again = await system.call('GET', `/api/requests/${requestId}/events`, { as: requester.id });
  expect(again.body.events).toHaveLength(timeline.body.events.length);
});

it('answers a clear error for a request or DAU that does not exist', async () => {
  await expect(progress.read('00000000-0000-4000-8000-000000000000')).rejects.toThrow(/No request/);
  const requestId = await submittedRequest();
  await expect(
    progress.apply(requestId, (request) => withDau(request, 'NO_SUCH_DAU', (dau) => dau)),
  ).rejects.toThrow(/has no DAU NO_SUCH_DAU/);
});
