import type { OrchestrationContext, Task } from 'durable-functions';

/** How the agreement stage ended: signed (the controlled DAUs are in review), ended (declined, voided), withdrawn. */
export type AgreementStepOutcome = 'signed' | 'ended' | 'withdrawn';

export interface AgreementStepInput {
  readonly requestId: string;
  readonly route: 'electronic' | 'manual';
}

// eslint-disable-next-line require-yield
export function* agreementStep(
  _context: OrchestrationContext,
  input: AgreementStepInput,
  _withdrawn: Task,
): Generator<Task, AgreementStepOutcome, unknown> {
  throw new Error(`The agreement step of ${input.requestId} is not built yet`);
}
