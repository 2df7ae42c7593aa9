/**
 * The envelope life cycle of the DocuSign stand-in, behind the REST API and the signing pages.
 *
 * - Routing: signers with the lowest routing order not yet completed are "sent" (a mail with their signing
 *   link, `recipient-sent`); when all of them have signed, the next routing order is sent; when everyone has
 *   signed the envelope is `completed`. A decline ends the envelope (`declined`, the reason on the signer).
 * - A recipient opening their signing page while it is their turn marks them `delivered` (and a `sent` envelope
 *   `delivered`), as a DocuSign recipient viewing the envelope does.
 * - Notification settings (`notification` of the definition, or `PUT …/notification`): reminder mails after
 *   `reminderDelay` days and then every `reminderFrequency` days; an expiry warning `expireWarn` days before;
 *   expiry `expireAfter` days after sending (account defaults: no reminders, expiry after 120 days). An expired
 *   envelope becomes `voided` with the reason `Envelope has expired.` (`envelope-voided`), as DocuSign reports it.
 *   All of these run on the injected clock.
 * - Every change is persisted (with the Connect deliveries it causes) before it is acknowledged.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../clock';
import type { ConnectDispatcher } from './connect';
import { DocuSignApiError, docuSignTime, escapeHtml } from './http';
import {
  envelopeDefinitionSchema,
  envelopeUpdateSchema,
  folderMoveSchema,
  notificationInputSchema,
  type EnvelopeNotification,
  type StoredDelivery,
  type StoredEnvelope,
  type StoredSigner,
} from './model';
import type { LocalUser } from './oauth';
import type { EnvelopeStore } from './store';

export const expiredVoidedReason = 'Envelope has expired.';
const dayMs = 24 * 60 * 60 * 1000;
const accountDefaults: EnvelopeNotification = {
  remindersEnabled: false,
  reminderDelayDays: 0,
  reminderFrequencyDays: 0,
  expireEnabled: true,
  expireAfterDays: 120,
  expireWarnDays: 0,
};

export interface Mail {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}
export type MailSender = (mail: Mail) => Promise<void> | void;

export interface PendingSignature {
  readonly envelopeId: string;
  readonly recipientId: string;
  readonly name: string;
  readonly email: string;
  readonly emailSubject: string;
  readonly routingOrder: number;
  /** The signing page, as in the mail. */
  readonly url: string;
}

export interface EnvelopeServiceOptions {
  readonly store: EnvelopeStore;
  readonly clock: Clock;
  readonly connect: ConnectDispatcher;
  readonly accountId: string;
  readonly user: LocalUser;
  /** The stand-in's origin, for links in mails. */
  readonly origin: string;
  readonly mail: () => MailSender | undefined;
  readonly log: (line: string) => void;
}

type Json = Record<string, unknown>;

export class EnvelopeService {
  private readonly timers = new Map<string, () => void>();

  constructor(private readonly options: EnvelopeServiceOptions) {}

  /** Re-arms expiry and reminder timers after a restart. */
  resume(): void {
    for (const envelope of this.options.store.all()) this.armTimer(envelope);
  }

  close(): void {
    for (const cancel of this.timers.values()) cancel();
    this.timers.clear();
  }

  // --- REST API -------------------------------------------------------------------------------------------

