/**
 * One template per event. A template says what the mail is (subject, paragraphs, a list, one call to action)
 * in plain text; `layout` writes both the text part and the HTML part from it, escaping every value, so no
 * template can forget to. Links are absolute, from the public base URL (`PUBLIC_BASE_URL`).
 */
import type { NotificationEvent, NotificationOf, Notification, RenderedMail } from '../model';
import { html } from './html';

export interface TemplateContext {
  /** Absolute origin (optionally with a path) that links in mails start with, e.g. `https://requests.example.org`. */
  readonly baseUrl: string;
}

interface MailBody {
  readonly subject: string;
  readonly paragraphs: readonly string[];
  /** A bulleted list after the paragraphs (reasons, DAUs). */
  readonly list?: readonly string[];
  readonly action?: { readonly label: string; readonly url: string };
}

/** Where the links in mails lead (the API's own routes). */
export const mailLinks = {
  request: (requestId: string) => `/api/requests/${encodeURIComponent(requestId)}`,
  project: (requestId: string) => `/api/requests/${encodeURIComponent(requestId)}/files`,
  extension: (requestId: string) => `/api/requests/${encodeURIComponent(requestId)}/extension`,
  decision: (token: string) => `/api/review-links/${encodeURIComponent(token)}`,
};

export function absoluteLink(baseUrl: string, path: string): string {
  const base = new URL(baseUrl);
  if (base.protocol !== 'https:' && base.protocol !== 'http:')
    throw new Error('The base URL must be http(s)');
  return `${base.origin}${base.pathname.replace(/\/+$/, '')}${path}`;
}

const day = new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeZone: 'UTC' });
const formatDay = (iso: string): string => day.format(new Date(iso));

type Template<E extends NotificationEvent> = (
  notification: NotificationOf<E>,
  link: (path: string) => string,
) => MailBody;

const templates: { readonly [E in NotificationEvent]: Template<E> } = {
  request_submitted: (n, link) => ({
    subject: `Data request submitted: ${n.projectName}`,
    paragraphs: [
      `Your data request "${n.projectName}" has been submitted.`,
      'We will email you at each step: signing the Data Access Agreement, the committees’ decisions, and when your data is ready.',
    ],
    action: { label: 'View your request', url: link(mailLinks.request(n.requestId)) },
  }),
  agreement_envelope_sent: (n, link) => ({
    subject: `Please sign the Data Access Agreement: ${n.projectName}`,
    paragraphs: [
      `The Data Access Agreement for "${n.projectName}" has been sent for electronic signature.`,
      'Each signatory receives an email from DocuSign with a signing link. Review starts once everyone has signed.',
    ],
    list: n.signatories.length === 0 ? undefined : n.signatories.map((name) => `Signatory: ${name}`),
    action: { label: 'View your request', url: link(mailLinks.request(n.requestId)) },
  }),
  signature_declined: (n, link) => ({
    subject: `Data Access Agreement declined: ${n.projectName}`,
    paragraphs: [
      `${n.declinedBy ?? 'A signatory'} declined to sign the Data Access Agreement for "${n.projectName}", so the request has ended.`,
      ...(n.reason === undefined ? [] : [`Reason given: ${n.reason}`]),
      'You can copy the request and submit it again.',
    ],
    action: { label: 'View your request', url: link(mailLinks.request(n.requestId)) },
  }),
  agreement_returned: (n, link) => ({
    subject: `Action needed: revise your Data Access Agreement for ${n.projectName}`,
    paragraphs: [
      `The committee returned the Data Access Agreement for "${n.projectName}" because it is incomplete:`,
    ],
    list: n.reasons,
    action: { label: 'Upload a revised agreement', url: link(mailLinks.request(n.requestId)) },
  }),
  dau_approved: (n, link) => ({
    subject: `Approved: ${n.dau.name} for ${n.projectName}`,
    paragraphs: [
      `The Data Access Committee approved access to ${n.dau.name} (${n.dau.id}) for "${n.projectName}".`,
      'The data is being copied into your project; we will email you when it is ready.',
    ],
    action: { label: 'Open your project', url: link(mailLinks.project(n.requestId)) },
  }),
  dau_rejected: (n, link) => ({
    subject: `Not approved: ${n.dau.name} for ${n.projectName}`,
    paragraphs: [
      `The Data Access Committee did not approve access to ${n.dau.name} (${n.dau.id}) for "${n.projectName}".`,
      `Reason: ${n.reason}`,
    ],
    action: { label: 'View your request', url: link(mailLinks.request(n.requestId)) },
  }),
  data_vended: (n, link) => ({
    subject: `Your data is ready: ${n.projectName}`,
    paragraphs: [
      `${n.fileCount} ${n.fileCount === 1 ? 'file has' : 'files have'} been copied into your project for "${n.projectName}", with a manifest, from:`,
    ],
    list: n.daus.map((dau) => `${dau.name} (${dau.id})`),
    action: { label: 'Open your project', url: link(mailLinks.project(n.requestId)) },
  }),
  access_expiring: (n, link) => ({
    subject: `Access to ${n.dau.name} for ${n.projectName} expires on ${formatDay(n.expiresAt)}`,
    paragraphs: [
      `Your access to ${n.dau.name} (${n.dau.id}) for "${n.projectName}" expires on ${formatDay(n.expiresAt)}.`,
      'To keep working with the data, request an extension before then; otherwise access is removed on that day.',
    ],
    action: { label: 'Request an extension', url: link(mailLinks.extension(n.requestId)) },
  }),
  access_expired: (n, link) => ({
    subject: `Access to ${n.dau.name} for ${n.projectName} has expired`,
    paragraphs: [
      `Your access to ${n.dau.name} (${n.dau.id}) for "${n.projectName}" expired on ${formatDay(n.expiredAt)} and has been removed.`,
      'You can submit a new request for the same data.',
    ],
    action: { label: 'View your request', url: link(mailLinks.request(n.requestId)) },
  }),
  access_revoked: (n, link) => ({
    subject: `Access to ${n.dau.name} for ${n.projectName} has been revoked`,
    paragraphs: [
      `An administrator revoked your access to ${n.dau.name} (${n.dau.id}) for "${n.projectName}"; it has been removed.`,
      ...(n.reason === undefined ? [] : [`Reason: ${n.reason}`]),
    ],
    action: { label: 'View your request', url: link(mailLinks.request(n.requestId)) },
  }),
  committee_invitation: (n, link) => ({
    subject: `Decision requested: ${n.projectName} (${n.dau.name})`,
    paragraphs: [
      `A data request "${n.projectName}" asks for access to ${n.dau.name} (${n.dau.id}), which your committee decides on.`,
      ...(n.decideBy === undefined ? [] : [`Please decide by ${formatDay(n.decideBy)}.`]),
      'The link is yours alone and works once: it shows the request, and you decide on that page.',
    ],
    action: { label: 'Review and decide', url: link(mailLinks.decision(n.reviewToken)) },
  }),
  committee_reminder: (n, link) => ({
    subject: `Reminder: decision requested for ${n.projectName} (${n.dau.name})`,
    paragraphs: [
      `The data request "${n.projectName}" still waits for your committee's decision on ${n.dau.name} (${n.dau.id}).`,
      ...(n.decideBy === undefined ? [] : [`Please decide by ${formatDay(n.decideBy)}.`]),
    ],
    action: { label: 'Review and decide', url: link(mailLinks.decision(n.reviewToken)) },
  }),
  review_deadline_passed: (n, link) => ({
    subject: `Decision overdue: ${n.dau.name} for ${n.projectName}`,
    paragraphs: [
      `The ${n.dau.name} (${n.dau.id}) committee was expected to decide on "${n.projectName}" by ${formatDay(n.deadline)}, and has not yet.`,
      `${n.decided} of ${n.committeeSize} members have decided. The members keep being able to decide from their links.`,
    ],
    action: { label: 'View the request', url: link(mailLinks.request(n.requestId)) },
  }),
  closeout_overdue: (n, link) => ({
    subject: `Close-out overdue: ${n.dau.name} for ${n.projectName}`,
    paragraphs: [
      `Access to ${n.dau.name} (${n.dau.id}) for "${n.projectName}" ended on ${formatDay(n.endedAt)} and allowed downloads.`,
      'The requester has not yet attested that downloaded copies are destroyed (close-out). Please follow up.',
    ],
    action: { label: 'View the request', url: link(mailLinks.request(n.requestId)) },
  }),
};

