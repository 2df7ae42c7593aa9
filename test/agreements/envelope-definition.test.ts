/** The envelope built from a request's answers, checked without DocuSign. */
import { describe, expect, it } from 'vitest';
import {
  agreementIdempotencyKey,
  buildEnvelopeDefinition,
  connectEvents,
  type EnvelopeOptions,
} from '../../shared/agreements/envelope-definition';
import { agreementSubjectSchema, signatoriesOf } from '../../shared/agreements/model';
import { agreementSubject } from './support';

const options: EnvelopeOptions = {
  webhookUrl: 'https://app.example.org/api/webhooks/docusign',
  reminderDelayDays: 2,
  reminderFrequencyDays: 3,
  expireAfterDays: 30,
};
const template = Buffer.from('%PDF-1.4\n% template\n%%EOF\n');

type Signer = {
  recipientId: string;
  routingOrder: string;
  name: string;
  email: string;
  roleName: string;
  tabs: Record<string, Record<string, string>[]>;
};
const signersOf = (definition: ReturnType<typeof buildEnvelopeDefinition>) =>
  definition.recipients.signers as unknown as Signer[];

describe('recipients', () => {
  it('are in routing order: requester, PI, additional applicants, institutional authority, ISO (download)', () => {
    const signers = signersOf(buildEnvelopeDefinition(agreementSubject(), template, options));
    expect(
      signers.map((signer) => [signer.recipientId, signer.routingOrder, signer.email, signer.roleName]),
    ).toEqual([
      ['1', '1', 'ada@example.org', 'requester'],
      ['2', '2', 'pat@example.org', 'principalInvestigator'],
      ['3', '3', 'ann@example.org', 'additionalApplicant'],
      ['4', '4', 'bob@example.org', 'additionalApplicant'],
      ['5', '5', 'ines@example.org', 'institutionalAuthority'],
      ['6', '6', 'iso@example.org', 'informationSecurityOfficer'],
    ]);
    for (const signer of signers) {
      expect(signer.tabs['signHereTabs']).toHaveLength(1);
      expect(signer.tabs['dateSignedTabs']).toHaveLength(1);
    }
  });

  it('leave the ISO out when no download was asked', () => {
    const signers = signersOf(
      buildEnvelopeDefinition(agreementSubject({ downloadRequested: false }), template, options),
    );
    expect(signers.map((signer) => signer.email)).not.toContain('iso@example.org');
    expect(signers.at(-1)?.roleName).toBe('institutionalAuthority');
  });

  it('refuse a download without an ISO, in the schema and in the builder', () => {
    const subject = agreementSubject({ informationSecurityOfficer: undefined });
    expect(agreementSubjectSchema.safeParse(subject).error?.issues[0]?.path).toEqual([
      'informationSecurityOfficer',
    ]);
    expect(() => buildEnvelopeDefinition(subject, template, options)).toThrow(/information security officer/);
  });

  it('have one place per person: a requester who is the PI signs once, for both roles', () => {
    const ada = { name: 'Ada Requester', email: 'ADA@example.org' };
    const signatories = signatoriesOf(
      agreementSubject({ principalInvestigator: ada, additionalApplicants: [] }),
    );
    expect(signatories.map((each) => [each.routingOrder, each.email.toLowerCase(), each.roles])).toEqual([
      [1, 'ada@example.org', ['requester', 'principalInvestigator']],
      [2, 'ines@example.org', ['institutionalAuthority']],
      [3, 'iso@example.org', ['informationSecurityOfficer']],
    ]);
  });

  it('keep names within DocuSign’s 100 characters', () => {
    const long = { name: 'N'.repeat(180), email: 'long@example.org' };
    const signers = signersOf(
      buildEnvelopeDefinition(agreementSubject({ requester: long }), template, options),
    );
    expect(signers[0]!.name).toHaveLength(100);
  });
});

