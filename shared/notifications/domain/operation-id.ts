import { createHash } from 'node:crypto';
import type { Notification } from '../model';

/**
 * The ACS `Operation-Id` of a notification's mail: a UUID derived from what makes the mail this mail
 * (request, event, DAU, occurrence, recipients), so an activity that runs again sends the same operation and
 * the service treats it as a repeat instead of a second mail.
 */
export function notificationOperationId(notification: Notification): string {
  const identity = JSON.stringify([
    notification.requestId,
    notification.event,
    'dau' in notification ? notification.dau.id : '',
    notification.occurrence ?? '',
    notification.recipients.map((recipient) => recipient.address.toLowerCase()).sort(),
  ]);
  const bytes = createHash('sha256').update(identity).digest().subarray(0, 16);
  // RFC 9562 version 8 (custom, here name-based on SHA-256) with the RFC variant bits.
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
