import type { Recipient, RenderedMail } from './model';

/** An outgoing mail, addressed: what the email port is asked to send. */
export interface OutgoingMail extends RenderedMail {
  readonly from: string;
  readonly replyTo?: string;
  readonly to: readonly Recipient[];
}

/** Port: the email service (ACS Email in Azure and locally, through its stand-in). */
export interface EmailSender {
  /**
   * Sends and waits until the service reports the outcome; resolves only on success, throws otherwise.
   * Sending the same `operationId` again must not send a second mail.
   */
  send(mail: OutgoingMail, operationId: string): Promise<void>;
}

/** What the notifications module writes on a request's timeline. */
export interface NotificationTimelineEntry {
  readonly type: 'notification.sent' | 'notification.failed';
  /** Recording the same key twice records once (an activity may run more than once). */
  readonly idempotencyKey: string;
  readonly at: string;
  readonly details: Readonly<Record<string, unknown>>;
}

/** Port: the request's timeline (`requestEvents`), as far as notifications need it. */
export interface NotificationTimeline {
  record(requestId: string, entry: NotificationTimelineEntry): Promise<void>;
}
