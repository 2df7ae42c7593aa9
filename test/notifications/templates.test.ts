/** The mail of every lifecycle event: what it says, that it escapes, and where its links lead. */
import { describe, expect, it } from 'vitest';
import { renderMail } from '../../shared/notifications/domain/templates';
import {
  notificationEvents,
  notificationSchema,
  type NotificationEvent,
  type NotificationInput,
} from '../../shared/notifications/model';

const hostileProject = `Tumour <script>alert("x")</script> & 'Co'`;
const hostileReason = `Section 4 <b onmouseover="steal()">incomplete</b> & unsigned`;
const baseUrl = 'https://requests.example.org/portal/';
const requestId = 'REQ-2026-0042';
const reviewToken = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJtZW1iZXIifQ.c2lnbmF0dXJl';
const common = {
  requestId,
  projectName: hostileProject,
  recipients: [{ address: 'requester@example.org', displayName: 'Requester' }],
};
const dau = { id: 'DAU-7', name: 'Pediatric <Cancer> Genome & Co' };

const requestLink = `https://requests.example.org/portal/api/requests/${requestId}`;
const projectLink = `${requestLink}/files`;
const extensionLink = `${requestLink}/extension`;
const decisionLink = `https://requests.example.org/portal/api/review-links/${reviewToken}`;

interface Sample {
  readonly notification: NotificationInput;
  /** What the mail must tell the reader about this event (besides the project name). */
  readonly facts: readonly string[];
  /** Where its call to action leads. */
  readonly link: string;
}

const samples: { readonly [E in NotificationEvent]: Sample } = {
  request_submitted: {
    notification: { event: 'request_submitted', ...common },
    facts: ['submitted'],
    link: requestLink,
  },
  agreement_envelope_sent: {
    notification: {
      event: 'agreement_envelope_sent',
      ...common,
      signatories: ['Dr. Ada <Lovelace>', 'Office of "Sponsored" Research'],
    },
    facts: ['Dr. Ada <Lovelace>', 'Office of "Sponsored" Research', 'DocuSign'],
    link: requestLink,
  },
  signature_declined: {
    notification: {
      event: 'signature_declined',
      ...common,
      declinedBy: 'Dr. Ada <Lovelace>',
      reason: hostileReason,
    },
    facts: ['declined', 'Dr. Ada <Lovelace>', hostileReason],
    link: requestLink,
  },
  agreement_returned: {
    notification: {
      event: 'agreement_returned',
      ...common,
      reasons: [hostileReason, 'Missing institutional signature & date'],
    },
    facts: [hostileReason, 'Missing institutional signature & date'],
    link: requestLink,
  },
  dau_approved: {
    notification: { event: 'dau_approved', ...common, dau },
    facts: ['approved', dau.name, dau.id],
    link: projectLink,
  },
  dau_rejected: {
    notification: { event: 'dau_rejected', ...common, dau, reason: hostileReason },
    facts: ['did not approve', dau.name, dau.id, hostileReason],
    link: requestLink,
  },
  data_vended: {
    notification: {
      event: 'data_vended',
      ...common,
      daus: [dau, { id: 'DAU-9', name: 'Sickle "Cell" Cohort' }],
      fileCount: 12,
    },
    facts: ['12 files', dau.name, 'DAU-9', 'Sickle "Cell" Cohort'],
    link: projectLink,
  },
  access_expiring: {
    notification: { event: 'access_expiring', ...common, dau, expiresAt: '2027-03-01T00:00:00Z' },
    facts: ['expires', '1 March 2027', dau.name, 'extension'],
    link: extensionLink,
  },
  access_expired: {
    notification: { event: 'access_expired', ...common, dau, expiredAt: '2027-03-01T00:00:00Z' },
    facts: ['expired', '1 March 2027', dau.name],
    link: requestLink,
  },
  access_revoked: {
    notification: { event: 'access_revoked', ...common, dau, reason: hostileReason },
    facts: ['revoked', dau.name, hostileReason],
    link: requestLink,
  },
  committee_invitation: {
    notification: {
      event: 'committee_invitation',
      ...common,
      dau,
      reviewToken,
      decideBy: '2027-01-15T17:00:00Z',
    },
    facts: [dau.name, dau.id, '15 January 2027'],
    link: decisionLink,
  },
  committee_reminder: {
    notification: {
      event: 'committee_reminder',
      ...common,
      dau,
      reviewToken,
      decideBy: '2027-01-15T17:00:00Z',
    },
    facts: ['still waits', dau.name, '15 January 2027'],
    link: decisionLink,
  },
  review_deadline_passed: {
    notification: {
      event: 'review_deadline_passed',
      ...common,
      dau,
      deadline: '2027-01-15T17:00:00Z',
      decided: 1,
      committeeSize: 3,
    },
    facts: [dau.name, dau.id, '15 January 2027', '1 of 3'],
    link: requestLink,
  },
  closeout_overdue: {
    notification: { event: 'closeout_overdue', ...common, dau, endedAt: '2027-01-15T17:00:00Z' },
    facts: [dau.name, dau.id, '15 January 2027', 'close-out'],
    link: requestLink,
  },
};

