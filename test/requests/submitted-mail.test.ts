/** Submitting sends the requester the "request submitted" mail, once however often they submit. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { findPersona } from '../../infra/local/personas';
import { completeAnswers, startRequestsSystem, studySelection, type RequestsSystem } from './support';

let system: RequestsSystem;

beforeAll(async () => {
  system = await startRequestsSystem();
});

afterAll(async () => {
  await system?.close();
});

it('mails the requester once, with the project name, and puts it on the timeline', async () => {
  const requester = findPersona('us-requester');
  const created = await system.call('POST', '/api/requests', {
    as: requester.id,
    body: studySelection('PCGP'),
  });
  const id = (created.body as { id: string }).id;
  const filled = await system.call('PATCH', `/api/requests/${id}`, {
    as: requester.id,
    body: { answers: completeAnswers() },
    headers: { 'if-match': created.etag ?? '' },
  });
  const submitted = await system.call('POST', `/api/requests/${id}/submit`, {
    as: requester.id,
    headers: { 'if-match': filled.etag ?? '' },
  });
  expect(submitted.status).toBe(200);
  const mailsToRequester = () =>
    system.environment.standIns.acsEmail.outbox
      .list()
      .filter((mail) => mail.to.some((to) => to.address === requester.email));
  await expect.poll(() => mailsToRequester().length, { timeout: 15_000 }).toBe(1);
  expect(mailsToRequester()[0]?.subject).toContain('Osteosarcoma relapse study');

  // Submitting again changes nothing and sends nothing.
  const again = await system.call('POST', `/api/requests/${id}/submit`, {
    as: requester.id,
    headers: { 'if-match': submitted.etag ?? '' },
  });
  expect(again.status).toBe(200);
  await expect
    .poll(async () => {
      const events = await system.call('GET', `/api/requests/${id}/events`, { as: requester.id });
      return (events.body as { events: { type: string }[] }).events.map((event) => event.type);
    })
    .toContain('notification.sent');
  expect(mailsToRequester()).toHaveLength(1);
});
