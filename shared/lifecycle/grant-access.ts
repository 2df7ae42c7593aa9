/**
 * `grantAccess`: one orchestration per grant (DESIGN §8), started by the vend that wrote the grant, never as
 * a sub-orchestration (the request's orchestration must not wait a year). A timer to 30 days before expiry
 * (the reminder), a timer to expiry (the vended copy is deleted, the grant and the DAU end), raced against a
 * revocation (now) and an approved extension (the expiry moves; continue-as-new keeps the history short).
 * After an end with downloads allowed, the requester has 30 days to close out before admins are alerted.
 * Time comes from the orchestration only, and is passed to the activities.
 */
import * as df from 'durable-functions';
import type { OrchestrationContext, Task, TimerTask } from 'durable-functions';
import { notify } from './notify';
import {
  checkCloseoutActivity,
  endAccessActivity,
  endedAccessSchema,
  extendGrantActivity,
  extendedGrantSchema,
  grantAccessInputSchema,
  grantEvents,
  grantExtendedSchema,
  grantRevokedSchema,
  maybeNotificationSchema,
  remindExpiryActivity,
  type GrantAccessInput,
} from './provisioning-activities';

const activityRetry = Object.assign(new df.RetryOptions(5_000, 6), { backoffCoefficient: 2 });
const dayMs = 24 * 3600_000;
/** The reminder goes out this long before expiry; admins are alerted this long after it without a close-out. */
export const REMINDER_BEFORE_MS = 30 * dayMs;
export const CLOSEOUT_WITHIN_MS = 30 * dayMs;

export type GrantAccessOutcome =
  | { readonly ended: 'expired' | 'revoked'; readonly at: string; readonly removedFiles: number }
  | { readonly ended: 'extended'; readonly expiresAt: string };

export function* grantAccess(context: OrchestrationContext): Generator<Task, GrantAccessOutcome, unknown> {
  const input = grantAccessInputSchema.parse(context.df.getInput());
  const { requestId, dauId, userId } = input;
  const ref = { requestId, dauId, userId };
  const now = () => context.df.currentUtcDateTime;
  const call = (name: string, activityInput: unknown) =>
    context.df.callActivityWithRetry(name, activityRetry, activityInput);
  const revoked = context.df.waitForExternalEvent(grantEvents.revoked);
  const extended = context.df.waitForExternalEvent(grantEvents.extended);
  const expiresAt = new Date(input.expiresAt);

  /** Waits until `at` unless an event comes first; answers the event that did, or undefined at `at`. */
  function* until(at: Date): Generator<Task, Task | undefined, unknown> {
    if (now() >= at) return undefined;
    const timer: TimerTask = context.df.createTimer(at);
    const winner = (yield context.df.Task.any([timer, revoked, extended])) as Task;
    if (winner === timer) return undefined;
    timer.cancel();
    return winner;
  }

  let event = input.reminded ? undefined : yield* until(new Date(expiresAt.getTime() - REMINDER_BEFORE_MS));
  if (event === undefined && !input.reminded && now() < expiresAt) {
    const reminder = maybeNotificationSchema.parse(
      yield call(remindExpiryActivity, { ...ref, expiresAt: expiresAt.toISOString() }),
    );
    if (reminder.notification !== undefined) yield* notify(context, reminder.notification);
  }
  event ??= yield* until(expiresAt);

  if (event === extended) {
    const { extensionId, approvedBy } = grantExtendedSchema.parse(extended.result);
    const moved = extendedGrantSchema.parse(
      yield call(extendGrantActivity, { ...ref, extensionId, approvedBy, at: now().toISOString() }),
    );
    const next: GrantAccessInput = { ...ref, expiresAt: moved.expiresAt, reminded: false };
    context.df.continueAsNew(next);
    return { ended: 'extended', expiresAt: moved.expiresAt };
  }

  const at = now().toISOString();
  const ending =
    event === revoked
      ? { kind: 'revoked' as const, ...grantRevokedSchema.parse(revoked.result) }
      : { kind: 'expired' as const };
  const ended = endedAccessSchema.parse(yield call(endAccessActivity, { ...ref, at, ending }));
  if (ended.notification !== undefined) yield* notify(context, ended.notification);

  if (ended.downloadAllowed) {
    // Downloaded copies are outside our reach: the requester attests their destruction (close-out).
    const closedOut = context.df.waitForExternalEvent(grantEvents.closedOut);
    const deadline = context.df.createTimer(new Date(Date.parse(at) + CLOSEOUT_WITHIN_MS));
    const winner = yield context.df.Task.any([deadline, closedOut]);
    if (winner === deadline) {
      const alert = maybeNotificationSchema.parse(
        yield call(checkCloseoutActivity, { ...ref, at: now().toISOString() }),
      );
      if (alert.notification !== undefined) yield* notify(context, alert.notification);
    } else {
      deadline.cancel();
    }
  }
  return { ended: ending.kind, at, removedFiles: ended.removedFiles };
}
