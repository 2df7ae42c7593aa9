/**
 * Orchestration history events as the Durable extension serialises them for out-of-process SDKs: DTFx
 * `HistoryEvent`s through Newtonsoft's default settings (PascalCase fields, enums as numbers). The JS SDK
 * matches completions by `TaskScheduledId` / `TimerId` / `Name` and reads `Result`/`Input` as JSON text.
 */

export const EventType = {
  ExecutionStarted: 0,
  ExecutionCompleted: 1,
  ExecutionTerminated: 3,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  SubOrchestrationInstanceCreated: 7,
  SubOrchestrationInstanceCompleted: 8,
  SubOrchestrationInstanceFailed: 9,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  OrchestratorCompleted: 13,
  EventRaised: 15,
  ExecutionSuspended: 19,
  ExecutionResumed: 20,
} as const;

export type EventTypeNumber = (typeof EventType)[keyof typeof EventType];

const eventTypeNames = new Map<number, string>(
  Object.entries(EventType).map(([name, value]) => [value, name]),
);

export function eventTypeName(type: number): string {
  return eventTypeNames.get(type) ?? `EventType${type}`;
}

/** DTFx `OrchestrationStatus`, as `ExecutionCompleted.OrchestrationStatus` carries it. */
export const OrchestrationStatusNumber = { Completed: 1, Failed: 3, Terminated: 5 } as const;

export interface HistoryEvent {
  EventType: number;
  EventId: number;
  IsPlayed: boolean;
  Timestamp: string;
  [field: string]: unknown;
}

export function historyEvent(
  type: EventTypeNumber,
  timestamp: number,
  fields: Record<string, unknown> = {},
  eventId = -1,
): HistoryEvent {
  return {
    EventType: type,
    EventId: eventId,
    IsPlayed: false,
    Timestamp: new Date(timestamp).toISOString(),
    ...fields,
  };
}

/** A task failure the SDK can decode: it needs string `Reason` and `Details` (or a `FailureDetails` object). */
export interface TaskFailure {
  readonly Reason: string;
  readonly Details: string;
}

/** Completion events that resolve an SDK task by sequence id. */
export function completedTaskId(event: HistoryEvent): number | undefined {
  switch (event.EventType) {
    case EventType.TaskCompleted:
    case EventType.TaskFailed:
    case EventType.SubOrchestrationInstanceCompleted:
    case EventType.SubOrchestrationInstanceFailed:
      return typeof event.TaskScheduledId === 'number' ? event.TaskScheduledId : undefined;
    case EventType.TimerFired:
      return typeof event.TimerId === 'number' ? event.TimerId : undefined;
    default:
      return undefined;
  }
}

export function isFailureEvent(event: HistoryEvent): boolean {
  return (
    event.EventType === EventType.TaskFailed || event.EventType === EventType.SubOrchestrationInstanceFailed
  );
}
