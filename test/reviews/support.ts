/**
 * The committee review's tests: the whole local system on a virtual clock (the agreement tests' system),
 * a controlled request taken on the manual route to review — the non-US persona submits, uploads the signed
 * PDF, and the request's lifecycle opens one review per DAU — and helpers that read the committee's mails,
 * follow their links and decide as a member would.
 */
import { expect } from 'vitest';
import { VirtualClock } from '../../infra/local/clock';
import { startLocalEnvironment } from '../../infra/local/environment';
import { seedDocuments } from '../../infra/local/standins/seed-documents';
import type { OutboxMessage } from '../../infra/local/standins/outbox';
import { parseSettings } from '../../shared/config/settings';
import { ReviewLinkSigner, type ReviewLinkClaims } from '../../shared/reviews/link-tokens';
import { plainPdf } from '../agreements/pdf-fixtures';
import { connectAgreementSystem, manualAnswers, type AgreementSystem } from '../lifecycle/agreement-support';
import { studySelection, type Reply } from '../requests/support';

export const requester = 'non-us-requester';
export const dayMs = 24 * 60 * 60 * 1000;

/** The `reviews` settings the tests run with (the defaults, written out so the tests can count days). */
export const reviewSettings = { Reviews__decisionDays: '14', Reviews__reminderDays: '5' };

/** What the flows below need of a system: calls as a persona (also a host in another process). */
export type Caller = Pick<AgreementSystem, 'call'>;

export interface ReviewSystem extends AgreementSystem {
  /** What the host and stand-ins logged, to print when a test fails. */
  readonly logs: readonly string[];
}

/** The whole system on a virtual clock, its log kept (`dataDir`: persisted, for restarts). */
export async function startReviewSystem(
  options: { dataDir?: string; clock?: VirtualClock } = {},
): Promise<ReviewSystem> {
  const logs: string[] = [];
  const clock = options.clock ?? new VirtualClock(Date.now());
  const environment = await startLocalEnvironment({
    freePorts: true,
    clock,
    dataDir: options.dataDir,
    settings: { CATALOG_REFRESH_SECONDS: '0', ...reviewSettings },
    log: (line) => logs.push(line),
  });
  // What `npm start` prepares: the private documents container the uploads go to.
  await seedDocuments(environment.appSettings);
  return Object.assign(await connectAgreementSystem(environment, clock), { logs });
}

/**
 * Polls `probe` until it answers something other than undefined (the lifecycle runs in the background);
 * usable in hooks too, where `expect.poll` is not.
 */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A member of a DAU's committee, as seeded: persona id and e-mail. */
export function member(dauId: 'PCGP' | 'SJLIFE' | 'CCSS' | 'SGP', index: 1 | 2 | 3) {
  const slug = dauId.toLowerCase();
  return { persona: `${slug}-committee-${index}`, email: `dac-${slug}-${index}@example.org` };
}

/** Signs links as the app does (the tests know the local key), to make forged and foreign ones. */
export function linkSigner(system: AgreementSystem): ReviewLinkSigner {
  const key = parseSettings(system.environment.appSettings).Reviews__linkSigningKey;
  if (key === undefined) throw new Error('the local environment gave no review link key');
  return new ReviewLinkSigner(key);
}

export function claimsOf(token: string): ReviewLinkClaims {
  return JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8')) as ReviewLinkClaims;
}

