/**
 * The rules an episode applies, as pure functions: the history events the engine writes (start, completion,
 * failure with `Reason`/`Details`), how worker results become `Result` JSON text, how an orchestrator's answer
 * is read, DTFx retry timing, and what counts as non-deterministic or unsupported.
 */
import { randomUUID } from 'node:crypto';
import type { InvocationOutcome } from '../host/extension';
import type { RpcTypedData } from '../host/rpc-types';
import { EventType, historyEvent, type HistoryEvent, type TaskFailure } from './history';
import {
  ActionType,
  actionTypeName,
  orchestratorStateSchema,
  parseOutOfProcFailure,
  type OrchestratorAction,
  type OrchestratorState,
  type RetryOptions,
} from './orchestrator-state';
import type { ActionSlot, ActivityWorkItem, InstanceMessage, InstanceMeta } from './store';

export function startMessage(meta: InstanceMeta, now: number): InstanceMessage {
  const fields: Record<string, unknown> = {
    Name: meta.name,
    Version: '',
    Input: meta.inputJson,
    OrchestrationInstance: { InstanceId: meta.instanceId, ExecutionId: meta.executionId },
  };
  if (meta.parent) {
    fields.ParentInstance = {
      OrchestrationInstance: { InstanceId: meta.parent.instanceId, ExecutionId: meta.parent.executionId },
      TaskScheduleId: meta.parent.taskId,
    };
  }
  return {
    id: randomUUID(),
    instanceId: meta.instanceId,
    executionId: meta.executionId,
    kind: 'start',
    event: historyEvent(EventType.ExecutionStarted, now, fields),
  };
}

function isSubOrchestration(actionType: number): boolean {
  return (
    actionType === ActionType.CallSubOrchestrator || actionType === ActionType.CallSubOrchestratorWithRetry
  );
}

export function failureEvent(
  actionType: number,
  taskId: number,
  now: number,
  failure: TaskFailure,
): HistoryEvent {
  const type = isSubOrchestration(actionType)
    ? EventType.SubOrchestrationInstanceFailed
    : EventType.TaskFailed;
  return historyEvent(type, now, {
    TaskScheduledId: taskId,
    Reason: failure.Reason,
    Details: failure.Details,
  });
}

export function failureOf(event: HistoryEvent): TaskFailure {
  return { Reason: String(event.Reason ?? ''), Details: String(event.Details ?? '') };
}

export function activityEvent(item: ActivityWorkItem, outcome: InvocationOutcome, now: number): HistoryEvent {
  if (outcome.ok) {
    return historyEvent(EventType.TaskCompleted, now, {
      TaskScheduledId: item.taskId,
      Result: resultJson(outcome.response.returnValue),
    });
  }
  return failureEvent(ActionType.CallActivity, item.taskId, now, {
    Reason: `Activity function '${item.name}' failed: ${outcome.error.message}`,
    Details: outcome.error.stack ?? '',
  });
}

/** `TaskCompleted.Result` is JSON text (the SDK `JSON.parse`s it), whatever typed data the worker returned. */
function resultJson(value: RpcTypedData | null | undefined): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value.json === 'string') return value.json;
  if (typeof value.string === 'string') return JSON.stringify(value.string);
  if (typeof value.int === 'number') return JSON.stringify(value.int);
  if (typeof value.double === 'number') return JSON.stringify(value.double);
  if (value.bytes) return JSON.stringify(Buffer.from(value.bytes).toString('base64'));
  return 'null';
}

export function readOrchestratorOutcome(
  name: string,
  outcome: InvocationOutcome,
): { readonly state?: OrchestratorState; readonly failure?: string } {
  if (!outcome.ok) {
    const state = parseOutOfProcFailure(outcome.error.message);
    return state
      ? { state }
      : { failure: `Orchestrator function '${name}' failed: ${outcome.error.message}` };
  }
  const value = outcome.response.returnValue;
  const text = value?.json ?? value?.string;
  try {
    const parsed = orchestratorStateSchema.safeParse(typeof text === 'string' ? JSON.parse(text) : undefined);
    if (parsed.success) return { state: parsed.data };
    return {
      failure: `Orchestrator function '${name}' returned no valid orchestrator state: ${parsed.error.message}`,
    };
  } catch (error) {
    return { failure: `Orchestrator function '${name}' returned invalid JSON: ${String(error)}` };
  }
}

export function retryTimedOut(options: RetryOptions, elapsedMs: number): boolean {
  return options.retryTimeoutInMilliseconds !== undefined && elapsedMs >= options.retryTimeoutInMilliseconds;
}

/** DTFx `RetryInterceptor`: first interval × backoff^(failures−1), capped by the max interval. */
export function retryDelayMs(options: RetryOptions, failures: number): number {
  const delay =
    options.firstRetryIntervalInMilliseconds * (options.backoffCoefficient ?? 1) ** (failures - 1);
  return Math.min(delay, options.maxRetryIntervalInMilliseconds ?? Number.POSITIVE_INFINITY);
}

export function slotName(action: OrchestratorAction): string | undefined {
  return action.actionType === ActionType.WaitForExternalEvent
    ? action.externalEventName
    : action.functionName;
}

export function slotAction(slot: ActionSlot): OrchestratorAction {
  return { actionType: slot.actionType, functionName: slot.name, externalEventName: slot.name };
}

export function nonDeterminism(meta: InstanceMeta, index: number, detail: string): string {
  return (
    `Non-deterministic workflow detected in orchestrator function '${meta.name}' (instance '${meta.instanceId}'), ` +
    `action #${index}: ${detail}. Orchestrator code must schedule the same actions in the same order on every replay.`
  );
}

export function unsupportedReason(action: OrchestratorAction): string | undefined {
  switch (action.actionType) {
    case ActionType.CallEntity:
    case ActionType.SignalEntity:
    case ActionType.LockEntities:
    case ActionType.ReleaseEntities:
      return `durable entities (${actionTypeName(action.actionType)}) are not supported by the local durable engine`;
    case ActionType.CallHttp:
      return 'callHttp is not supported by the local durable engine';
    case ActionType.CallActivity:
    case ActionType.CallActivityWithRetry:
    case ActionType.CallSubOrchestrator:
    case ActionType.CallSubOrchestratorWithRetry:
    case ActionType.ContinueAsNew:
    case ActionType.CreateTimer:
    case ActionType.WaitForExternalEvent:
      return undefined;
    default:
      return `${actionTypeName(action.actionType)} is not supported by the local durable engine`;
  }
}
