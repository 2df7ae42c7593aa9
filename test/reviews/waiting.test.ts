/**
 * Waiting well, on the virtual clock (decisions due 14 days after a round opens, reminders every 5): the
 * members who have not decided are reminded on days 5 and 10 with a fresh link, the admins are told once
 * when the deadline passes on day 14, and the committee can still decide after it; a withdrawal during the
 * review ends it and every outstanding link stops working.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPersona } from '../../infra/local/personas';
import {
  awaitMails,
  dauOf,
  dayMs,
  decideSignedIn,
  linkFor,
  mailsTo,
  member,
  openLink,
  postForm,
  requester,
  requestInReview,
  requestWhen,
  startReviewSystem,
  timelineTypes,
  type ReviewSystem,
} from './support';

let system: ReviewSystem;
const admin = findPersona('admin');

beforeAll(async () => {
  system = await startReviewSystem();
}, 120_000);

afterAll(async () => {
  await system?.close();
});

/** Moves the virtual clock in steps (each step lets the timers due in it run and their mails go out). */
async function advanceDays(days: number): Promise<void> {
  for (let day = 0; day < days; day += 1) await system.clock.advance(dayMs);
}

describe('waiting for the committee', () => {
  it('reminds members who have not decided on days 5 and 10, tells the admins on day 14, still decides after', async () => {
    const id = await requestInReview(system, 'SJLIFE');
    const [one, two, three] = ([1, 2, 3] as const).map((index) => member('SJLIFE', index));
    expect((await decideSignedIn(system, one!.persona, id, 'SJLIFE', { verdict: 'approve' })).status).toBe(
      201,
    );
    await requestWhen(system, id, (request) => dauOf(request, 'SJLIFE').review?.['approvals'] === 1);

    await advanceDays(4);
    expect(mailsTo(system, id, two!.email, 'Reminder')).toHaveLength(0);
    await advanceDays(1);
    await awaitMails(system, id, two!.email, 'Reminder');
    await awaitMails(system, id, three!.email, 'Reminder');
    expect(mailsTo(system, id, one!.email, 'Reminder')).toHaveLength(0);

    await advanceDays(5);
    const reminders = await awaitMails(system, id, three!.email, 'Reminder', 2);
    expect(reminders).toHaveLength(2);
    expect(new Set(reminders.map((mail) => mail.links.join()))).toHaveProperty('size', 2);
    expect(mailsTo(system, id, admin.email, 'Decision overdue')).toHaveLength(0);

    await advanceDays(4);
    const [overdue] = await awaitMails(system, id, admin.email, 'Decision overdue');
    expect(overdue!.text).toContain('1 of 3 members have decided');
    await advanceDays(20);
    expect(mailsTo(system, id, admin.email, 'Decision overdue')).toHaveLength(1);
    expect(mailsTo(system, id, three!.email, 'Reminder')).toHaveLength(2);
    expect(await timelineTypes(system, id)).toContain('review.deadline-passed');

    // The reminder's fresh link decides, after the deadline.
    const link = await linkFor(system, id, three!.email, 'Reminder', 2);
    expect((await postForm(link, { verdict: 'approve' })).status).toBe(200);
    const approved = await requestWhen(
      system,
      id,
      (request) => dauOf(request, 'SJLIFE').review?.['status'] === 'approved',
    );
    expect(dauOf(approved, 'SJLIFE').review).toMatchObject({ approvals: 2, rejections: 0 });
  });

  it('ends the review when the request is withdrawn; outstanding links stop working', async () => {
    const id = await requestInReview(system, 'PCGP', 'SJLIFE');
    const pcgpLink = await linkFor(system, id, member('PCGP', 1).email);
    const sjlifeLink = await linkFor(system, id, member('SJLIFE', 2).email);
    expect((await openLink(pcgpLink)).status).toBe(200);
    const current = await system.call('GET', `/api/requests/${id}`, { as: requester });
    const withdrawn = await system.call('POST', `/api/requests/${id}/withdraw`, {
      as: requester,
      body: { reason: 'The study was cancelled.' },
      headers: { 'if-match': current.etag! },
    });
    expect(withdrawn.status, JSON.stringify(withdrawn.body)).toBe(200);
    await requestWhen(system, id, (request) => request.status === 'withdrawn');
    for (const link of [pcgpLink, sjlifeLink]) {
      const page = await openLink(link);
      expect(page.status).toBe(410);
      expect(page.text).toContain('withdrew the request');
      expect((await postForm(link, { verdict: 'approve' })).status).toBe(410);
    }
    const refused = await decideSignedIn(system, member('PCGP', 2).persona, id, 'PCGP', {
      verdict: 'approve',
    });
    expect(refused.status).toBe(409);
    await expect
      .poll(
        async () =>
          (await timelineTypes(system, id)).filter((type) => type === 'review.dau-withdrawn').length,
        {
          timeout: 30_000,
        },
      )
      .toBe(2);
    const queue = await system.call('GET', '/api/reviews', { as: member('PCGP', 2).persona });
    expect(queue.body.pending.map((item: { requestId: string }) => item.requestId)).not.toContain(id);
  });
});
