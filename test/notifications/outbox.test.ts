/**
 * The outbox a person (page) and a test or script (JSON) reads: mails sent through the real SDK and one
 * handed over by the DocuSign stand-in, newest first, filtered by recipient, everything rendered escaped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutboxMessage } from '../../infra/local/standins/outbox';
import { mail, sendAndWait, startStandIn, type StandInFixture } from './acs-test-support';

let fixture: StandInFixture;
const hostileSubject = '<img src=x onerror=alert(1)>';
const hostileName = '<script>alert("name")</script>';
let first: { id: string };
let hostile: { id: string };
let docusign: OutboxMessage;

beforeAll(async () => {
  fixture = await startStandIn();
  const client = fixture.client();
  first = await sendAndWait(
    client,
    mail({
      content: { subject: 'First', plainText: 'No links here.' },
      recipients: { to: [{ address: 'alice@example.org' }], cc: [{ address: 'carol@example.org' }] },
    }),
  );
  hostile = await sendAndWait(
    client,
    mail({
      content: {
        subject: hostileSubject,
        plainText: 'Decide at https://requests.example.org/api/review-links/t1?a=1&b=2 please.',
        html: '<p>Decide <a href="https://requests.example.org/api/review-links/t1?a=1&amp;b=2">here</a></p><script>alert(2)</script>',
      },
      recipients: { to: [{ address: 'bob@example.org', displayName: hostileName }] },
    }),
  );
  docusign = await fixture.standIn.deliver({
    source: 'docusign',
    from: 'dse@docusign.localhost',
    to: ['Alice@Example.org'],
    subject: 'Please DocuSign: Data Access Agreement',
    text: 'Review and sign: https://docusign.localhost/signing/abc',
    html: '<a href="https://docusign.localhost/signing/abc">Review document</a>',
  });
});
afterAll(async () => fixture?.standIn.close());

async function messages(query = ''): Promise<OutboxMessage[]> {
  const response = await fixture.request(`/outbox/messages${query}`);
  expect(response.status).toBe(200);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  return (JSON.parse(response.text) as { messages: OutboxMessage[] }).messages;
}

async function page(pathAndQuery: string): Promise<{ status: number; html: string; csp: string }> {
  const response = await fixture.request(pathAndQuery);
  expect(response.headers['content-type']).toMatch(/^text\/html/);
  return {
    status: response.status,
    html: response.text,
    csp: String(response.headers['content-security-policy']),
  };
}

const decodeAttribute = (value: string): string =>
  value
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

describe('/outbox/messages', () => {
  it('lists every mail newest first with to, subject, text, html, links, sent at and its source', async () => {
    const listed = await messages();
    expect(listed.map((message) => message.id)).toEqual([docusign.id, hostile.id, first.id]);
    const sentAt = listed.map((message) => Date.parse(message.sentAt));
    expect(sentAt.every((time) => !Number.isNaN(time))).toBe(true);
    expect([...sentAt].sort((a, b) => b - a)).toEqual(sentAt);

    expect(listed[0]).toMatchObject({
      source: 'docusign',
      to: [{ address: 'Alice@Example.org' }],
      subject: 'Please DocuSign: Data Access Agreement',
      links: ['https://docusign.localhost/signing/abc'],
    });
    expect(listed[1]).toMatchObject({
      source: 'acs',
      from: 'DoNotReply@notifications.localhost',
      to: [{ address: 'bob@example.org', displayName: hostileName }],
      subject: hostileSubject,
      text: 'Decide at https://requests.example.org/api/review-links/t1?a=1&b=2 please.',
      html: expect.stringContaining(
        '<a href="https://requests.example.org/api/review-links/t1?a=1&amp;b=2">',
      ),
      // The href decoded and the URL in the text are one link.
      links: ['https://requests.example.org/api/review-links/t1?a=1&b=2'],
    });
    expect(listed[2]).toMatchObject({ subject: 'First', cc: [{ address: 'carol@example.org' }], links: [] });
  });

  it('filters by recipient with ?to=, case-insensitively, over to and cc', async () => {
    expect((await messages('?to=alice%40example.org')).map((m) => m.id)).toEqual([docusign.id, first.id]);
    expect((await messages('?to=CAROL%40example.org')).map((m) => m.id)).toEqual([first.id]);
    expect(await messages('?to=nobody%40example.org')).toEqual([]);
  });

  it('answers one mail by id, and 404 with an error body for an unknown one', async () => {
    const one = await fixture.request(`/outbox/messages/${hostile.id}`);
    expect(JSON.parse(one.text)).toMatchObject({ id: hostile.id, subject: hostileSubject });
    const missing = await fixture.request('/outbox/messages/nope');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.text)).toMatchObject({ error: { code: 'NotFound' } });
    expect((await fixture.request('/outbox/messages/%E0%A4%A')).status).toBe(404);
  });
});

describe('/outbox page', () => {
  it('sends a CSP that forbids script and framing by others', async () => {
    const { csp } = await page('/outbox');
    const directives = new Map(
      csp.split(';').map((directive) => {
        const [name = '', ...values] = directive.trim().split(/\s+/);
        return [name, values] as const;
      }),
    );
    expect(directives.get('default-src')).toEqual(["'none'"]);
    // No script-src (so default-src 'none' applies) or an explicit 'none'.
    expect(directives.get('script-src') ?? ["'none'"]).toEqual(["'none'"]);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
  });

  it('lists mails newest first, DocuSign’s marked as such, every subject and address escaped', async () => {
    const { status, html } = await page('/outbox');
    expect(status).toBe(200);
    const rows = [...html.matchAll(/<tr data-message-id="([^"]+)"[\s\S]*?<\/tr>/g)];
    expect(rows.map((row) => row[1])).toEqual([docusign.id, hostile.id, first.id]);
    expect(rows[0]![0]).toContain('DocuSign');
    expect(rows[1]![0]).not.toContain('DocuSign');

    expect(html).not.toContain(hostileSubject);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt; &lt;bob@example.org&gt;');
  });

  it('filters by recipient and keeps the filter, escaped, in the form', async () => {
    const filtered = await page('/outbox?to=carol%40example.org');
    expect([...filtered.html.matchAll(/data-message-id="([^"]+)"/g)].map((m) => m[1])).toEqual([first.id]);
    expect(filtered.html).toContain('value="carol@example.org"');

    const injected = await page(`/outbox?to=${encodeURIComponent('"><script>alert(3)</script>')}`);
    expect(injected.html).not.toContain('<script>');
    expect(injected.html).toContain('value="&quot;&gt;&lt;script&gt;alert(3)&lt;/script&gt;"');
  });

  it('opens a mail: its HTML in a sandboxed iframe without script, its text part, its links', async () => {
    const { status, html } = await page(`/outbox/${hostile.id}`);
    expect(status).toBe(200);
    expect(html).toContain('<h1>&lt;img src=x onerror=alert(1)&gt;</h1>');
    expect(html).not.toContain(hostileSubject);

    const iframe = /<iframe\b([^>]*)>/.exec(html)?.[1] ?? '';
    const sandbox = (/\bsandbox="([^"]*)"/.exec(iframe)?.[1] ?? 'missing').split(/\s+/);
    expect(sandbox).not.toContain('allow-scripts');
    expect(sandbox).not.toContain('allow-same-origin');
    // Links in the mail may navigate the outbox tab (on a click) or open a new one.
    expect(sandbox).toEqual(
      expect.arrayContaining(['allow-top-navigation-by-user-activation', 'allow-popups']),
    );
    const srcdoc = decodeAttribute(/\bsrcdoc="([^"]*)"/.exec(iframe)?.[1] ?? '');
    expect(srcdoc).toContain(
      '<a href="https://requests.example.org/api/review-links/t1?a=1&amp;b=2">here</a>',
    );
    expect(srcdoc).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src 'none'/);
    expect(srcdoc).toContain('<base target="_top">');

    expect(html).toMatch(
      /<pre class="text-part">Decide at https:\/\/requests\.example\.org\/api\/review-links\/t1\?a=1&amp;b=2 please\.<\/pre>/,
    );
    expect(html).toContain(
      '<a href="https://requests.example.org/api/review-links/t1?a=1&amp;b=2">https://requests.example.org/api/review-links/t1?a=1&amp;b=2</a>',
    );
  });

  it('redirects / to the outbox and answers 404 for an unknown mail', async () => {
    const root = await fixture.request('/');
    expect([root.status, root.headers.location]).toEqual([302, '/outbox']);
    expect((await page('/outbox/no-such-mail')).status).toBe(404);
  });
});

describe('links of a mail', () => {
  it('takes links from the hrefs of anchors and the URLs of the text, nothing else (added last: the lists above count three mails)', async () => {
    const message = await fixture.standIn.deliver({
      source: 'docusign',
      from: 'dse@docusign.localhost',
      to: ['links@example.org'],
      subject: 'Links',
      text: 'Or paste https://ok.example/text-link.',
      html:
        `<div data-href="https://tracker.example/not-a-link">href=https://nor.example/this</div>` +
        `<a class="button" href='https://ok.example/anchor?a=1&amp;b=2'>Sign</a>` +
        `<a href="javascript:alert(1)">no</a><area shape="rect" href=https://ok.example/area>`,
    });
    const [listed] = await messages('?to=links%40example.org');
    expect(listed?.id).toBe(message.id);
    expect(listed?.links).toEqual([
      'https://ok.example/anchor?a=1&b=2',
      'https://ok.example/area',
      'https://ok.example/text-link',
    ]);
  });
});