/** Escaping as any HTML writer must do it for text and attribute values (written here, not imported). */
const escaped = (text: string): string =>
  text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');

const hrefsOf = (html: string): string[] =>
  [...html.matchAll(/<a\s[^>]*href="([^"]*)"/g)].map((match) => match[1]!.replace(/&amp;/g, '&'));
const urlsInText = (text: string): string[] => [...text.matchAll(/https?:\/\/\S+/g)].map((match) => match[0]);

const render = (notification: NotificationInput, base = baseUrl) =>
  renderMail(notificationSchema.parse(notification), { baseUrl: base });

describe('mail templates', () => {
  it('has a sample here for every event of the model', () => {
    expect(Object.keys(samples).sort()).toEqual([...notificationEvents].sort());
  });

  describe.each(Object.entries(samples))('%s', (_event, sample) => {
    const mail = render(sample.notification);

    it('names the project in the subject and the text, with the event’s facts', () => {
      expect(mail.subject).toContain(hostileProject);
      expect(mail.subject).not.toMatch(/[\r\n]/);
      expect(mail.text).toContain(hostileProject);
      for (const fact of sample.facts) expect(mail.text).toContain(fact);
    });

    it('escapes every value in the HTML', () => {
      expect(mail.html).not.toMatch(/<script/i);
      expect(mail.html).not.toContain('onmouseover="steal()"');
      expect(mail.html).not.toContain('alert("x")');
      expect(mail.html).toContain(escaped(hostileProject));
      for (const fact of sample.facts) expect(mail.html).toContain(escaped(fact));
      expect(mail.html).toContain(`<title>${escaped(mail.subject)}</title>`);
    });

    it('links absolutely from the base URL to the right page, the same links in text and HTML', () => {
      const hrefs = hrefsOf(mail.html);
      expect(hrefs).toEqual([sample.link]);
      expect([...new Set(urlsInText(mail.text))]).toEqual(hrefs);
    });
  });

  it('builds the same links whether the base URL has a trailing slash or not, and from an origin alone', () => {
    const notification = samples.dau_approved.notification;
    expect(hrefsOf(render(notification, 'https://requests.example.org/portal').html)).toEqual([projectLink]);
    expect(hrefsOf(render(notification, 'https://requests.example.org').html)).toEqual([
      `https://requests.example.org/api/requests/${requestId}/files`,
    ]);
  });

  it('keeps ids that need encoding inside one path segment of the link', () => {
    const mail = render({
      ...samples.committee_invitation.notification,
      requestId: 'REQ/1?x=2',
      reviewToken: 'a/b+c=d?e#f&g-0123456789',
    } as NotificationInput);
    const [link] = hrefsOf(mail.html);
    expect(link).toBe(
      `https://requests.example.org/portal/api/review-links/${encodeURIComponent('a/b+c=d?e#f&g-0123456789')}`,
    );
    expect(new URL(link!).pathname.split('/').at(-1)).toBe(encodeURIComponent('a/b+c=d?e#f&g-0123456789'));
    expect(mail.text).toContain(link);
  });

  it('keeps a subject on one line when the project name has line breaks', () => {
    const mail = render({
      ...samples.request_submitted.notification,
      projectName: 'Line one\r\nBcc: x@evil.example',
    });
    expect(mail.subject).toBe('Data request submitted: Line one Bcc: x@evil.example');
  });

  it('refuses a base URL that is not http(s)', () => {
    expect(() => render(samples.request_submitted.notification, 'javascript:alert(1)')).toThrow();
  });
});