/** Subject, text and HTML of a notification's mail. */
export function renderMail(notification: Notification, context: TemplateContext): RenderedMail {
  const template = templates[notification.event] as Template<NotificationEvent>;
  const body = template(notification, (path) => absoluteLink(context.baseUrl, path));
  return layout(body, notification);
}

function layout(body: MailBody, notification: Notification): RenderedMail {
  // A subject is one header line: names with line breaks must not start a new header.
  const subject = body.subject.replace(/\s+/g, ' ').trim();
  const footer = `This is an automated message about data request ${notification.requestId}.`;
  const text = [
    'Hello,',
    ...body.paragraphs,
    ...(body.list === undefined ? [] : [body.list.map((item) => `- ${item}`).join('\n')]),
    ...(body.action === undefined ? [] : [`${body.action.label}: ${body.action.url}`]),
    `--\n${footer}`,
  ].join('\n\n');
  const markup = html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>${subject}</title>
      </head>
      <body
        style="font-family: Arial, Helvetica, sans-serif; font-size: 15px; line-height: 1.5; color: #1f2328;"
      >
        <p>Hello,</p>
        ${body.paragraphs.map((paragraph) => html`<p>${paragraph}</p>`)}
        ${
          body.list === undefined
            ? false
            : html`<ul>
                ${body.list.map((item) => html`<li>${item}</li>`)}
              </ul>`
        }
        ${
          body.action === undefined
            ? false
            : html`<p>
                  <a
                    href="${body.action.url}"
                    style="display: inline-block; padding: 8px 16px; background: #0969da; color: #ffffff; text-decoration: none; border-radius: 6px;"
                    >${body.action.label}</a
                  >
                </p>
                <p style="font-size: 13px; color: #57606a;">Or open this address: ${body.action.url}</p>`
        }
        <hr style="border: 0; border-top: 1px solid #d0d7de;" />
        <p style="font-size: 13px; color: #57606a;">${footer}</p>
      </body>
    </html>`;
  return { subject, text, html: markup.value };
}