  async create(accountId: string, body: unknown): Promise<Json> {
    this.checkAccount(accountId);
    const parsed = envelopeDefinitionSchema.safeParse(body);
    if (!parsed.success) {
      throw new DocuSignApiError(
        400,
        'INVALID_REQUEST_BODY',
        parsed.error.issues.map(describeIssue).join('; '),
      );
    }
    const definition = parsed.data;
    const signers = definition.recipients.signers;
    if (definition.status === 'sent') {
      if (definition.documents.length === 0) {
        throw new DocuSignApiError(
          400,
          'ENVELOPE_IS_INCOMPLETE',
          'The Envelope is not Complete. A Complete Envelope Requires Documents, Recipients, Tabs, and a Subject Line.',
        );
      }
      if (signers.length === 0) {
        throw new DocuSignApiError(
          400,
          'ENVELOPE_IS_INCOMPLETE',
          'The Envelope is not Complete. A Complete Envelope Requires Documents, Recipients, Tabs, and a Subject Line.',
        );
      }
      if ((definition.emailSubject ?? '').trim() === '') {
        throw new DocuSignApiError(400, 'INVALID_EMAIL_SUBJECT', 'The email subject is required.');
      }
    }
    unique(
      signers.map((signer) => signer.recipientId),
      'RECIPIENT_ID_NOT_UNIQUE',
      'recipientId',
    );
    unique(
      definition.documents.map((document) => document.documentId),
      'DOCUMENT_ID_NOT_UNIQUE',
      'documentId',
    );

    const envelopeId = randomUUID();
    const documents = definition.documents.map((document, index) => {
      const bytes = Buffer.from(document.documentBase64, 'base64');
      if (bytes.subarray(0, 5).toString('latin1') !== '%PDF-') {
        throw new DocuSignApiError(
          400,
          'FORMAT_CONVERSION_ERROR',
          `Document ${document.documentId}: the stand-in accepts PDF documents only.`,
        );
      }
      return { documentId: document.documentId, name: document.name, order: index + 1, bytes };
    });
    for (const document of documents)
      await this.options.store.putDocument(envelopeId, document.documentId, document.bytes);

    const now = this.options.clock.now();
    const notification = definition.eventNotification;
    const envelope: StoredEnvelope = {
      format: 'docusign-standin-envelope/1',
      envelopeId,
      accountId,
      status: 'created',
      emailSubject: definition.emailSubject ?? '',
      ...(definition.emailBlurb === undefined ? {} : { emailBlurb: definition.emailBlurb }),
      createdAt: now,
      statusChangedAt: now,
      documents: documents.map(({ bytes, ...document }) => ({
        ...document,
        bytes: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'),
      })),
      signers: signers.map((signer) => ({
        recipientId: signer.recipientId,
        recipientIdGuid: randomUUID(),
        name: signer.name,
        email: signer.email,
        routingOrder: signer.routingOrder,
        ...(signer.clientUserId === undefined ? {} : { clientUserId: signer.clientUserId }),
        ...(signer.tabs === undefined ? {} : { tabs: signer.tabs }),
        status: 'created',
        signingToken: randomBytes(24).toString('base64url'),
      })),
      ...(definition.customFields === undefined ? {} : { customFields: definition.customFields }),
      ...(notification === undefined
        ? {}
        : {
            eventNotification: {
              url: notification.url,
              events: subscribedEvents(notification),
              includeData: notification.eventData?.includeData ?? [],
              includeHmac: notification.includeHMAC,
              requireAcknowledgment: notification.requireAcknowledgment,
            },
          }),
      notification: notificationOf(definition.notification),
      expireWarned: false,
      outbox: [],
    };
    const effects = new Effects();
    if (definition.status === 'sent') this.send(envelope, effects);
    await this.options.store.add(envelope);
    this.commit(envelope, effects);
    return {
      envelopeId,
      uri: `/envelopes/${envelopeId}`,
      statusDateTime: docuSignTime(envelope.statusChangedAt),
      status: envelope.status,
    };
  }

  get(accountId: string, envelopeId: string, include: readonly string[]): Json {
    const envelope = this.find(accountId, envelopeId);
    const summary = this.summary(envelope);
    if (include.includes('recipients')) summary.recipients = this.recipientsOf(envelope, false);
    if (include.includes('documents')) summary.envelopeDocuments = this.documentsOf(envelope);
    return summary;
  }

  recipients(accountId: string, envelopeId: string, includeTabs: boolean): Json {
    return this.recipientsOf(this.find(accountId, envelopeId), includeTabs);
  }

  /** `GET …/envelopes?from_date=…|envelope_ids=…[&status=…]` (listStatusChanges). */
  list(accountId: string, query: URLSearchParams): Json {
    this.checkAccount(accountId);
    const fromDate = query.get('from_date');
    const ids = query.get('envelope_ids');
    if (fromDate === null && ids === null && query.get('transaction_ids') === null) {
      throw new DocuSignApiError(
        400,
        'INVALID_REQUEST_PARAMETER',
        'The request must specify from_date, envelope_ids or transaction_ids.',
      );
    }
    const from = fromDate === null ? undefined : Date.parse(fromDate);
    if (from !== undefined && Number.isNaN(from)) {
      throw new DocuSignApiError(400, 'INVALID_REQUEST_PARAMETER', 'from_date is not a date.');
    }
    const wantedIds = ids === null ? undefined : new Set(ids.split(',').map((id) => id.trim()));
    const statuses = query
      .get('status')
      ?.split(',')
      .map((status) => status.trim().toLowerCase());
    // `custom_field=name=value`: envelopes with that text custom field (how a client finds its own again).
    const [fieldName, fieldValue] = query.get('custom_field')?.split(/=(.*)/s) ?? [];
    const envelopes = [...this.options.store.all()]
      .filter((envelope) => envelope.accountId === accountId)
      .filter((envelope) => wantedIds === undefined || wantedIds.has(envelope.envelopeId))
      .filter(
        (envelope) => fieldName === undefined || hasTextCustomField(envelope, fieldName, fieldValue ?? ''),
      )
      .filter((envelope) => from === undefined || envelope.statusChangedAt >= from)
      .filter((envelope) => statuses === undefined || statuses.includes(envelope.status))
      .sort((a, b) => a.statusChangedAt - b.statusChangedAt)
      .map((envelope) => this.summary(envelope));
    return {
      resultSetSize: String(envelopes.length),
      totalSetSize: String(envelopes.length),
      startPosition: '0',
      endPosition: String(Math.max(0, envelopes.length - 1)),
      envelopes,
    };
  }

