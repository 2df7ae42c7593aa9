import type { TimelineStore } from '../../requests/ports';
import type { NotificationTimeline } from '../ports';

/** Notifications on the request's `requestEvents` timeline, through the requests module's store. */
export function requestTimeline(store: TimelineStore): NotificationTimeline {
  return {
    async record(requestId, entry) {
      await store.append(requestId, {
        type: entry.type,
        actor: { kind: 'system', id: 'notifications', email: null },
        details: { ...entry.details },
        idempotencyKey: entry.idempotencyKey,
        at: entry.at,
      });
    },
  };
}