/** A controlled request of the non-US persona over `rows` (study rows), in review: every DAU's round 1 open. */
export async function requestInReview(system: Caller, ...rows: string[]): Promise<string> {
  const created = await system.call('POST', '/api/requests', {
    as: requester,
    body: studySelection(...rows),
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const id = created.body.id as string;
  const filled = await system.call('PATCH', `/api/requests/${id}`, {
    as: requester,
    body: { answers: manualAnswers() },
    headers: { 'if-match': created.etag! },
  });
  expect(filled.status, JSON.stringify(filled.body)).toBe(200);
  const submitted = await system.call('POST', `/api/requests/${id}/submit`, {
    as: requester,
    headers: { 'if-match': filled.etag! },
  });
  expect(submitted.status, JSON.stringify(submitted.body)).toBe(200);
  await requestWhen(system, id, (request) => request.status === 'awaiting_agreement_upload');
  await uploadAgreement(system, id, plainPdf());
  await requestWhen(system, id, (request) =>
    request.daus.every(
      (dau: { agreementRequired: boolean; review: { round?: number } | null }) =>
        !dau.agreementRequired || dau.review?.round === 1,
    ),
  );
  return id;
}

export async function uploadAgreement(system: Caller, id: string, pdf: Buffer): Promise<Reply> {
  const uploaded = await system.call('POST', `/api/requests/${id}/agreement`, {
    as: requester,
    bytes: pdf,
    headers: { 'content-type': 'application/pdf' },
  });
  if (uploaded.status !== 200 && uploaded.status !== 201) {
    throw new Error(`upload answered ${uploaded.status}: ${JSON.stringify(uploaded.body)}`);
  }
  return uploaded;
}

/** The request as its owner sees it once `predicate` holds. */
export function requestWhen(
  system: Caller,
  id: string,
  predicate: (request: Reply['body']) => boolean,
): Promise<Reply['body']> {
  let last: unknown;
  return eventually(`request ${id} to change (last seen: ${JSON.stringify(last)})`, async () => {
    const reply = await system.call('GET', `/api/requests/${id}`, { as: requester });
    last = { status: reply.body.status, daus: reply.body.daus };
    return predicate(reply.body) ? reply.body : undefined;
  });
}

export const dauOf = (request: Reply['body'], dauId: string) =>
  (request.daus as { id: string; status: string; review: Record<string, unknown> | null }[]).find(
    (dau) => dau.id === dauId,
  )!;

/** Mails about request `id` to `address` whose subject contains `subject`, oldest first. */
export function mailsTo(system: AgreementSystem, id: string, address: string, subject = ''): OutboxMessage[] {
  return system.environment.standIns.acsEmail.outbox
    .list({ to: address })
    .filter((mail) => (mail.text ?? '').includes(id) && mail.subject.includes(subject))
    .reverse();
}

/** Waits for the `count`-th such mail and answers them all. */
export async function awaitMails(
  system: AgreementSystem,
  id: string,
  address: string,
  subject: string,
  count = 1,
): Promise<OutboxMessage[]> {
  return eventually(`mail "${subject}" #${count} to ${address}`, () => {
    const mails = mailsTo(system, id, address, subject);
    return mails.length >= count ? mails : undefined;
  });
}

/** The decision link in a committee mail, as the member clicks it. */
export function decisionLinkOf(mail: OutboxMessage): string {
  const link = mail.links.find((candidate) => candidate.includes('/api/review-links/'));
  if (link === undefined) throw new Error(`no decision link in "${mail.subject}"`);
  return link;
}

export const tokenOf = (link: string) => decodeURIComponent(new URL(link).pathname.split('/').pop()!);

/** The newest invitation (or reminder) link of a member for request `id` and DAU `dauName`. */
export async function linkFor(
  system: AgreementSystem,
  id: string,
  email: string,
  subject = 'Decision requested',
  count = 1,
): Promise<string> {
  const mails = await awaitMails(system, id, email, subject, count);
  return decisionLinkOf(mails.at(-1)!);
}

export interface PageReply {
  readonly status: number;
  readonly headers: Headers;
  /** The page with its whitespace collapsed (markup wraps its text anywhere). */
  readonly text: string;
}

const collapsed = (text: string) => text.replace(/\s+/g, ' ');

export async function openLink(link: string): Promise<PageReply> {
  const response = await fetch(link);
  return { status: response.status, headers: response.headers, text: collapsed(await response.text()) };
}

/** Posts the decision form of `link` (form fields as the page's form sends them). */
export async function postForm(link: string, fields: Record<string, string>): Promise<PageReply> {
  const response = await fetch(link, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: response.status, headers: response.headers, text: collapsed(await response.text()) };
}

/** Decides signed in as a committee persona. */
export function decideSignedIn(
  system: Caller,
  persona: string,
  id: string,
  dauId: string,
  body: Record<string, unknown>,
): Promise<Reply> {
  return system.call('POST', `/api/reviews/${id}/${encodeURIComponent(dauId)}/decision`, {
    as: persona,
    body,
  });
}

/** The timeline's event types of request `id`, as its owner reads them. */
export async function timelineTypes(system: Caller, id: string): Promise<string[]> {
  const events = await system.call('GET', `/api/requests/${id}/events`, { as: requester });
  return (events.body.events as { type: string }[]).map((event) => event.type);
}
