/**
 * The DocuSign stand-in's pages for people: a recipient's signing page (the document embedded, the prefilled
 * values, Sign and Decline-with-reason when it is their turn) and the list of pending signatures. Plain HTML
 * forms, no scripts; the recipient's token travels in the form, never in a cookie.
 */
import type { PendingSignature, SigningView } from './envelopes';
import { escapeHtml as h } from './http';
import type { StoredSigner, Tabs } from './model';

const style = `body{font:15px/1.45 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d2330}
header{background:#1e2a78;color:#fff;padding:12px 24px}main{max-width:1000px;margin:0 auto;padding:16px 24px}
section{background:#fff;border-radius:8px;padding:16px;margin:12px 0;box-shadow:0 1px 2px #0002}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:4px 8px;border-bottom:1px solid #e3e5ea}
iframe{width:100%;height:70vh;border:1px solid #ccd}button{font:inherit;padding:8px 18px;border-radius:6px;border:0;cursor:pointer}
.sign{background:#ffcc22}.decline{background:#e4e6eb}textarea{width:100%;min-height:4em;font:inherit}
.status{font-weight:600}.muted{color:#667}`;

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${h(title)}</title><style>${style}</style></head><body><header><strong>DocuSign</strong> · local stand-in</header>
<main>${body}</main></body></html>`;
}

export function signingPage(view: SigningView, notice?: string): string {
  const { envelopeId, signer, token } = view;
  const base = `/signing/${encodeURIComponent(envelopeId)}/${encodeURIComponent(signer.recipientId)}`;
  const query = `token=${encodeURIComponent(token)}`;
  const documents = view.documents
    .map(
      (document) =>
        `<h3>${h(document.name)}</h3><iframe title="${h(document.name)}" src="${base}/documents/${encodeURIComponent(document.documentId)}?${query}"></iframe>
<p><a href="${base}/documents/${encodeURIComponent(document.documentId)}?${query}">Open ${h(document.name)}</a></p>`,
    )
    .join('');
  return page(
    view.emailSubject || 'Document to sign',
    `<h1>${h(view.emailSubject || 'Document to sign')}</h1>
${notice === undefined ? '' : `<section role="status"><strong>${h(notice)}</strong></section>`}
<section><p>Signing as <strong>${h(signer.name)}</strong> &lt;${h(signer.email)}&gt;. ${statusLine(view)}</p>
${view.emailBlurb === undefined ? '' : `<p>${h(view.emailBlurb)}</p>`}
${routingTable(view.signers)}</section>
<section><h2>Your prefilled fields</h2>${tabsTable(signer.tabs)}</section>
<section>${documents}</section>
${view.yourTurn ? actions(base, token) : ''}`,
  );
}

function statusLine(view: SigningView): string {
  if (view.signer.status === 'completed') return '<span class="status">You have signed.</span>';
  if (view.signer.status === 'declined') return '<span class="status">You declined to sign.</span>';
  if (view.envelopeStatus === 'completed') return '<span class="status">Everyone has signed.</span>';
  if (view.envelopeStatus === 'voided' || view.envelopeStatus === 'declined') {
    return `<span class="status">This envelope is ${h(view.envelopeStatus)}; it can no longer be signed.</span>`;
  }
  if (view.yourTurn) return '<span class="status">It is your turn to sign.</span>';
  const names = view.waitingFor.map((each) => h(each.name)).join(', ');
  return `<span class="status">Not your turn yet</span> — waiting for ${names || 'earlier recipients'} to sign first.`;
}

function routingTable(signers: readonly StoredSigner[]): string {
  const rows = [...signers]
    .sort((a, b) => a.routingOrder - b.routingOrder)
    .map((each) => `<tr><td>${each.routingOrder}</td><td>${h(each.name)}</td><td>${h(each.status)}</td></tr>`)
    .join('');
  return `<table><thead><tr><th>Order</th><th>Recipient</th><th>Status</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function tabsTable(tabs: Tabs | undefined): string {
  const rows = Object.entries(tabs ?? {}).flatMap(([type, list]) =>
    list.map((tab) => {
      const value =
        tab.value ?? (tab.selected === undefined ? '' : String(tab.selected) === 'true' ? '☑' : '☐');
      const locked = String(tab.locked) === 'true' ? 'locked' : '';
      return `<tr><td>${h(tab.tabLabel ?? type)}</td><td>${h(value)}</td><td class="muted">${h(type)} ${locked}</td></tr>`;
    }),
  );
  if (rows.length === 0) return '<p class="muted">No prefilled fields.</p>';
  return `<table><thead><tr><th>Field</th><th>Value</th><th></th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function actions(base: string, token: string): string {
  return `<section><h2>Sign</h2>
<form method="post" action="${base}"><input type="hidden" name="token" value="${h(token)}"><input type="hidden" name="action" value="sign">
<p>By selecting Sign you adopt a signature and sign this document electronically.</p><button class="sign">Sign</button></form></section>
<section><h2>Decline to sign</h2>
<form method="post" action="${base}"><input type="hidden" name="token" value="${h(token)}"><input type="hidden" name="action" value="decline">
<label for="reason">Reason for declining (required)</label><textarea id="reason" name="reason" required maxlength="2000"></textarea>
<p><button class="decline">Decline</button></p></form></section>`;
}

export function pendingPage(pending: readonly PendingSignature[], mailWired: boolean): string {
  const rows = pending
    .map(
      (each) =>
        `<tr><td>${h(each.emailSubject)}</td><td>${h(each.name)} &lt;${h(each.email)}&gt;</td><td>${each.routingOrder}</td><td><a href="${h(each.url)}">Sign</a></td></tr>`,
    )
    .join('');
  return page(
    'Pending signatures',
    `<h1>Pending signatures</h1>
<p class="muted">${mailWired ? 'The "please sign" mails also go to the local outbox.' : 'Mails are not wired to an outbox: sign from here.'} JSON: <a href="/pending.json">/pending.json</a></p>
<section>${
      rows === ''
        ? '<p>No envelope is waiting for a signature.</p>'
        : `<table><thead><tr><th>Envelope</th><th>Recipient</th><th>Order</th><th></th></tr></thead><tbody>${rows}</tbody></table>`
    }</section>`,
  );
}

export function errorPage(status: number, message: string): string {
  return page(`Error ${status}`, `<h1>${h(message)}</h1>`);
}