  /** `PUT …/envelopes/{id}`: void (`{status:"voided", voidedReason}`), send a draft, or resend. */
  async update(accountId: string, envelopeId: string, body: unknown, resend: boolean): Promise<Json> {
    const envelope = this.find(accountId, envelopeId);
    const parsed = envelopeUpdateSchema.safeParse(body ?? {});
    if (!parsed.success) {
      throw new DocuSignApiError(
        400,
        'INVALID_REQUEST_BODY',
        `The stand-in updates status, voidedReason and resends only: ${parsed.error.issues.map(describeIssue).join('; ')}`,
      );
    }
    const effects = new Effects();
    const { status, voidedReason } = parsed.data;
    if (status === 'voided') {
      if (voidedReason === undefined) {
        throw new DocuSignApiError(
          400,
          'INVALID_REQUEST_PARAMETER',
          'A voidedReason is required to void an envelope.',
        );
      }
      // As DocuSign: a draft cannot be voided (it is discarded through the recycle bin instead).
      if (!isOpen(envelope)) {
        throw new DocuSignApiError(
          400,
          'ENVELOPE_CANNOT_VOID_INVALID_STATE',
          `Only envelopes in the 'Sent' or 'Delivered' states may be voided; this one is '${envelope.status}'.`,
        );
      }
      this.voidEnvelope(envelope, voidedReason, effects);
    } else if (status === 'sent') {
      if (envelope.status !== 'created') {
        throw new DocuSignApiError(
          400,
          'ENVELOPE_INVALID_STATUS',
          `The envelope is '${envelope.status}', not a draft.`,
        );
      }
      if (envelope.documents.length === 0 || envelope.signers.length === 0 || envelope.emailSubject === '') {
        throw new DocuSignApiError(
          400,
          'ENVELOPE_IS_INCOMPLETE',
          'The Envelope is not Complete. A Complete Envelope Requires Documents, Recipients, Tabs, and a Subject Line.',
        );
      }
      this.send(envelope, effects);
    }
    if (resend) {
      if (!isOpen(envelope)) {
        throw new DocuSignApiError(
          400,
          'ENVELOPE_INVALID_STATUS',
          `Cannot resend an envelope that is '${envelope.status}'.`,
        );
      }
      for (const signer of this.currentSigners(envelope)) {
        this.event(envelope, 'recipient-resent', effects, signer.recipientId);
        effects.mail.push(this.signingMail(envelope, signer, 'resent'));
      }
    }
    await this.persist(envelope, effects);
    return { envelopeId };
  }

  /**
   * `PUT …/folders/recyclebin` with `{envelopeIds}`: a draft moved there is deleted (how DocuSign discards a
   * draft); an envelope that already ended just moves. The stand-in keeps no other folders, and an envelope
   * still out for signature is refused here: void it first.
   */
  async moveToFolder(accountId: string, folderId: string, body: unknown): Promise<Json> {
    this.checkAccount(accountId);
    if (folderId !== 'recyclebin') {
      throw new DocuSignApiError(400, 'FOLDER_NOT_FOUND', `The stand-in has no folder '${folderId}'.`);
    }
    const parsed = folderMoveSchema.safeParse(body ?? {});
    if (!parsed.success) {
      throw new DocuSignApiError(
        400,
        'INVALID_REQUEST_BODY',
        parsed.error.issues.map(describeIssue).join('; '),
      );
    }
    const envelopes = parsed.data.envelopeIds.map((envelopeId) => this.find(accountId, envelopeId));
    const open = envelopes.find(isOpen);
    if (open !== undefined) {
      throw new DocuSignApiError(
        400,
        'ENVELOPE_INVALID_STATUS',
        `The stand-in does not delete envelope ${open.envelopeId}, which is '${open.status}': void it.`,
      );
    }
    for (const envelope of envelopes) {
      if (envelope.status !== 'created') continue;
      this.setStatus(envelope, 'deleted');
      await this.persist(envelope, new Effects());
    }
    return {};
  }

  documents(accountId: string, envelopeId: string): Json {
    const envelope = this.find(accountId, envelopeId);
    return { envelopeId, envelopeDocuments: this.documentsOf(envelope) };
  }

  /** The bytes of one document (`combined` works for single-document envelopes). */
  async document(
    accountId: string,
    envelopeId: string,
    documentId: string,
  ): Promise<{ bytes: Buffer; name: string }> {
    return this.documentOf(this.find(accountId, envelopeId), documentId);
  }

  notification(accountId: string, envelopeId: string): Json {
    return notificationView(this.find(accountId, envelopeId).notification);
  }

