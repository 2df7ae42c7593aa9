import * as df from 'durable-functions';
import type { ActivityHandler, OrchestrationHandler } from 'durable-functions';
import { notify } from '../shared/lifecycle/notify';
import {
  notificationOrchestration,
  recordNotificationFailureActivity,
  recordNotificationFailureInput,
  sendNotificationActivity,
  sendNotificationInput,
} from '../shared/notifications/activities';
import { getNotificationService } from '../shared/composition-root';

/** Sends one notification's mail (retried by the orchestrator's policy; the operation id makes retries safe). */
export const sendNotification: ActivityHandler = async (input: unknown) =>
  getNotificationService().send(sendNotificationInput.parse(input));

/** Records on the request's timeline that a notification could not be sent. */
export const recordNotificationFailure: ActivityHandler = async (input: unknown) => {
  const { notification, reason } = recordNotificationFailureInput.parse(input);
  await getNotificationService().recordFailure(notification, reason);
};

/** One notification with retries; its outcome (`{ sent }`) is the output, never a failed instance. */
export const notification: OrchestrationHandler = function* (context) {
  return yield* notify(context, sendNotificationInput.parse(context.df.getInput()));
};

df.app.orchestration(notificationOrchestration, notification);
df.app.activity(sendNotificationActivity, { handler: sendNotification });
df.app.activity(recordNotificationFailureActivity, { handler: recordNotificationFailure });
