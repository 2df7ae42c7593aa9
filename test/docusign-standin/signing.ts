/** A recipient acting on the DocuSign stand-in's signing page (no SDK involved: what a person's browser does). */
import https from 'node:https';
import type { DocuSignStandIn } from '../../infra/local/standins/docusign';

/** Signs (or declines) as a recipient on the stand-in's signing page, when it is their turn. */
export async function actAsRecipient(
  standIn: DocuSignStandIn,
  caPem: string,
  envelopeId: string,
  action: 'sign' | 'decline',
  reason = '',
): Promise<string> {
  const pending = standIn.pendingSignatures().find((each) => each.envelopeId === envelopeId);
  if (pending === undefined) throw new Error(`nobody's turn on ${envelopeId}`);
  const target = new URL(pending.url);
  const form = new URLSearchParams({ token: target.searchParams.get('token')!, action, reason });
  const status = await new Promise<number>((resolve, reject) => {
    const request = https.request(
      `${target.origin}${target.pathname}`,
      { method: 'POST', ca: caPem, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    request.on('error', reject);
    request.end(form.toString());
  });
  if (status !== 303) throw new Error(`signing page answered ${status}`);
  return pending.recipientId;
}