  async updateNotification(accountId: string, envelopeId: string, body: unknown): Promise<Json> {
    const envelope = this.find(accountId, envelopeId);
    const parsed = notificationInputSchema.safeParse(body ?? {});
    if (!parsed.success) {
      throw new DocuSignApiError(
        400,
        'INVALID_REQUEST_BODY',
        parsed.error.issues.map(describeIssue).join('; '),
      );
    }
    envelope.notification = notificationOf(parsed.data);
    await this.persist(envelope, new Effects());
    return notificationView(envelope.notification);
  }

  // --- Signing (pages) -----------------------------------------------------------------------------------

  /**
   * What the signing page shows; opening it while it is the recipient's turn marks them delivered.
   * Throws 404 for an unknown envelope/recipient or a wrong token.
   */
  async open(envelopeId: string, recipientId: string, token: string): Promise<SigningView> {
    const { envelope, signer } = this.authorize(envelopeId, recipientId, token);
    const effects = new Effects();
    if (this.isTurnOf(envelope, signer) && signer.status === 'sent')
      this.markDelivered(envelope, signer, effects);
    await this.persist(envelope, effects);
    return this.viewOf(envelope, signer);
  }

  async sign(envelopeId: string, recipientId: string, token: string): Promise<SigningView> {
    const { envelope, signer } = this.authorize(envelopeId, recipientId, token);
    this.requireTurn(envelope, signer);
    const effects = new Effects();
    if (signer.status === 'sent') this.markDelivered(envelope, signer, effects);
    const now = this.options.clock.now();
    signer.status = 'completed';
    signer.signedAt = now;
    this.event(envelope, 'recipient-completed', effects, signer.recipientId);
    if (envelope.signers.every((each) => each.status === 'completed')) {
      this.setStatus(envelope, 'completed');
      envelope.completedAt = now;
      this.event(envelope, 'envelope-completed', effects);
    } else if (this.currentSigners(envelope).every((each) => each.status === 'created')) {
      this.sendCurrentGroup(envelope, effects);
    }
    await this.persist(envelope, effects);
    return this.viewOf(envelope, signer);
  }

  async decline(
    envelopeId: string,
    recipientId: string,
    token: string,
    reason: string,
  ): Promise<SigningView> {
    const { envelope, signer } = this.authorize(envelopeId, recipientId, token);
    this.requireTurn(envelope, signer);
    const trimmed = reason.trim();
    if (trimmed === '')
      throw new DocuSignApiError(400, 'DECLINE_REASON_REQUIRED', 'A reason for declining is required.');
    const effects = new Effects();
    if (signer.status === 'sent') this.markDelivered(envelope, signer, effects);
    const now = this.options.clock.now();
    signer.status = 'declined';
    signer.declinedAt = now;
    signer.declinedReason = trimmed.slice(0, 2000);
    this.setStatus(envelope, 'declined');
    envelope.declinedAt = now;
    this.event(envelope, 'recipient-declined', effects, signer.recipientId);
    this.event(envelope, 'envelope-declined', effects);
    await this.persist(envelope, effects);
    return this.viewOf(envelope, signer);
  }

  async signingDocument(
    envelopeId: string,
    recipientId: string,
    token: string,
    documentId: string,
  ): Promise<{ bytes: Buffer; name: string }> {
    const { envelope } = this.authorize(envelopeId, recipientId, token);
    return this.documentOf(envelope, documentId);
  }

  /** Signers whose turn it is, with their links: what the mails would have said. */
  pendingSignatures(): PendingSignature[] {
    const pending: PendingSignature[] = [];
    for (const envelope of this.options.store.all()) {
      if (!isOpen(envelope)) continue;
      for (const signer of this.currentSigners(envelope)) {
        pending.push({
          envelopeId: envelope.envelopeId,
          recipientId: signer.recipientId,
          name: signer.name,
          email: signer.email,
          emailSubject: envelope.emailSubject,
          routingOrder: signer.routingOrder,
          url: this.signingUrl(envelope, signer),
        });
      }
    }
    return pending;
  }

  // --- internals -------------------------------------------------------------------------------------------

  private checkAccount(accountId: string): void {
    if (accountId !== this.options.accountId) {
      throw new DocuSignApiError(
        400,
        'USER_DOES_NOT_BELONG_TO_SPECIFIED_ACCOUNT',
        'The specified User is not a member of the specified Account.',
      );
    }
  }

  private find(accountId: string, envelopeId: string): StoredEnvelope {
    this.checkAccount(accountId);
    const envelope = this.options.store.get(envelopeId);
    if (envelope === undefined || envelope.accountId !== accountId) {
      throw new DocuSignApiError(
        404,
        'ENVELOPE_DOES_NOT_EXIST',
        'The envelope specified either does not exist or you have no rights to it.',
      );
    }
    return envelope;
  }

