/**
 * Committee review end to end, through HTTP on the local host with a virtual clock: a controlled request on
 * the manual route goes to review when its signed agreement is uploaded; every committee member gets their
 * own link; decisions arrive through the links and signed in; each DAU ends under its own rule (PCGP: the
 * first decision, SJLIFE: majority, CCSS: unanimous), its approval or rejection mailed as it happens and the
 * request's status following; a return sends the agreement back and a revised upload opens a new round.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPersona } from '../../infra/local/personas';
import { plainPdf } from '../agreements/pdf-fixtures';
import {
  awaitMails,
  dauOf,
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
  uploadAgreement,
  type ReviewSystem,
} from './support';

let system: ReviewSystem;
const lukas = findPersona(requester);

beforeAll(async () => {
  system = await startReviewSystem();
}, 120_000);

afterAll(async () => {
  if (process.env['REVIEW_TEST_LOGS'] !== undefined) console.log(system?.logs.join('\n'));
  await system?.close();
});

const reviewStatus = (
  request: { daus: { id: string; review: { status?: string } | null }[] },
  dauId: string,
) => dauOf(request, dauId).review?.status;

describe('committee review', () => {
  it('mails every member their own link; approvals under each rule approve every DAU', async () => {
    const id = await requestInReview(system, 'PCGP', 'SJLIFE');
    const inReview = await requestWhen(system, id, (request) => request.status === 'in_review');
    expect(dauOf(inReview, 'PCGP')).toMatchObject({
      status: 'in_review',
      review: { status: 'in_review', round: 1, rule: 'first', committeeSize: 3 },
    });
    expect(dauOf(inReview, 'SJLIFE').review).toMatchObject({ rule: 'majority' });
    const dashboard = await system.call('GET', '/api/requests', { as: requester });
    const item = dashboard.body.items.find((each: { id: string }) => each.id === id);
    expect(item.daus.find((dau: { id: string }) => dau.id === 'PCGP').review).toMatchObject({
      status: 'in_review',
      round: 1,
      expectedDecisionBy: dauOf(inReview, 'PCGP').review?.['deadline'],
    });

    const links = await Promise.all(
      ([1, 2, 3] as const).map((index) => linkFor(system, id, member('PCGP', index).email)),
    );
    expect(new Set(links).size).toBe(3);

    // PCGP decides on the first decision, through the link.
    const page = await openLink(links[0]!);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Example University Heidelberg');
    expect(page.text).toContain('re-analyse paired tumor-normal whole genomes');
    const recorded = await postForm(links[0]!, { verdict: 'approve', remark: 'Well argued.' });
    expect(recorded.status).toBe(200);
    expect(recorded.text).toContain('Decision recorded');
    await awaitMails(system, id, lukas.email, 'Approved: Pediatric Cancer Genome Project');
    const partly = await requestWhen(system, id, (request) => reviewStatus(request, 'PCGP') === 'approved');
    expect(partly.status).not.toBe('in_review');

    // SJLIFE needs two of three: one signed in, one through the link.
    const first = await decideSignedIn(system, member('SJLIFE', 1).persona, id, 'SJLIFE', {
      verdict: 'approve',
      remark: 'Please cite the cohort paper.',
      remarkVisibility: 'requester',
    });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    const tallied = await requestWhen(
      system,
      id,
      (request) => dauOf(request, 'SJLIFE').review?.['approvals'] === 1,
    );
    expect(reviewStatus(tallied, 'SJLIFE')).toBe('in_review');
    expect(dauOf(tallied, 'SJLIFE').review?.['requesterRemarks']).toEqual([
      expect.objectContaining({ text: 'Please cite the cohort paper.', round: 1 }),
    ]);
    const second = await postForm(await linkFor(system, id, member('SJLIFE', 2).email), {
      verdict: 'approve',
    });
    expect(second.status).toBe(200);
    await awaitMails(system, id, lukas.email, 'Approved: St. Jude LIFE');
    const approved = await requestWhen(
      system,
      id,
      (request) => reviewStatus(request, 'SJLIFE') === 'approved',
    );
    expect(approved.status).not.toMatch(/in_review|partially_approved|rejected/);
    const types = await timelineTypes(system, id);
    expect(types.filter((type) => type === 'review.decision-recorded')).toHaveLength(3);
    expect(types.filter((type) => type === 'review.dau-approved')).toHaveLength(2);
  });

  it('approves one DAU and rejects another (unanimity: one rejection ends it at once)', async () => {
    const id = await requestInReview(system, 'PCGP', 'CCSS');
    await postForm(await linkFor(system, id, member('PCGP', 2).email), { verdict: 'approve' });
    const partial = await requestWhen(system, id, (request) => reviewStatus(request, 'PCGP') === 'approved');
    expect(partial.status).toBe('partially_approved');

    expect(
      (await decideSignedIn(system, member('CCSS', 1).persona, id, 'CCSS', { verdict: 'approve' })).status,
    ).toBe(201);
    const rejected = await postForm(await linkFor(system, id, member('CCSS', 3).email), {
      verdict: 'reject',
      reason: 'The contemplated use is outside the consent.',
    });
    expect(rejected.status).toBe(200);
    const [mail] = await awaitMails(system, id, lukas.email, 'Not approved: Childhood Cancer Survivor Study');
    expect(mail!.text).toContain('The contemplated use is outside the consent.');
    const done = await requestWhen(system, id, (request) => dauOf(request, 'CCSS').status === 'rejected');
    expect(done.status).not.toMatch(/in_review|partially_approved/);
    // The third member's link is dead now: the committee has decided.
    const late = await openLink(await linkFor(system, id, member('CCSS', 2).email));
    expect(late.status).toBe(410);
    expect(late.text).toContain('no longer open');
  });

  it('rejects by majority once half the committee rejected', async () => {
    const id = await requestInReview(system, 'SJLIFE');
    await postForm(await linkFor(system, id, member('SJLIFE', 1).email), { verdict: 'approve' });
    await postForm(await linkFor(system, id, member('SJLIFE', 2).email), {
      verdict: 'reject',
      reason: 'No ethics approval attached.',
    });
    const pending = await requestWhen(
      system,
      id,
      (request) => dauOf(request, 'SJLIFE').review?.['rejections'] === 1,
    );
    expect(reviewStatus(pending, 'SJLIFE')).toBe('in_review');
    expect(
      (
        await decideSignedIn(system, member('SJLIFE', 3).persona, id, 'SJLIFE', {
          verdict: 'reject',
          reason: 'Agree: no ethics approval.',
        })
      ).status,
    ).toBe(201);
    const done = await requestWhen(system, id, (request) => dauOf(request, 'SJLIFE').status === 'rejected');
    expect(done.status).toBe('rejected');
    const [mail] = await awaitMails(system, id, lukas.email, 'Not approved: St. Jude LIFE');
    expect(mail!.text).toContain('No ethics approval attached.');
    expect(mail!.text).toContain('Agree: no ethics approval.');
  });

  it('returns the agreement for revision; the revised upload opens a new round with new links', async () => {
    const id = await requestInReview(system, 'PCGP');
    const oldLink = await linkFor(system, id, member('PCGP', 1).email);
    const returned = await postForm(await linkFor(system, id, member('PCGP', 3).email), {
      verdict: 'return',
      reason: 'Section 4 is not signed by the institutional authority.',
    });
    expect(returned.status).toBe(200);
    const waiting = await requestWhen(system, id, (request) => request.status === 'returned');
    expect(dauOf(waiting, 'PCGP')).toMatchObject({
      status: 'returned',
      review: { returnReasons: ['Section 4 is not signed by the institutional authority.'] },
    });
    expect(waiting.nextAction).toMatchObject({ code: 'upload-revised-agreement' });
    expect(waiting.nextAction.label).toContain('Section 4 is not signed');
    const [mail] = await awaitMails(system, id, lukas.email, 'revise your Data Access Agreement');
    expect(mail!.text).toContain('Section 4 is not signed by the institutional authority.');
    expect((await openLink(oldLink)).status).toBe(410);

    await uploadAgreement(system, id, plainPdf('/Lang (en-GB) '));
    const reopened = await requestWhen(
      system,
      id,
      (request) => dauOf(request, 'PCGP').review?.['round'] === 2,
    );
    expect(reopened.status).toBe('in_review');
    const newLink = await linkFor(system, id, member('PCGP', 1).email, 'Decision requested', 2);
    expect(newLink).not.toBe(oldLink);
    const superseded = await openLink(oldLink);
    expect(superseded.status).toBe(410);
    expect(superseded.text).toContain('new review round');
    const page = await openLink(newLink);
    expect(page.text).toContain('review round 2');
    expect(page.text).toContain('revised agreement (version 2)');
    expect(page.text).toContain('Section 4 is not signed by the institutional authority.');
    expect((await postForm(newLink, { verdict: 'approve' })).status).toBe(200);
    await requestWhen(system, id, (request) => reviewStatus(request, 'PCGP') === 'approved');
    expect(mailsTo(system, id, lukas.email, 'Approved: Pediatric Cancer Genome Project')).toHaveLength(1);
  });
});
