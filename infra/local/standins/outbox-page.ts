/**
 * The outbox pages a person reads mails on: `/outbox` (newest first, filtered by recipient) and
 * `/outbox/{id}` (one mail: its headers, its links, its text part, and its HTML part in a sandboxed iframe).
 *
 * The pages themselves run no script. A mail's HTML is shown through `srcdoc` in an iframe sandboxed without
 * `allow-scripts` and under this page's CSP (which a srcdoc document inherits), so markup in a mail can
 * neither run script nor reach the outbox; its links open in the top window when clicked.
 */
import { html, type SafeHtml } from '../../../shared/notifications/domain/html';
import type { MailAddress, OutboxMessage } from './outbox';

/** Sent with every outbox page: no script anywhere, no plugins, no framing by other sites. */
export const outboxPageCsp = [
  "default-src 'none'",
  "style-src 'unsafe-inline'",
  'img-src data: http: https:',
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/** What the mail's own document is held to, on top of the sandbox and the inherited page CSP. */
const mailDocumentCsp = "default-src 'none'; style-src 'unsafe-inline'; img-src data: http: https:";

const style = html`<style>
  body {
    font:
      15px/1.45 system-ui,
      sans-serif;
    margin: 0;
    color: #1f2328;
    background: #f6f8fa;
  }
  header {
    background: #24292f;
    color: #fff;
    padding: 10px 20px;
    display: flex;
    gap: 16px;
    align-items: center;
  }
  header a {
    color: #fff;
  }
  main {
    padding: 16px 20px;
    max-width: 1100px;
  }
  table {
    border-collapse: collapse;
    width: 100%;
    background: #fff;
  }
  th,
  td {
    text-align: left;
    padding: 6px 10px;
    border-bottom: 1px solid #d0d7de;
    vertical-align: top;
  }
  .source {
    font-size: 12px;
    padding: 1px 6px;
    border-radius: 8px;
    background: #ddf4ff;
  }
  .source-docusign {
    background: #fff1c2;
  }
  pre {
    white-space: pre-wrap;
    background: #fff;
    padding: 12px;
    border: 1px solid #d0d7de;
  }
  iframe {
    width: 100%;
    height: 520px;
    border: 1px solid #d0d7de;
    background: #fff;
  }
  .empty {
    color: #57606a;
  }
</style>`;

function page(title: string, body: SafeHtml, to = ''): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>${title}</title>
        ${style}
      </head>
      <body>
        <header>
          <strong>Outbox</strong><a href="/outbox">all mail</a>
          <form method="get" action="/outbox">
            <input
              name="to"
              type="email"
              value="${to}"
              placeholder="recipient address"
              aria-label="recipient"
            />
            <button type="submit">Filter</button>
          </form>
        </header>
        <main>${body}</main>
      </body>
    </html>`.value;
}

function addresses(list: readonly MailAddress[]): string {
  return list
    .map((entry) => (entry.displayName ? `${entry.displayName} <${entry.address}>` : entry.address))
    .join(', ');
}

function sourceBadge(message: OutboxMessage): SafeHtml {
  const label = message.source === 'docusign' ? 'DocuSign' : 'ACS Email';
  return html`<span class="source source-${message.source}" data-source="${message.source}">${label}</span>`;
}

export function renderOutboxList(messages: readonly OutboxMessage[], to: string | undefined): string {
  const heading = to === undefined || to === '' ? 'All mail' : `Mail to ${to}`;
  const rows = messages.map(
    (message) =>
      html`<tr data-message-id="${message.id}">
        <td>${message.sentAt}</td>
        <td>${sourceBadge(message)}</td>
        <td>${addresses(message.to)}</td>
        <td><a href="/outbox/${encodeURIComponent(message.id)}">${message.subject || '(no subject)'}</a></td>
      </tr>`,
  );
  const body =
    messages.length === 0
      ? html`<h1>${heading}</h1>
          <p class="empty">No mail yet.</p>`
      : html`<h1>${heading} (${messages.length})</h1>
          <table>
            <thead>
              <tr>
                <th>Sent</th>
                <th>Via</th>
                <th>To</th>
                <th>Subject</th>
              </tr>
            </thead>
            <tbody>
              ${rows}
            </tbody>
          </table>`;
  return page(heading, body, to);
}

export function renderOutboxMessage(message: OutboxMessage): string {
  const field = (name: string, value: string) =>
    value === ''
      ? html``
      : html`<tr>
          <th>${name}</th>
          <td>${value}</td>
        </tr>`;
  const body = html`<h1>${message.subject || '(no subject)'}</h1>
    <table>
      ${field('From', message.from)}${field('Reply-To', addresses(message.replyTo))}
      ${field('To', addresses(message.to))}${field('Cc', addresses(message.cc))}${field('Bcc', addresses(message.bcc))}
      ${field('Sent', message.sentAt)}
      <tr>
        <th>Via</th>
        <td>${sourceBadge(message)}</td>
      </tr>
      ${field('Attachments', message.attachments.map((a) => `${a.name} (${a.contentType}, ${a.bytes} bytes)`).join(', '))}
    </table>
    <h2>Links</h2>
    ${
      message.links.length === 0
        ? html`<p class="empty">None.</p>`
        : html`<ul class="links">
            ${message.links.map((link) => html`<li><a href="${link}">${link}</a></li>`)}
          </ul>`
    }
    ${
      message.html === undefined
        ? html``
        : html`<h2>HTML</h2>
            <iframe
              title="HTML part"
              sandbox="allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation"
              referrerpolicy="no-referrer"
              srcdoc="${mailDocument(message.html)}"
            ></iframe>`
    }
    ${
      message.text === undefined
        ? html``
        : html`<h2>Text</h2>
            <pre class="text-part">${message.text}</pre>`
    }`;
  return page(message.subject || 'Mail', body);
}

/** The mail's HTML as the iframe's document: its own CSP first, and links aimed at the top window. */
function mailDocument(mailHtml: string): string {
  return `<!doctype html><meta http-equiv="Content-Security-Policy" content="${mailDocumentCsp}"><base target="_top">${mailHtml}`;
}