  private authorize(
    envelopeId: string,
    recipientId: string,
    token: string,
  ): { envelope: StoredEnvelope; signer: StoredSigner } {
    const envelope = this.options.store.get(envelopeId);
    const signer = envelope?.signers.find((each) => each.recipientId === recipientId);
    const given = Buffer.from(token);
    const expected = Buffer.from(signer?.signingToken ?? '');
    if (
      envelope === undefined ||
      signer === undefined ||
      given.length !== expected.length ||
      !timingSafeEqual(given, expected)
    ) {
      throw new DocuSignApiError(404, 'SIGNING_LINK_INVALID', 'This signing link is not valid.');
    }
    return { envelope, signer };
  }

  private requireTurn(envelope: StoredEnvelope, signer: StoredSigner): void {
    if (!isOpen(envelope)) {
      throw new DocuSignApiError(
        409,
        'ENVELOPE_NOT_OPEN',
        `The envelope is ${envelope.status}; it can no longer be signed.`,
      );
    }
    if (signer.status === 'completed' || signer.status === 'declined') {
      throw new DocuSignApiError(
        409,
        'RECIPIENT_ALREADY_FINISHED',
        `You have already ${signer.status === 'completed' ? 'signed' : 'declined'}.`,
      );
    }
    if (!this.isTurnOf(envelope, signer)) {
      throw new DocuSignApiError(
        409,
        'NOT_RECIPIENTS_TURN',
        'It is not your turn to sign yet: earlier recipients in the routing order have not signed.',
      );
    }
  }

  private isTurnOf(envelope: StoredEnvelope, signer: StoredSigner): boolean {
    return isOpen(envelope) && (signer.status === 'sent' || signer.status === 'delivered');
  }

  /** Signers of the lowest routing order that has not completely signed. */
  private currentSigners(envelope: StoredEnvelope): StoredSigner[] {
    const open = envelope.signers.filter((signer) => signer.status !== 'completed');
    if (open.length === 0) return [];
    const order = Math.min(...open.map((signer) => signer.routingOrder));
    return open.filter((signer) => signer.routingOrder === order);
  }

  private send(envelope: StoredEnvelope, effects: Effects): void {
    const now = this.options.clock.now();
    this.setStatus(envelope, 'sent');
    envelope.sentAt = now;
    this.event(envelope, 'envelope-sent', effects);
    this.sendCurrentGroup(envelope, effects);
  }

  private sendCurrentGroup(envelope: StoredEnvelope, effects: Effects): void {
    const now = this.options.clock.now();
    for (const signer of this.currentSigners(envelope)) {
      if (signer.status !== 'created') continue;
      signer.status = 'sent';
      signer.sentAt = now;
      this.event(envelope, 'recipient-sent', effects, signer.recipientId);
      effects.mail.push(this.signingMail(envelope, signer, 'sent'));
    }
  }

  private markDelivered(envelope: StoredEnvelope, signer: StoredSigner, effects: Effects): void {
    const now = this.options.clock.now();
    signer.status = 'delivered';
    signer.deliveredAt = now;
    this.event(envelope, 'recipient-delivered', effects, signer.recipientId);
    if (envelope.status === 'sent') {
      this.setStatus(envelope, 'delivered');
      envelope.deliveredAt = now;
      this.event(envelope, 'envelope-delivered', effects);
    }
  }

  private voidEnvelope(envelope: StoredEnvelope, reason: string, effects: Effects): void {
    this.setStatus(envelope, 'voided');
    envelope.voidedAt = this.options.clock.now();
    envelope.voidedReason = reason;
    this.event(envelope, 'envelope-voided', effects);
  }

  private setStatus(envelope: StoredEnvelope, status: StoredEnvelope['status']): void {
    envelope.status = status;
    envelope.statusChangedAt = this.options.clock.now();
  }

  /** Queues a Connect delivery of `event` (if subscribed) with the envelope as it is now. */
  private event(envelope: StoredEnvelope, event: string, effects: Effects, recipientId?: string): void {
    const includeData = envelope.eventNotification?.includeData ?? [];
    let summary: Json | undefined;
    if (includeData.length > 0) {
      summary = this.summary(envelope);
      if (includeData.includes('recipients'))
        summary.recipients = this.recipientsOf(envelope, includeData.includes('tabs'));
      if (includeData.includes('documents')) summary.envelopeDocuments = this.documentsOf(envelope);
      if (!includeData.includes('custom_fields')) delete summary.customFields;
    }
    const delivery = this.options.connect.enqueue(envelope, event, summary, recipientId);
    if (delivery !== undefined) effects.deliveries.push(delivery);
  }

  /** Saves the envelope with its outbox, then lets the deliveries and mails go and re-arms its timer. */
  private async persist(envelope: StoredEnvelope, effects: Effects): Promise<void> {
    await this.options.store.save(envelope.envelopeId);
    this.commit(envelope, effects);
  }

