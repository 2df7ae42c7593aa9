/**
 * Instance status as the management API returns it (the extension's `StatusResponsePayload`; dates formatted
 * `ToString("s") + "Z"`), the history view of `showHistory=true` (`ConvertHistoryToJsonArray`: scheduling
 * events folded into their completions, names instead of numbers) and instance queries.
 */
import { EventType, eventTypeName, type HistoryEvent } from './history';
import type { RuntimeStatus, StoredInstance } from './store';

export interface StatusOptions {
  readonly showInput: boolean;
  readonly showHistory: boolean;
  readonly showHistoryOutput: boolean;
}

export interface InstanceStatus {
  readonly name: string;
  readonly instanceId: string;
  readonly runtimeStatus: RuntimeStatus;
  readonly input: unknown;
  readonly customStatus: unknown;
  readonly output: unknown;
  readonly createdTime: string;
  readonly lastUpdatedTime: string;
  readonly historyEvents?: Record<string, unknown>[];
}

/** .NET `DateTime.ToString("s") + "Z"`: whole seconds, no fraction. */
export function formatTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function parseJson(text: string | null | undefined): unknown {
  if (text === null || text === undefined) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export function instanceStatus(instance: StoredInstance, options: StatusOptions): InstanceStatus {
  const meta = instance.meta;
  const status: InstanceStatus = {
    name: meta.name,
    instanceId: meta.instanceId,
    runtimeStatus: meta.status,
    input: options.showInput ? parseJson(meta.inputJson) : null,
    customStatus: parseJson(meta.customStatusJson),
    output: parseJson(meta.outputJson),
    createdTime: formatTime(meta.createdAt),
    lastUpdatedTime: formatTime(meta.updatedAt),
  };
  return options.showHistory
    ? { ...status, historyEvents: historyView(instance.history, options.showHistoryOutput) }
    : status;
}

function historyView(history: readonly HistoryEvent[], withOutput: boolean): Record<string, unknown>[] {
  const scheduled = new Map<number, HistoryEvent>();
  const view: Record<string, unknown>[] = [];
  for (const event of history) {
    const base: Record<string, unknown> = {
      EventType: eventTypeName(event.EventType),
      Timestamp: event.Timestamp,
    };
    const output = (field: string, value: unknown): void => {
      if (withOutput) base[field] = parseJson(typeof value === 'string' ? value : null);
    };
    switch (event.EventType) {
      case EventType.OrchestratorStarted:
      case EventType.OrchestratorCompleted:
        continue;
      case EventType.TaskScheduled:
      case EventType.SubOrchestrationInstanceCreated:
        scheduled.set(event.EventId, event);
        continue;
      case EventType.ExecutionStarted:
        base.FunctionName = event.Name;
        output('Input', event.Input);
        break;
      case EventType.TaskCompleted:
      case EventType.TaskFailed:
      case EventType.SubOrchestrationInstanceCompleted:
      case EventType.SubOrchestrationInstanceFailed: {
        const origin = scheduled.get(Number(event.TaskScheduledId));
        base.FunctionName = origin?.Name;
        base.ScheduledTime = origin?.Timestamp;
        if (origin?.InstanceId !== undefined) base.InstanceId = origin.InstanceId;
        if ('Result' in event) output('Result', event.Result);
        if ('Reason' in event) {
          base.Reason = event.Reason;
          base.Details = event.Details;
        }
        break;
      }
      case EventType.TimerCreated:
      case EventType.TimerFired:
        base.FireAt = event.FireAt;
        break;
      case EventType.EventRaised:
        base.Name = event.Name;
        output('Input', event.Input);
        break;
      case EventType.ExecutionCompleted:
        base.OrchestrationStatus = (
          { 1: 'Completed', 3: 'Failed', 5: 'Terminated' } as Record<number, string>
        )[Number(event.OrchestrationStatus)];
        output('Result', event.Result);
        break;
      case EventType.ExecutionTerminated:
        base.Input = event.Input;
        break;
      default:
        if ('Reason' in event) base.Reason = event.Reason;
    }
    view.push(base);
  }
  return view;
}

export interface InstanceQuery {
  readonly createdTimeFrom?: number;
  readonly createdTimeTo?: number;
  readonly runtimeStatus?: readonly RuntimeStatus[];
  readonly instanceIdPrefix?: string;
}

export function matchesQuery(instance: StoredInstance, query: InstanceQuery): boolean {
  const meta = instance.meta;
  if (query.createdTimeFrom !== undefined && meta.createdAt < query.createdTimeFrom) return false;
  if (query.createdTimeTo !== undefined && meta.createdAt > query.createdTimeTo) return false;
  if (
    query.runtimeStatus !== undefined &&
    query.runtimeStatus.length > 0 &&
    !query.runtimeStatus.includes(meta.status)
  ) {
    return false;
  }
  return query.instanceIdPrefix === undefined || meta.instanceId.startsWith(query.instanceIdPrefix);
}

/** Stable order for paging: creation time, then id. */
export function compareInstances(a: StoredInstance, b: StoredInstance): number {
  return (
    a.meta.createdAt - b.meta.createdAt ||
    (a.meta.instanceId < b.meta.instanceId ? -1 : a.meta.instanceId > b.meta.instanceId ? 1 : 0)
  );
}
