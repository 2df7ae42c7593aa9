/**
 * The activity contract of notifications, for orchestrators (`shared/lifecycle/notify.ts`) and for the
 * function file that registers the activities (`functions/notifications.ts`): names and input schemas only.
 */
import { z } from 'zod';
import { notificationSchema } from './model';

export const sendNotificationActivity = 'sendNotification';
export const recordNotificationFailureActivity = 'recordNotificationFailure';

export const sendNotificationInput = notificationSchema;

export const recordNotificationFailureInput = z.object({
  notification: notificationSchema,
  /** Why the last attempt failed (the activity's error message), kept short. */
  reason: z.string().max(2000),
});
export type RecordNotificationFailureInput = z.input<typeof recordNotificationFailureInput>;
