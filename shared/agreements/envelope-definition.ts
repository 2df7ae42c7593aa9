/**
 * Builds the envelope for a request, apart from the API call (so it can be checked without DocuSign): the
 * agreement template as the one document, the wizard's answers as locked prefilled tabs on the first
 * signer, every covered DAU marked with a locked, ticked checkbox, each signatory with a signature and date
 * in routing order, reminders and expiry from settings, envelope-level Connect to our webhook with HMAC,
 * and custom fields naming the request and the idempotency key (so a host killed after creating the
 * envelope finds it again instead of creating another).
 *
 * The shape is DocuSign's REST `EnvelopeDefinition` (v2.1); booleans and numbers are strings there.
 */
import { signatoriesOf, type AgreementSubject, type Signatory } from './model';

export interface EnvelopeOptions {
  /** Absolute URL of `POST /api/webhooks/docusign`. */
  readonly webhookUrl: string;
  readonly reminderDelayDays: number;
  readonly reminderFrequencyDays: number;
  readonly expireAfterDays: number;
}

/** Custom field names the app reads back. */
export const envelopeFields = { requestId: 'requestId', idempotencyKey: 'idempotencyKey' } as const;

/** The Connect events the app listens to. */
export const connectEvents = [
  'envelope-sent',
  'envelope-delivered',
  'envelope-completed',
  'envelope-declined',
  'envelope-voided',
  'recipient-sent',
  'recipient-delivered',
  'recipient-completed',
  'recipient-declined',
] as const;

/** One envelope per request: the key a create is recognised by after a crash. */
export function agreementIdempotencyKey(requestId: string): string {
  return `daa:${requestId}`;
}

export interface TextTab {
  readonly tabLabel: string;
  readonly value: string;
  readonly locked: 'true';
  readonly documentId: '1';
  readonly pageNumber: '1';
  readonly xPosition: string;
  readonly yPosition: string;
}

export interface EnvelopeDefinition {
  readonly emailSubject: string;
  readonly emailBlurb: string;
  readonly status: 'created';
  readonly documents: readonly {
    readonly documentId: string;
    readonly name: string;
    readonly fileExtension: 'pdf';
    readonly documentBase64: string;
  }[];
  readonly recipients: { readonly signers: readonly Record<string, unknown>[] };
  readonly customFields: {
    readonly textCustomFields: readonly { name: string; value: string; show: 'false'; required: 'false' }[];
  };
  readonly notification: Record<string, unknown>;
  readonly eventNotification: Record<string, unknown>;
}

/** Layout on the template's page (DocuSign positions: pixels at 72 dpi from the top-left corner). */
const layout = { left: 72, answersTop: 330, lineHeight: 16, signaturesTop: 520, signatureHeight: 34 };

export function buildEnvelopeDefinition(
  subject: AgreementSubject,
  templatePdf: Uint8Array,
  options: EnvelopeOptions,
): EnvelopeDefinition {
  const signatories = signatoriesOf(subject);
  return {
    emailSubject: truncate(`Data Access Agreement: ${subject.projectName}`, 100),
    emailBlurb: `Please sign the Data Access Agreement for "${subject.projectName}" (request ${subject.requestId}).`,
    status: 'created',
    documents: [
      {
        documentId: '1',
        name: 'Data Access Agreement',
        fileExtension: 'pdf',
        documentBase64: Buffer.from(templatePdf).toString('base64'),
      },
    ],
    recipients: {
      signers: signatories.map((signatory, index) => signerOf(signatory, index, subject)),
    },
    customFields: {
      textCustomFields: [
        { name: envelopeFields.requestId, value: subject.requestId, show: 'false', required: 'false' },
        {
          name: envelopeFields.idempotencyKey,
          value: agreementIdempotencyKey(subject.requestId),
          show: 'false',
          required: 'false',
        },
      ],
    },
    notification: {
      useAccountDefaults: 'false',
      reminders: {
        reminderEnabled: String(options.reminderDelayDays > 0 && options.reminderFrequencyDays > 0),
        reminderDelay: String(options.reminderDelayDays),
        reminderFrequency: String(options.reminderFrequencyDays),
      },
      expirations: {
        expireEnabled: 'true',
        expireAfter: String(options.expireAfterDays),
        // Warn up to three days before expiry, never at or before the sending (0 = no warning).
        expireWarn: String(Math.max(0, Math.min(3, options.expireAfterDays - 1))),
      },
    },
    eventNotification: {
      url: options.webhookUrl,
      requireAcknowledgment: 'true',
      loggingEnabled: 'true',
      deliveryMode: 'SIM',
      includeHMAC: 'true',
      events: [...connectEvents],
      eventData: { version: 'restv2.1', format: 'json', includeData: ['recipients', 'custom_fields'] },
    },
  };
}

function signerOf(signatory: Signatory, index: number, subject: AgreementSubject): Record<string, unknown> {
  const top = layout.signaturesTop + index * layout.signatureHeight;
  const at = (x: number, y: number) => ({
    documentId: '1',
    pageNumber: '1',
    xPosition: String(x),
    yPosition: String(y),
  });
  return {
    recipientId: signatory.recipientId,
    routingOrder: String(signatory.routingOrder),
    // DocuSign takes names of up to 100 characters.
    name: truncate(signatory.name, 100),
    email: signatory.email,
    roleName: signatory.roles.join(','),
    tabs: {
      signHereTabs: [{ tabLabel: `signature:${signatory.recipientId}`, ...at(layout.left + 250, top) }],
      dateSignedTabs: [{ tabLabel: `date:${signatory.recipientId}`, ...at(layout.left + 430, top) }],
      // The answers travel once, on the first signer's tabs, locked so that nobody edits them while signing.
      ...(index === 0
        ? {
            textTabs: answerTabs(subject),
            checkboxTabs: subject.daus.map((dau, row) => ({
              tabLabel: `dau:${dau.id}`,
              name: dau.name,
              selected: 'true',
              locked: 'true',
              ...at(layout.left, layout.answersTop + (answerLines(subject).length + row) * layout.lineHeight),
            })),
          }
        : {}),
    },
  };
}

function answerLines(subject: AgreementSubject): [string, string][] {
  return [
    ['requestId', subject.requestId],
    ['projectName', subject.projectName],
    ['institution', subject.institution],
    [
      'principalInvestigator',
      `${subject.principalInvestigator.name} <${subject.principalInvestigator.email}>`,
    ],
    [
      'institutionalAuthority',
      `${subject.institutionalAuthority.name} <${subject.institutionalAuthority.email}>`,
    ],
    ['additionalApplicants', subject.additionalApplicants.map((person) => person.name).join('; ') || 'none'],
    ['downloadRequested', subject.downloadRequested ? 'yes' : 'no'],
    ['contemplatedUse', truncate(subject.contemplatedUse, 500)],
    ['dataAccessUnits', subject.daus.map((dau) => dau.name).join('; ')],
  ];
}

function answerTabs(subject: AgreementSubject): TextTab[] {
  return answerLines(subject).map(([tabLabel, value], row) => ({
    tabLabel,
    value,
    locked: 'true',
    documentId: '1',
    pageNumber: '1',
    xPosition: String(layout.left),
    yPosition: String(layout.answersTop + row * layout.lineHeight),
  }));
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
