/**
 * The local outbox: every mail the ACS Email stand-in delivered (and every mail another stand-in, such as
 * DocuSign's, handed to it), kept in delivery order and listed newest first. A person reads them on the
 * outbox page; tests and scripts read `/outbox/messages`.
 */
import { z } from 'zod';

export const mailSources = ['acs', 'docusign'] as const;
/** Who sent the mail: the app through the ACS Email API, or another stand-in in-process. */
export type MailSource = (typeof mailSources)[number];

const addressSchema = z.object({ address: z.string(), displayName: z.string().optional() });
export type MailAddress = z.infer<typeof addressSchema>;

export const outboxMessageSchema = z.object({
  id: z.string(),
  source: z.enum(mailSources),
  from: z.string(),
  replyTo: z.array(addressSchema),
  to: z.array(addressSchema),
  cc: z.array(addressSchema),
  bcc: z.array(addressSchema),
  subject: z.string(),
  text: z.string().optional(),
  html: z.string().optional(),
  /** Every http(s) link in the HTML and text parts, in order of first appearance. */
  links: z.array(z.string()),
  attachments: z.array(z.object({ name: z.string(), contentType: z.string(), bytes: z.number() })),
  sentAt: z.string(),
});
export type OutboxMessage = z.infer<typeof outboxMessageSchema>;

/** A mail from another stand-in, put straight into the outbox (no HTTP, no signature). */
export interface ForeignMail {
  readonly source: Exclude<MailSource, 'acs'>;
  readonly from: string;
  readonly to: readonly (string | MailAddress)[];
  readonly subject: string;
  readonly text?: string;
  readonly html?: string;
}

export class Outbox {
  /** In delivery order; listing reverses it. */
  private readonly messages: OutboxMessage[] = [];
  private readonly byId = new Map<string, OutboxMessage>();

  add(message: OutboxMessage): void {
    if (this.byId.has(message.id)) return;
    this.messages.push(message);
    this.byId.set(message.id, message);
  }

  get(id: string): OutboxMessage | undefined {
    return this.byId.get(id);
  }

  /** Newest first; with `to`, only mails addressed to it (to, cc or bcc; case-insensitive, exact address). */
  list(filter: { readonly to?: string } = {}): OutboxMessage[] {
    const wanted = filter.to?.trim().toLowerCase();
    const newestFirst = [...this.messages].reverse();
    if (wanted === undefined || wanted === '') return newestFirst;
    return newestFirst.filter((message) =>
      [...message.to, ...message.cc, ...message.bcc].some(
        (recipient) => recipient.address.toLowerCase() === wanted,
      ),
    );
  }

  get size(): number {
    return this.messages.length;
  }
}

/** The href of an `<a>` or `<area>` element (not `data-href`, not "href=" written in the text). */
const hrefPattern = /<(?:a|area)\s(?:[^>]*?\s)?href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/gi;
const urlInTextPattern = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/gi;

/** The http(s) links of a mail: hrefs of its HTML, then URLs written out in its text, without repeats. */
export function extractLinks(html: string | undefined, text: string | undefined): string[] {
  const found: string[] = [];
  for (const match of (html ?? '').matchAll(hrefPattern)) {
    found.push(decodeHtmlAttribute(match[1] ?? match[2] ?? match[3] ?? '').trim());
  }
  for (const match of (text ?? '').matchAll(urlInTextPattern)) found.push(match[0]);
  return [...new Set(found.filter((link) => /^https?:\/\//i.test(link)))];
}

const namedEntities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeHtmlAttribute(value: string): string {
  return value.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (entity, body: string) => {
    if (body.startsWith('#x') || body.startsWith('#X'))
      return String.fromCodePoint(parseInt(body.slice(2), 16));
    if (body.startsWith('#')) return String.fromCodePoint(parseInt(body.slice(1), 10));
    return namedEntities[body.toLowerCase()] ?? entity;
  });
}