  private commit(envelope: StoredEnvelope, effects: Effects): void {
    for (const delivery of effects.deliveries) this.options.connect.arm(envelope.envelopeId, delivery);
    const send = this.options.mail();
    if (send !== undefined) {
      for (const mail of effects.mail) {
        Promise.resolve()
          .then(() => send(mail))
          .catch((error: unknown) =>
            this.options.log(`docusign stand-in: mail to ${mail.to} failed: ${(error as Error).message}`),
          );
      }
    }
    this.armTimer(envelope);
  }

  // --- reminders and expiry ---------------------------------------------------------------------------------

  private expiresAt(envelope: StoredEnvelope): number | undefined {
    const { notification } = envelope;
    if (!notification.expireEnabled || envelope.sentAt === undefined) return undefined;
    return envelope.sentAt + notification.expireAfterDays * dayMs;
  }

  private nextReminderAt(envelope: StoredEnvelope, signer: StoredSigner): number | undefined {
    const { notification } = envelope;
    if (!notification.remindersEnabled || notification.reminderDelayDays === 0 || signer.sentAt === undefined)
      return undefined;
    if (signer.lastReminderAt === undefined) return signer.sentAt + notification.reminderDelayDays * dayMs;
    if (notification.reminderFrequencyDays === 0) return undefined;
    return signer.lastReminderAt + notification.reminderFrequencyDays * dayMs;
  }

  private warnAt(envelope: StoredEnvelope): number | undefined {
    const expiresAt = this.expiresAt(envelope);
    if (expiresAt === undefined || envelope.notification.expireWarnDays === 0 || envelope.expireWarned)
      return undefined;
    return expiresAt - envelope.notification.expireWarnDays * dayMs;
  }

  private armTimer(envelope: StoredEnvelope): void {
    this.timers.get(envelope.envelopeId)?.();
    this.timers.delete(envelope.envelopeId);
    if (!isOpen(envelope)) return;
    const candidates = [
      this.expiresAt(envelope),
      this.warnAt(envelope),
      ...this.currentSigners(envelope).map((signer) => this.nextReminderAt(envelope, signer)),
    ].filter((at): at is number => at !== undefined);
    if (candidates.length === 0) return;
    const at = Math.min(...candidates);
    const cancel = this.options.clock.schedule(at, () => {
      this.timers.delete(envelope.envelopeId);
      this.onTimer(envelope.envelopeId).catch((error: unknown) =>
        this.options.log(
          `docusign stand-in: timer of ${envelope.envelopeId} failed: ${(error as Error).message}`,
        ),
      );
    });
    this.timers.set(envelope.envelopeId, cancel);
  }

  private async onTimer(envelopeId: string): Promise<void> {
    const envelope = this.options.store.get(envelopeId);
    if (envelope === undefined || !isOpen(envelope)) return;
    const now = this.options.clock.now();
    const effects = new Effects();
    const expiresAt = this.expiresAt(envelope);
    if (expiresAt !== undefined && expiresAt <= now) {
      this.voidEnvelope(envelope, expiredVoidedReason, effects);
    } else {
      const warnAt = this.warnAt(envelope);
      if (warnAt !== undefined && warnAt <= now) {
        envelope.expireWarned = true;
        for (const signer of this.currentSigners(envelope))
          effects.mail.push(this.signingMail(envelope, signer, 'expiring'));
      }
      for (const signer of this.currentSigners(envelope)) {
        const reminderAt = this.nextReminderAt(envelope, signer);
        if (reminderAt === undefined || reminderAt > now) continue;
        signer.lastReminderAt = now;
        effects.mail.push(this.signingMail(envelope, signer, 'reminder'));
      }
    }
    await this.persist(envelope, effects);
  }

  // --- representations -------------------------------------------------------------------------------------

  private summary(envelope: StoredEnvelope): Json {
    const expiresAt = this.expiresAt(envelope);
    const field = (name: string, at: number | undefined): Json =>
      at === undefined ? {} : { [name]: docuSignTime(at) };
    return {
      envelopeId: envelope.envelopeId,
      status: envelope.status,
      emailSubject: envelope.emailSubject,
      ...(envelope.emailBlurb === undefined ? {} : { emailBlurb: envelope.emailBlurb }),
      envelopeUri: `/envelopes/${envelope.envelopeId}`,
      recipientsUri: `/envelopes/${envelope.envelopeId}/recipients`,
      documentsUri: `/envelopes/${envelope.envelopeId}/documents`,
      notificationUri: `/envelopes/${envelope.envelopeId}/notification`,
      createdDateTime: docuSignTime(envelope.createdAt),
      ...field('sentDateTime', envelope.sentAt),
      ...field('initialSentDateTime', envelope.sentAt),
      ...field('deliveredDateTime', envelope.deliveredAt),
      ...field('completedDateTime', envelope.completedAt),
      ...field('declinedDateTime', envelope.declinedAt),
      ...field('voidedDateTime', envelope.voidedAt),
      ...(envelope.voidedReason === undefined ? {} : { voidedReason: envelope.voidedReason }),
      statusChangedDateTime: docuSignTime(envelope.statusChangedAt),
      lastModifiedDateTime: docuSignTime(envelope.statusChangedAt),
      expireEnabled: String(envelope.notification.expireEnabled),
      expireAfter: String(envelope.notification.expireAfterDays),
      ...field('expireDateTime', expiresAt),
      sender: {
        userName: this.options.user.name,
        userId: this.options.user.userId,
        accountId: envelope.accountId,
        email: this.options.user.email,
      },
      ...(envelope.customFields === undefined ? {} : { customFields: envelope.customFields }),
    };
  }

