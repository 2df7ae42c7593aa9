/**
 * What an orchestrator episode returns (`OrchestratorState`, protocols §2.3) and how the engine reads it:
 * schema-dependent flattening of the action list and the `$OutOfProcData$` payload of a failing orchestrator.
 */
import { z } from 'zod';

/** The SDK's `ReplaySchema`: the value sent as `upperSchemaVersion(New)`. */
export const ReplaySchema = { V1: 0, V2: 1, V3: 2, V4: 3 } as const;
export type ReplaySchemaVersion = (typeof ReplaySchema)[keyof typeof ReplaySchema];

export const ActionType = {
  CallActivity: 0,
  CallActivityWithRetry: 1,
  CallSubOrchestrator: 2,
  CallSubOrchestratorWithRetry: 3,
  ContinueAsNew: 4,
  CreateTimer: 5,
  WaitForExternalEvent: 6,
  CallEntity: 7,
  CallHttp: 8,
  SignalEntity: 9,
  WhenAny: 11,
  WhenAll: 12,
  LockEntities: 13,
  ReleaseEntities: 14,
} as const;

const retryOptionsSchema = z.looseObject({
  firstRetryIntervalInMilliseconds: z.number().positive(),
  maxNumberOfAttempts: z.number().int(),
  backoffCoefficient: z.number().positive().optional(),
  maxRetryIntervalInMilliseconds: z.number().positive().optional(),
  retryTimeoutInMilliseconds: z.number().positive().optional(),
});
export type RetryOptions = z.infer<typeof retryOptionsSchema>;

export interface OrchestratorAction {
  actionType: number;
  functionName?: string | undefined;
  input?: unknown;
  instanceId?: string | undefined;
  version?: string | undefined;
  retryOptions?: RetryOptions | undefined;
  fireAt?: string | undefined;
  isCanceled?: boolean | undefined;
  externalEventName?: string | undefined;
  compoundActions?: OrchestratorAction[] | undefined;
}

const actionSchema: z.ZodType<OrchestratorAction> = z.lazy(() =>
  z.looseObject({
    actionType: z.number().int(),
    functionName: z.string().optional(),
    input: z.unknown().optional(),
    instanceId: z.string().optional(),
    version: z.string().optional(),
    retryOptions: retryOptionsSchema.optional(),
    fireAt: z.string().optional(),
    isCanceled: z.boolean().optional(),
    externalEventName: z.string().optional(),
    compoundActions: z.array(actionSchema).optional(),
  }),
);

export const orchestratorStateSchema = z.looseObject({
  isDone: z.boolean(),
  actions: z.array(z.array(actionSchema)),
  output: z.unknown().optional(),
  error: z.string().optional(),
  customStatus: z.unknown().optional(),
  schemaVersion: z.number().int().optional(),
});
export type OrchestratorState = z.infer<typeof orchestratorStateSchema>;

/**
 * One entry per scheduled action, in scheduling order: V1 sends one inner array per yield with WhenAll/WhenAny
 * already flattened into it; V2+ sends a single cumulative array with compound actions nested. Both are
 * cumulative over the execution, so position N always denotes the same action (the "slot").
 */
export function flattenActions(actions: readonly (readonly OrchestratorAction[])[]): OrchestratorAction[] {
  const flat: OrchestratorAction[] = [];
  const visit = (action: OrchestratorAction): void => {
    if (action.compoundActions !== undefined) action.compoundActions.forEach(visit);
    else flat.push(action);
  };
  for (const group of actions) group.forEach(visit);
  return flat;
}

/** Where an entry of `flattenActions` comes from: the yield that scheduled it, and whether as a compound's child. */
export interface ActionOrigin {
  readonly yieldIndex: number;
  readonly inCompound: boolean;
}

/**
 * Parallel to `flattenActions`. V1 sends one inner array per yield (compound children already flattened into
 * it, so an array of several entries is a compound); V2+ sends one array whose entries are the yields.
 */
export function actionOrigins(
  actions: readonly (readonly OrchestratorAction[])[],
  schema: ReplaySchemaVersion,
): ActionOrigin[] {
  const origins: ActionOrigin[] = [];
  let yieldIndex = 0;
  const visit = (action: OrchestratorAction, origin: ActionOrigin): void => {
    if (action.compoundActions === undefined) origins.push(origin);
    else for (const child of action.compoundActions) visit(child, { ...origin, inCompound: true });
  };
  for (const group of actions) {
    if (schema === ReplaySchema.V1) {
      const origin = { yieldIndex: yieldIndex++, inCompound: group.length > 1 };
      for (const action of group) visit(action, origin);
    } else {
      for (const action of group) visit(action, { yieldIndex: yieldIndex++, inCompound: false });
    }
  }
  return origins;
}

/** Sequence ids an action consumes when it is scheduled (protocols §2.3 table, long timers disabled). */
export function idsConsumed(action: OrchestratorAction): number {
  return action.actionType === ActionType.WaitForExternalEvent ||
    action.actionType === ActionType.ContinueAsNew
    ? 0
    : 1;
}

const outOfProcLabel = '\n\n$OutOfProcData$:';

/**
 * A failing orchestrator throws instead of returning; the SDK appends its state to the message after
 * `\n\n$OutOfProcData$:` (the extension's `OutOfProcExceptionHelpers`). Undefined when the label is absent.
 */
export function parseOutOfProcFailure(message: string): OrchestratorState | undefined {
  const at = message.indexOf(outOfProcLabel);
  if (at < 0) return undefined;
  try {
    const parsed = orchestratorStateSchema.safeParse(JSON.parse(message.slice(at + outOfProcLabel.length)));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The name the action is known by in history, for the non-determinism check and logs. */
export function actionLabel(action: OrchestratorAction): string {
  switch (action.actionType) {
    case ActionType.CreateTimer:
      return 'timer';
    case ActionType.WaitForExternalEvent:
      return `event '${action.externalEventName ?? ''}'`;
    case ActionType.ContinueAsNew:
      return 'continueAsNew';
    default:
      return `${actionTypeName(action.actionType)} '${action.functionName ?? action.instanceId ?? ''}'`;
  }
}

const actionTypeNames = new Map<number, string>(
  Object.entries(ActionType).map(([name, value]) => [value, name]),
);

export function actionTypeName(type: number): string {
  return actionTypeNames.get(type) ?? `action type ${type}`;
}

/** JSON text of an activity/continue-as-new input: the SDK has already JSON-encoded string inputs. */
export function preEncodedInputJson(input: unknown): string {
  return typeof input === 'string' ? input : JSON.stringify(input ?? null);
}