describe('content', () => {
  const definition = buildEnvelopeDefinition(agreementSubject(), template, options);
  const [first, ...others] = signersOf(definition);

  it('is the template as the one document, a draft', () => {
    expect(definition.status).toBe('created');
    expect(definition.documents).toEqual([
      {
        documentId: '1',
        name: 'Data Access Agreement',
        fileExtension: 'pdf',
        documentBase64: template.toString('base64'),
      },
    ]);
    expect(definition.emailSubject).toBe('Data Access Agreement: Osteosarcoma relapse');
  });

  it('carries the answers as locked, prefilled tabs (once, on the first signer)', () => {
    const tabs = first!.tabs['textTabs']!;
    expect(tabs.every((tab) => tab['locked'] === 'true' && tab['documentId'] === '1')).toBe(true);
    expect(Object.fromEntries(tabs.map((tab) => [tab['tabLabel'], tab['value']]))).toEqual({
      requestId: '0b8a2f5e-7a53-4b3f-9d0e-3f1f3c2b9a10',
      projectName: 'Osteosarcoma relapse',
      institution: 'Example University',
      principalInvestigator: 'Pat Investigator <pat@example.org>',
      institutionalAuthority: 'Ines Authority <ines@example.org>',
      additionalApplicants: 'Ann Applicant; Bob Applicant',
      downloadRequested: 'yes',
      contemplatedUse: 'Compare relapse and diagnosis samples of paired tumor-normal WGS.',
      dataAccessUnits: 'Pediatric Cancer Genome Project; St. Jude Lifetime',
    });
    for (const signer of others) expect(signer.tabs['textTabs']).toBeUndefined();
  });

  it('marks every covered DAU with a locked, ticked checkbox', () => {
    expect(
      first!.tabs['checkboxTabs']!.map((tab) => [
        tab['tabLabel'],
        tab['name'],
        tab['selected'],
        tab['locked'],
      ]),
    ).toEqual([
      ['dau:dau-pcgp', 'Pediatric Cancer Genome Project', 'true', 'true'],
      ['dau:dau-sjlife', 'St. Jude Lifetime', 'true', 'true'],
    ]);
  });

  it('names the request and its idempotency key in hidden custom fields', () => {
    expect(definition.customFields.textCustomFields).toEqual([
      { name: 'requestId', value: '0b8a2f5e-7a53-4b3f-9d0e-3f1f3c2b9a10', show: 'false', required: 'false' },
      {
        name: 'idempotencyKey',
        value: agreementIdempotencyKey('0b8a2f5e-7a53-4b3f-9d0e-3f1f3c2b9a10'),
        show: 'false',
        required: 'false',
      },
    ]);
  });

  it('takes reminders and expiry from the settings', () => {
    expect(definition.notification).toEqual({
      useAccountDefaults: 'false',
      reminders: { reminderEnabled: 'true', reminderDelay: '2', reminderFrequency: '3' },
      expirations: { expireEnabled: 'true', expireAfter: '30', expireWarn: '3' },
    });
    const none = buildEnvelopeDefinition(agreementSubject(), template, {
      ...options,
      reminderDelayDays: 0,
      expireAfterDays: 1,
    });
    expect(none.notification).toMatchObject({
      reminders: { reminderEnabled: 'false' },
      expirations: { expireAfter: '1', expireWarn: '0' },
    });
  });

  it('asks for envelope-level Connect to the webhook, with HMAC, acknowledgement and JSON SIM', () => {
    expect(definition.eventNotification).toEqual({
      url: 'https://app.example.org/api/webhooks/docusign',
      requireAcknowledgment: 'true',
      loggingEnabled: 'true',
      deliveryMode: 'SIM',
      includeHMAC: 'true',
      events: [...connectEvents],
      eventData: { version: 'restv2.1', format: 'json', includeData: ['recipients', 'custom_fields'] },
    });
    expect(connectEvents).toEqual(
      expect.arrayContaining([
        'envelope-completed',
        'envelope-declined',
        'envelope-voided',
        'recipient-completed',
      ]),
    );
  });
});