  private recipientsOf(envelope: StoredEnvelope, includeTabs: boolean): Json {
    const current = this.currentSigners(envelope)[0]?.routingOrder;
    return {
      signers: envelope.signers.map((signer) => ({
        recipientId: signer.recipientId,
        recipientIdGuid: signer.recipientIdGuid,
        recipientType: 'signer',
        name: signer.name,
        email: signer.email,
        routingOrder: String(signer.routingOrder),
        status: signer.status,
        ...(signer.clientUserId === undefined ? {} : { clientUserId: signer.clientUserId }),
        ...(signer.sentAt === undefined ? {} : { sentDateTime: docuSignTime(signer.sentAt) }),
        ...(signer.deliveredAt === undefined ? {} : { deliveredDateTime: docuSignTime(signer.deliveredAt) }),
        ...(signer.signedAt === undefined ? {} : { signedDateTime: docuSignTime(signer.signedAt) }),
        ...(signer.declinedAt === undefined ? {} : { declinedDateTime: docuSignTime(signer.declinedAt) }),
        ...(signer.declinedReason === undefined ? {} : { declinedReason: signer.declinedReason }),
        ...(includeTabs && signer.tabs !== undefined ? { tabs: signer.tabs } : {}),
      })),
      carbonCopies: [],
      recipientCount: String(envelope.signers.length),
      ...(current === undefined ? {} : { currentRoutingOrder: String(current) }),
    };
  }

  private documentsOf(envelope: StoredEnvelope): Json[] {
    return envelope.documents.map((document) => ({
      documentId: document.documentId,
      documentIdGuid: document.sha256
        .slice(0, 32)
        .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5'),
      name: document.name,
      type: 'content',
      order: String(document.order),
      uri: `/envelopes/${envelope.envelopeId}/documents/${document.documentId}`,
      sizeBytes: String(document.bytes),
    }));
  }

  private async documentOf(
    envelope: StoredEnvelope,
    documentId: string,
  ): Promise<{ bytes: Buffer; name: string }> {
    let document = envelope.documents.find((each) => each.documentId === documentId);
    if (documentId === 'combined' && envelope.documents.length === 1) document = envelope.documents[0];
    if (documentId === 'combined' && envelope.documents.length > 1) {
      throw new DocuSignApiError(
        400,
        'INVALID_REQUEST_PARAMETER',
        'The stand-in cannot combine several documents; ask for each by id.',
      );
    }
    const bytes =
      document === undefined
        ? undefined
        : await this.options.store.getDocument(envelope.envelopeId, document.documentId);
    if (document === undefined || bytes === undefined) {
      throw new DocuSignApiError(
        404,
        'DOCUMENT_DOES_NOT_EXIST',
        'The document specified does not exist in this envelope.',
      );
    }
    return { bytes, name: document.name };
  }

  private viewOf(envelope: StoredEnvelope, signer: StoredSigner): SigningView {
    return {
      envelopeId: envelope.envelopeId,
      envelopeStatus: envelope.status,
      emailSubject: envelope.emailSubject,
      emailBlurb: envelope.emailBlurb,
      signer,
      yourTurn: this.isTurnOf(envelope, signer),
      waitingFor: isOpen(envelope) ? this.currentSigners(envelope).filter((each) => each !== signer) : [],
      signers: envelope.signers,
      documents: envelope.documents.map(({ documentId, name }) => ({ documentId, name })),
      token: signer.signingToken,
    };
  }

  private signingUrl(envelope: StoredEnvelope, signer: StoredSigner): string {
    return `${this.options.origin}/signing/${envelope.envelopeId}/${signer.recipientId}?token=${signer.signingToken}`;
  }

