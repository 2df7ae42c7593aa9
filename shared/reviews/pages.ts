/**
 * The HTML a committee member sees from the e-mailed link: the request and a decision form (a plain POST,
 * no script), the confirmation, and a clear page for a link that does not work. Every value is escaped
 * (`html`), the one stylesheet is allowed by its hash, nothing else may load, and no other site may frame
 * the page or learn its address (which carries the token) from a referrer.
 */
import { createHash } from 'node:crypto';
import { html, SafeHtml } from '../notifications/domain/html';
import type { ReviewDecision, ReviewRound } from './model';
import type { LinkRefusal, ReviewPage } from './use-cases/review-decisions';

const stylesheet = [
  'body{font-family:Arial,Helvetica,sans-serif;font-size:15px;line-height:1.5;color:#1f2328;max-width:52rem;margin:2rem auto;padding:0 1rem}',
  'h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}',
  'dt{font-weight:bold}dd{margin:0 0 .5rem 0}',
  'table{border-collapse:collapse}td,th{border:1px solid #d0d7de;padding:4px 8px;text-align:left}',
  'fieldset{border:1px solid #d0d7de;margin:1rem 0}textarea{width:100%;min-height:5rem}',
  '.error{color:#b00020;font-weight:bold}.note{color:#57606a;font-size:13px}',
  'button{padding:8px 16px;background:#0969da;color:#fff;border:0;border-radius:6px}',
].join('');

const styleHash = createHash('sha256').update(stylesheet).digest('base64');
/** Built outside the page template, so that the element's text is exactly what the hash covers. */
const styleElement = new SafeHtml(`<style>${stylesheet}</style>`);

/** Headers of every page served from a review link. */
export const reviewPageHeaders: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': `default-src 'none'; style-src 'sha256-${styleHash}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
};

const day = new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeZone: 'UTC' });
const moment = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });
const formatDay = (iso: string) => day.format(new Date(iso));
const formatMoment = (iso: string) => `${moment.format(new Date(iso))} UTC`;

const verdictWords: Record<ReviewDecision['verdict'], string> = {
  approve: 'approved',
  reject: 'rejected',
  return: 'returned the agreement for revision',
};

const ruleWords: Record<ReviewRound['rule'], string> = {
  first: 'the first member’s decision decides',
  majority: 'a majority of the committee decides',
  unanimous: 'every member must approve; one rejection rejects',
};

function page(title: string, body: SafeHtml): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>${title}</title>
        ${styleElement}
      </head>
      <body>
        ${body}
      </body>
    </html>`.value;
}

function bytes(count: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let value = count;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return unit === 0 ? `${count} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

export interface DecisionFormState {
  readonly error?: string;
  readonly values?: { readonly verdict?: string; readonly reason?: string; readonly remark?: string };
}

