import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { ActivityHandler, OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import { z } from 'zod';
import { registerOrchestrationStarter } from './check-status';

/**
 * Sample: waiting for a person (after the SDK's `smsPhoneVerification`). The orchestrator asks for a
 * decision, then races the `ApprovalDecision` external event against a durable timer with `Task.any`; the
 * loser is cancelled. `POST /api/samples/approval` starts it; raise the event with the `sendEventPostUri`
 * from the 202 answer (`{eventName}` = `ApprovalDecision`, body `{"approved": true, "by": "..."}`).
 */
export const requestApprovalActivity = 'sampleRequestApproval';
export const approvalOrchestrator = 'approvalSample';
export const approvalEvent = 'ApprovalDecision';

const approvalInput = z.object({
  subject: z.string().min(1).max(200),
  timeoutHours: z
    .number()
    .positive()
    .max(24 * 365)
    .default(72),
});
export type ApprovalInput = z.input<typeof approvalInput>;

const decisionEvent = z.object({ approved: z.boolean(), by: z.string().min(1).max(200) });

export type ApprovalOutcome =
  | { readonly outcome: 'approved' | 'rejected'; readonly by: string }
  | { readonly outcome: 'expired'; readonly at: string };

/** Stands in for the notification a real flow would send (email with a decision link). */
export const requestApproval: ActivityHandler = (input: unknown, context: InvocationContext): string => {
  const { subject } = approvalInput.parse(input);
  context.log(`Approval requested: ${subject}`);
  return subject;
};

export const approvalSample: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = approvalInput.parse(context.df.getInput());
  yield context.df.callActivity(requestApprovalActivity, input);
  context.df.setCustomStatus({ waitingFor: approvalEvent });

  const deadline = new Date(context.df.currentUtcDateTime.getTime() + input.timeoutHours * 3_600_000);
  const timeout = context.df.createTimer(deadline);
  const decision = context.df.waitForExternalEvent(approvalEvent);
  const winner = yield context.df.Task.any([decision, timeout]);

  let outcome: ApprovalOutcome;
  if (winner === decision) {
    timeout.cancel();
    const parsed = decisionEvent.safeParse(decision.result);
    outcome = parsed.success
      ? { outcome: parsed.data.approved ? 'approved' : 'rejected', by: parsed.data.by }
      : { outcome: 'rejected', by: 'invalid decision payload' };
  } else {
    outcome = { outcome: 'expired', at: context.df.currentUtcDateTime.toISOString() };
  }
  context.df.setCustomStatus({ decided: outcome.outcome });
  return outcome;
};

df.app.activity(requestApprovalActivity, { handler: requestApproval });
df.app.orchestration(approvalOrchestrator, approvalSample);
registerOrchestrationStarter('startApproval', 'samples/approval', approvalOrchestrator, {
  auth: 'optional',
  body: approvalInput,
});