  private signingMail(
    envelope: StoredEnvelope,
    signer: StoredSigner,
    kind: 'sent' | 'resent' | 'reminder' | 'expiring',
  ): Mail {
    const url = this.signingUrl(envelope, signer);
    const prefix = { sent: '', resent: '', reminder: 'Reminder: ', expiring: 'Expiring soon: ' }[kind];
    const subject = `${prefix}${envelope.emailSubject || 'Please DocuSign this document'}`;
    const intro = `${this.options.user.name} sent you a document to review and sign.`;
    const blurb = envelope.emailBlurb ?? '';
    return {
      to: signer.email,
      subject,
      text: `Hello ${signer.name},\n\n${intro}\n${blurb === '' ? '' : `\n${blurb}\n`}\nReview and sign: ${url}\n\n(DocuSign local stand-in)`,
      html: `<p>Hello ${escapeHtml(signer.name)},</p><p>${escapeHtml(intro)}</p>${blurb === '' ? '' : `<p>${escapeHtml(blurb)}</p>`}<p><a href="${escapeHtml(url)}">Review document</a></p><p><small>DocuSign local stand-in</small></p>`,
    };
  }
}

export interface SigningView {
  readonly envelopeId: string;
  readonly envelopeStatus: StoredEnvelope['status'];
  readonly emailSubject: string;
  readonly emailBlurb: string | undefined;
  readonly signer: StoredSigner;
  readonly yourTurn: boolean;
  /** Other signers of the current routing order (or, when it is not your turn, the ones you wait for). */
  readonly waitingFor: readonly StoredSigner[];
  readonly signers: readonly StoredSigner[];
  readonly documents: readonly { documentId: string; name: string }[];
  readonly token: string;
}

/** What one change causes once it is durable. */
class Effects {
  readonly deliveries: StoredDelivery[] = [];
  readonly mail: Mail[] = [];
}

function isOpen(envelope: StoredEnvelope): boolean {
  return envelope.status === 'sent' || envelope.status === 'delivered';
}

function unique(values: readonly string[], errorCode: string, name: string): void {
  if (new Set(values).size !== values.length)
    throw new DocuSignApiError(400, errorCode, `Each ${name} must be unique.`);
}

function describeIssue(issue: { path: PropertyKey[]; message: string }): string {
  return issue.path.length === 0 ? issue.message : `${issue.path.map(String).join('.')}: ${issue.message}`;
}

const legacyEnvelopeEvents: Record<string, string> = {
  sent: 'envelope-sent',
  delivered: 'envelope-delivered',
  completed: 'envelope-completed',
  declined: 'envelope-declined',
  voided: 'envelope-voided',
};
const legacyRecipientEvents: Record<string, string> = {
  sent: 'recipient-sent',
  delivered: 'recipient-delivered',
  completed: 'recipient-completed',
  declined: 'recipient-declined',
};

/** JSON SIM `events`, or the older `envelopeEvents`/`recipientEvents` lists mapped onto them. */
function subscribedEvents(
  notification: NonNullable<ReturnType<typeof envelopeDefinitionSchema.parse>['eventNotification']>,
): string[] {
  const events = new Set(notification.events ?? []);
  for (const { envelopeEventStatusCode } of notification.envelopeEvents ?? []) {
    const event = legacyEnvelopeEvents[envelopeEventStatusCode.toLowerCase()];
    if (event !== undefined) events.add(event);
  }
  for (const { recipientEventStatusCode } of notification.recipientEvents ?? []) {
    const event = legacyRecipientEvents[recipientEventStatusCode.toLowerCase()];
    if (event !== undefined) events.add(event);
  }
  return [...events];
}

function notificationOf(
  input: ReturnType<typeof notificationInputSchema.parse> | undefined,
): EnvelopeNotification {
  if (input === undefined || input.useAccountDefaults) return { ...accountDefaults };
  return {
    remindersEnabled: input.reminders?.reminderEnabled ?? false,
    reminderDelayDays: input.reminders?.reminderDelay ?? 0,
    reminderFrequencyDays: input.reminders?.reminderFrequency ?? 0,
    expireEnabled:
      input.expirations === undefined ? accountDefaults.expireEnabled : input.expirations.expireEnabled,
    expireAfterDays: input.expirations?.expireAfter ?? accountDefaults.expireAfterDays,
    expireWarnDays: input.expirations?.expireWarn ?? 0,
  };
}

function notificationView(notification: EnvelopeNotification): Json {
  return {
    useAccountDefaults: 'false',
    reminders: {
      reminderEnabled: String(notification.remindersEnabled),
      reminderDelay: String(notification.reminderDelayDays),
      reminderFrequency: String(notification.reminderFrequencyDays),
    },
    expirations: {
      expireEnabled: String(notification.expireEnabled),
      expireAfter: String(notification.expireAfterDays),
      expireWarn: String(notification.expireWarnDays),
    },
  };
}

function hasTextCustomField(envelope: StoredEnvelope, name: string, value: string): boolean {
  const fields = (
    envelope.customFields as { textCustomFields?: { name?: unknown; value?: unknown }[] } | undefined
  )?.textCustomFields;
  return (fields ?? []).some((field) => field.name === name && field.value === value);
}