/** The decision page: the request, the agreement, what was decided so far, and the form. */
export function renderReviewPage(view: ReviewPage, token: string, form: DecisionFormState = {}): string {
  const { request, dau, round, agreement } = view;
  const checked = (verdict: string) => (form.values?.verdict === verdict ? html` checked` : false);
  const agreementPart =
    agreement.kind === 'uploaded'
      ? html`<p>
          <a href="${agreement.link}"
            >Open the signed agreement (version ${agreement.upload.version}, PDF,
            ${bytes(agreement.upload.bytes)})</a
          >
          — uploaded ${formatMoment(agreement.upload.uploadedAt)}.
          <span class="note">The link works for a few minutes; reload this page for a new one.</span>
        </p>`
      : agreement.kind === 'electronic'
        ? html`<p>Signed electronically in DocuSign by:</p>
            <ul>
              ${agreement.signers.map((signer) => html`<li>${signer}</li>`)}
            </ul>`
        : html`<p>No agreement document is on file.</p>`;
  const revision =
    round.revision === null
      ? false
      : html`<p>
          <strong>This is review round ${round.round}:</strong> the requester uploaded a revised agreement
          (version ${round.revision.version}) after it was returned.
        </p>`;
  const decisions =
    view.decisions.length === 0
      ? html`<p>No decisions yet.</p>`
      : html`<table>
          <thead>
            <tr>
              <th>Round</th>
              <th>Member</th>
              <th>Decision</th>
              <th>Reason</th>
              <th>Remark</th>
              <th>When</th>
            </tr>
          </thead>
          <tbody>
            ${view.decisions.map(
              (decision) =>
                html`<tr>
                  <td>${decision.round}</td>
                  <td>${decision.member.name}</td>
                  <td>${verdictWords[decision.verdict]}</td>
                  <td>${decision.reason ?? ''}</td>
                  <td>
                    ${decision.remark === null ? '' : `${decision.remark.text} (${decision.remark.visibility === 'requester' ? 'also to the requester' : 'committee only'})`}
                  </td>
                  <td>${formatMoment(decision.decidedAt)}</td>
                </tr>`,
            )}
          </tbody>
        </table>`;
  return page(
    `Decide: ${request.projectName} (${dau.name})`,
    html`<h1>${request.projectName}</h1>
      <p>
        You are deciding, as ${view.member.name} &lt;${view.member.email}&gt;, on access to
        <strong>${dau.name} (${dau.id})</strong>. Please decide by
        <strong>${formatDay(round.deadline)}</strong>. Rule: ${ruleWords[round.rule]}.
      </p>
      ${revision}
      <h2>The request</h2>
      <dl>
        <dt>Requester</dt>
        <dd>
          ${request.requester.name ?? 'Unknown'}
          ${request.requester.email === null ? '' : `<${request.requester.email}>`}
        </dd>
        <dt>Institution</dt>
        <dd>
          ${request.institution ?? 'Not given'}${request.country === null ? '' : ` (${request.country})`}
        </dd>
        <dt>Principal investigator</dt>
        <dd>${request.principalInvestigator ?? 'Not given'}</dd>
        <dt>Contemplated use</dt>
        <dd>${request.contemplatedUse ?? 'Not given'}</dd>
        <dt>Submitted</dt>
        <dd>${request.submittedAt === null ? 'Not submitted' : formatMoment(request.submittedAt)}</dd>
      </dl>
      <h2>The data</h2>
      <p>
        In ${dau.name} the selection holds
        <strong
          >${dau.counts.samples} samples (${dau.counts.subjects} subjects), ${dau.counts.files} files,
          ${bytes(dau.counts.bytes)}</strong
        >. The whole selection: ${request.counts.samples} samples, ${request.counts.files} files,
        ${bytes(request.counts.bytes)}, across these DAUs:
      </p>
      <ul>
        ${request.daus.map((item) => html`<li>${item.name} (${item.id}): ${item.files} files</li>`)}
      </ul>
      <h2>The agreement</h2>
      ${agreementPart}
      <h2>Decisions and remarks so far</h2>
      ${decisions}
      <h2>Your decision</h2>
      ${form.error === undefined ? false : html`<p class="error" role="alert">${form.error}</p>`}
      <form method="post" action="${token}">
        <fieldset>
          <legend>Decision</legend>
          <p>
            <label
              ><input type="radio" name="verdict" value="approve" required${checked('approve')} /> Approve
              access to ${dau.name}</label
            >
          </p>
          <p>
            <label
              ><input type="radio" name="verdict" value="reject" ${checked('reject')} /> Reject (say why
              below)</label
            >
          </p>
          <p>
            <label
              ><input type="radio" name="verdict" value="return" ${checked('return')} /> Return the agreement
              for revision (say what must change below)</label
            >
          </p>
        </fieldset>
        <p>
          <label for="reason"
            >Reason, or what must change (required to reject or return; the requester reads it)</label
          >
          <textarea id="reason" name="reason" maxlength="2000">${form.values?.reason ?? ''}</textarea>
        </p>
        <p>
          <label for="remark">Remark (optional)</label>
          <textarea id="remark" name="remark" maxlength="2000">${form.values?.remark ?? ''}</textarea>
        </p>
        <p>
          <label
            ><input type="radio" name="remarkVisibility" value="committee" checked /> Remark for the committee
            only</label
          >
          <label
            ><input type="radio" name="remarkVisibility" value="requester" /> Remark for the requester
            too</label
          >
        </p>
        <p><button type="submit">Record my decision</button></p>
        <p class="note">
          Opening this page records nothing; only this button does. Your decision is final for this round.
        </p>
      </form>`,
  );
}

/** After a decision was recorded (or a repeat of it). */
export function renderRecordedPage(decision: ReviewDecision, replayed: boolean): string {
  return page(
    'Decision recorded',
    html`<h1>Decision recorded</h1>
      <p>
        You ${verdictWords[decision.verdict]} (${decision.dauId}, review round ${decision.round}) on
        ${formatMoment(decision.decidedAt)}.
      </p>
      ${decision.reason === null ? false : html`<p>Reason: ${decision.reason}</p>`}
      ${replayed ? html`<p class="note">This decision had already been recorded; nothing changed.</p>` : false}
      <p>Thank you. You can close this page.</p>`,
  );
}

const refusals: { readonly [K in LinkRefusal['kind']]: { status: number; title: string } } = {
  invalid: { status: 404, title: 'This link is not valid' },
  expired: { status: 410, title: 'This link has expired' },
  used: { status: 410, title: 'This link has been used' },
  closed: { status: 410, title: 'This review is no longer open' },
};

const closedWhy: Record<Extract<LinkRefusal, { kind: 'closed' }>['why'], string> = {
  decided: 'The committee has reached its decision on this DAU.',
  returned:
    'The agreement was returned to the requester for revision. You will get a new link when the revised agreement arrives.',
  superseded: 'A revised agreement opened a new review round; use the link in the newer e-mail.',
  withdrawn: 'The requester withdrew the request.',
};

/** A link that does not open (or no longer does): the status to answer, and a page saying why. */
export function renderRefusalPage(refusal: LinkRefusal): { status: number; body: string } {
  const { status, title } = refusals[refusal.kind];
  const detail =
    refusal.kind === 'invalid'
      ? html`<p>
          The address is incomplete, altered, or not for a review here. Open the link exactly as it is in your
          e-mail.
        </p>`
      : refusal.kind === 'expired'
        ? html`<p>
            Decision links work for a limited time. A reminder e-mail brings a fresh one, or sign in and
            decide from your review queue.
          </p>`
        : refusal.kind === 'used'
          ? html`<p>
              You already ${verdictWords[refusal.decision.verdict]} on
              ${formatMoment(refusal.decision.decidedAt)} (review round ${refusal.decision.round}). A decision
              is final.
            </p>`
          : html`<p>${closedWhy[refusal.why]}</p>`;
  return {
    status,
    body: page(
      title,
      html`<h1>${title}</h1>
        ${detail}`,
    ),
  };
}

/** A failure as a page with its status (never a stack trace). */
export function renderErrorPage(
  status: number,
  title: string,
  detail: string,
): { status: number; body: string } {
  return {
    status,
    body: page(
      title,
      html`<h1>${title}</h1>
        <p>${detail}</p>`,
    ),
  };
}
