import * as df from 'durable-functions';
import type { OrchestrationContext, Task } from 'durable-functions';
import {
  recordNotificationFailureActivity,
  sendNotificationActivity,
  type RecordNotificationFailureInput,
} from '../notifications/activities';
import type { NotificationInput } from '../notifications/model';

/** Five attempts over ~15 minutes (1, 2, 4, 8 min apart): an ACS outage of minutes costs no mail. */
const sendRetry = Object.assign(new df.RetryOptions(60_000, 5), { backoffCoefficient: 2 });
const recordRetry = Object.assign(new df.RetryOptions(30_000, 5), { backoffCoefficient: 2 });

export type NotifyOutcome = { readonly sent: true } | { readonly sent: false; readonly reason: string };

/**
 * Sends a notification from an orchestrator (`yield* notify(context, notification)`): the send activity with
 * retries; if it still fails, the failure is recorded on the request's timeline and the orchestration goes
 * on. A mail never fails or blocks the lifecycle that asked for it.
 */
export function* notify(
  context: OrchestrationContext,
  notification: NotificationInput,
): Generator<Task, NotifyOutcome, unknown> {
  try {
    yield context.df.callActivityWithRetry(sendNotificationActivity, sendRetry, notification);
    return { sent: true };
  } catch (error) {
    // The durable error carries the activity's message, then its stack: only the message is the reason.
    const reason = (error instanceof Error ? error.message : String(error)).split('\n', 1)[0]!.trim();
    const input: RecordNotificationFailureInput = { notification, reason: reason.slice(0, 2000) };
    try {
      yield context.df.callActivityWithRetry(recordNotificationFailureActivity, recordRetry, input);
    } catch {
      // The timeline is unreachable too: the lifecycle still goes on; the activity failures are in the history.
    }
    return { sent: false, reason };
  }
}
