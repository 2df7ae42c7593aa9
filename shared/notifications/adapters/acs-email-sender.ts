import type { EmailClient, EmailMessage } from '@azure/communication-email';
import type { EmailSender, OutgoingMail } from '../ports';

/** The email service said no, or never finished: the activity fails and its retry policy takes over. */
export class EmailSendError extends Error {
  override readonly name = 'EmailSendError';
}

/**
 * The email port on Azure Communication Services: `beginSend` with the notification's operation id, then
 * `pollUntilDone`, both under one abort timeout; anything but `Succeeded` is a failure.
 */
export class AcsEmailSender implements EmailSender {
  private client: Promise<EmailClient> | undefined;

  constructor(
    /** Called once, on the first send (the SDK loads lazily). */
    private readonly createClient: () => Promise<EmailClient>,
    private readonly timeoutMs: number,
  ) {}

  async send(mail: OutgoingMail, operationId: string): Promise<void> {
    this.client ??= this.createClient().catch((error: unknown) => {
      this.client = undefined; // a failed start (e.g. unreadable CA file) is retried on the next send
      throw error;
    });
    const client = await this.client;
    const message: EmailMessage = {
      senderAddress: mail.from,
      content: { subject: mail.subject, plainText: mail.text, html: mail.html },
      recipients: { to: mail.to.map(({ address, displayName }) => ({ address, displayName })) },
      ...(mail.replyTo === undefined ? {} : { replyTo: [{ address: mail.replyTo }] }),
    };
    const abortSignal = AbortSignal.timeout(this.timeoutMs);
    let status: string;
    try {
      const poller = await client.beginSend(message, { operationId, abortSignal });
      status = (await poller.pollUntilDone({ abortSignal })).status;
    } catch (error) {
      if (abortSignal.aborted) {
        throw new EmailSendError(`Email operation ${operationId} did not finish within ${this.timeoutMs} ms`);
      }
      throw new EmailSendError(`Email operation ${operationId} failed: ${(error as Error).message}`);
    }
    if (status !== 'Succeeded') throw new EmailSendError(`Email operation ${operationId} ended ${status}`);
  }
}
