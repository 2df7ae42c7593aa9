/**
 * The durable contract of notifications, for orchestrators (`shared/lifecycle/notify.ts`) and for the
 * function file that registers them (`functions/notifications.ts`): names and input schemas only.
 */
import { z } from 'zod';
import { notificationSchema } from './model';

export const sendNotificationActivity = 'sendNotification';
export const recordNotificationFailureActivity = 'recordNotificationFailure';
/**
 * One notification as its own orchestration, for a sender that is not an orchestrator itself: started by name
 * through the durable client with its input a notification, it sends with the same retries as `notify`.
 */
export const notificationOrchestration = 'notification';

export const sendNotificationInput = notificationSchema;

export const recordNotificationFailureInput = z.object({
  notification: notificationSchema,
  /** Why the last attempt failed (the activity's error message), kept short. */
  reason: z.string().max(2000),
});
export type RecordNotificationFailureInput = z.input<typeof recordNotificationFailureInput>;
