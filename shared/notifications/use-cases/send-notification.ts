import { notificationOperationId } from '../domain/operation-id';
import { renderMail } from '../domain/templates';
import { notificationSchema, type Notification, type NotificationInput } from '../model';
import type { EmailSender, NotificationTimeline } from '../ports';

export interface NotificationSettings {
  readonly senderAddress: string;
  readonly replyTo: string | undefined;
  /** Read when a mail is rendered: locally the host's real URL is known only once it listens. */
  readonly publicBaseUrl: () => string;
}

export interface NotificationDependencies {
  readonly sender: EmailSender;
  readonly timeline: NotificationTimeline;
  readonly settings: NotificationSettings;
  readonly now: () => Date;
}

export interface SentNotification {
  readonly operationId: string;
  readonly subject: string;
}

/**
 * Sending a notification: render its mail, send it under the notification's own operation id (a retry
 * sends nothing twice), then put it on the request's timeline (recorded once however often this runs).
 */
export class NotificationService {
  constructor(private readonly deps: NotificationDependencies) {}

  async send(input: NotificationInput): Promise<SentNotification> {
    const notification = notificationSchema.parse(input);
    const { settings } = this.deps;
    const mail = renderMail(notification, { baseUrl: settings.publicBaseUrl() });
    const operationId = notificationOperationId(notification);
    await this.deps.sender.send(
      { ...mail, from: settings.senderAddress, replyTo: settings.replyTo, to: notification.recipients },
      operationId,
    );
    await this.deps.timeline.record(notification.requestId, {
      type: 'notification.sent',
      idempotencyKey: `notification:${operationId}:sent`,
      at: this.deps.now().toISOString(),
      details: { ...summary(notification), operationId, subject: mail.subject },
    });
    return { operationId, subject: mail.subject };
  }

  /** After the last retry: the mail is recorded as not sent, and the lifecycle goes on without it. */
  async recordFailure(input: NotificationInput, reason: string): Promise<void> {
    const notification = notificationSchema.parse(input);
    const operationId = notificationOperationId(notification);
    await this.deps.timeline.record(notification.requestId, {
      type: 'notification.failed',
      idempotencyKey: `notification:${operationId}:failed`,
      at: this.deps.now().toISOString(),
      details: { ...summary(notification), operationId, reason: reason.slice(0, 500) },
    });
  }
}

function summary(notification: Notification): Record<string, unknown> {
  return {
    event: notification.event,
    to: notification.recipients.map((recipient) => recipient.address),
    ...('dau' in notification ? { dauId: notification.dau.id } : {}),
  };
}
