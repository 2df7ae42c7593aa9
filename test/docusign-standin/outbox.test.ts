/** DocuSign's "please sign" mails, on the system `npm start` runs: in the one outbox, marked as DocuSign's. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freeStandInPorts, startStandIns, type StandIns } from '../../infra/local/standins';
import { envelopesApi, tinyPdfDocument, trustStandIn } from './support';

let standIns: StandIns;

beforeAll(async () => {
  standIns = await startStandIns({ ports: freeStandInPorts });
  trustStandIn(standIns.docuSign.origin, standIns.certificates.caPem);
});

afterAll(async () => {
  await standIns?.close();
});

it('puts the signing mail in the outbox, marked as DocuSign, with the signing link', async () => {
  const { api, accountId } = await envelopesApi(standIns.docuSign);
  await api.createEnvelope(accountId, {
    envelopeDefinition: {
      emailSubject: 'Please sign the Data Access Agreement',
      status: 'sent',
      documents: [tinyPdfDocument],
      recipients: {
        signers: [{ email: 'pi@example.org', name: 'P. I.', recipientId: '1', routingOrder: '1' }],
      },
    },
  });
  const [signing] = standIns.docuSign.pendingSignatures();
  await expect.poll(() => standIns.acsEmail.outbox.list().length).toBe(1);
  const [mail] = standIns.acsEmail.outbox.list();
  expect(mail).toMatchObject({
    source: 'docusign',
    to: [{ address: 'pi@example.org' }],
    subject: expect.stringContaining('Please sign the Data Access Agreement'),
  });
  expect(mail?.links).toContain(signing?.url);
});
