/**
 * The orchestration engine: the role the Durable extension and DTFx play in the real host. It delivers one
 * message per episode to an instance (protocols §2.5.4: the SDK reserves retry "consequence" ids while
 * handling the new event, before user code runs, so with one event per episode every id is predictable),
 * invokes the orchestrator through the host with the binding JSON, diffs the returned action list by slot
 * against what was already scheduled (non-determinism check), schedules the new work and records it all in
 * the store as one batch before any of it runs.
 */
import { randomUUID } from 'node:crypto';
import type { HostContext } from '../host/extension';
import {
  completedTaskId,
  EventType,
  historyEvent,
  isFailureEvent,
  OrchestrationStatusNumber,
  type HistoryEvent,
  type TaskFailure,
} from './history';
import {
  activityEvent,
  failureEvent,
  failureOf,
  nonDeterminism,
  readOrchestratorOutcome,
  retryDelayMs,
  retryTimedOut,
  slotAction,
  slotName,
  startMessage,
  unsupportedReason,
} from './episode-rules';
import { ConcurrencyLimiter } from './limiter';
import {
  ActionType,
  actionLabel,
  actionOrigins,
  flattenActions,
  idsConsumed,
  preEncodedInputJson,
  ReplaySchema,
  type ActionOrigin,
  type OrchestratorAction,
  type OrchestratorState,
  type ReplaySchemaVersion,
} from './orchestrator-state';
import {
  terminalStatuses,
  type ActionSlot,
  type ActivityWorkItem,
  type DurableStore,
  type InstanceMessage,
  type InstanceMeta,
  type RetryState,
  type StoredInstance,
  type StoreOp,
  type TimerItem,
} from './store';

export interface EngineSettings {
  readonly taskHub: string;
  /** The replay schema advertised to the SDK (the highest durable-functions 3.5.0 knows by default). */
  readonly schema: ReplaySchemaVersion;
  readonly maxConcurrentActivities: number;
  readonly maxConcurrentOrchestrations: number;
  readonly onEpisode?: (episode: EpisodeMetrics) => void;
}

export interface EpisodeMetrics {
  readonly instanceId: string;
  readonly name: string;
  /** Events the orchestrator replayed in this episode. */
  readonly historyLength: number;
  /** Time inside the orchestrator invocation (replay + new work). */
  readonly durationMs: number;
  /** CPU time of the process meanwhile (equals the episode's own cost when nothing else runs). */
  readonly cpuMs: number;
}

/** Sent as `maximumShortTimerDuration`: every timer is one DFTimerTask with one id (no long-timer chunks). */
const maximumShortTimerDuration = '36500.00:00:00';
const longRunningTimerIntervalDuration = '3.00:00:00';
/** How long `stop()` lets in-flight episodes and activities finish before leaving them to the next start. */
const stopGraceMs = 5_000;

export type ClientResult =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly code: 'notFound' | 'gone' | 'conflict' | 'badRequest';
      readonly message: string;
    };

export class DurableEngine {
  private readonly orchestrations: ConcurrencyLimiter;
  private readonly activities: ConcurrencyLimiter;
  /** Instances with a delivery loop running: one episode at a time per instance. */
  private readonly activeInstances = new Set<string>();
  private readonly runningWork = new Set<string>();
  private readonly armedTimers = new Map<string, () => void>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private stopping = false;
  private lastTimestamp = 0;

  constructor(
    private readonly host: HostContext,
    readonly store: DurableStore,
    readonly settings: EngineSettings,
  ) {
    this.orchestrations = new ConcurrencyLimiter(settings.maxConcurrentOrchestrations);
    this.activities = new ConcurrencyLimiter(settings.maxConcurrentActivities);
  }

  /** Picks up whatever the store holds: arms timers, re-runs activities, delivers queued messages. */
  resume(): void {
    for (const timer of this.store.timers.values()) this.armTimer(timer);
    for (const item of this.store.work.values()) this.startActivity(item);
    for (const instance of this.store.instances.values())
      if (instance.inbox.length > 0) this.kick(instance.meta.instanceId);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const disarm of this.armedTimers.values()) disarm();
    this.armedTimers.clear();
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inFlight]),
      new Promise((resolve) => {
        timeout = setTimeout(resolve, stopGraceMs);
      }),
    ]);
    clearTimeout(timeout);
  }

  // ---- client operations (the management API) ----

  async startNew(name: string, instanceId: string, inputJson: string | null): Promise<ClientResult> {
    const registered = this.host.functions.get(name);
    if (registered?.trigger.info.type !== 'orchestrationTrigger') {
      return {
        ok: false,
        code: 'badRequest',
        message: `The function '${name}' doesn't exist, is disabled, or is not an orchestrator function.`,
      };
    }
    const existing = this.store.instances.get(instanceId);
    if (existing && !terminalStatuses.has(existing.meta.status)) {
      return {
        ok: false,
        code: 'conflict',
        message: `An instance with ID '${instanceId}' already exists and is ${existing.meta.status}.`,
      };
    }
    const ops: StoreOp[] = existing ? [{ op: 'purge', instanceId }] : [];
    ops.push(...this.createInstanceOps(name, instanceId, inputJson, undefined));
    await this.commit(ops);
    this.host.log('info', `Orchestration '${name}' scheduled`, { instanceId, functionName: name });
    this.kick(instanceId);
    return { ok: true };
  }

  async raiseEvent(instanceId: string, eventName: string, dataJson: string | null): Promise<ClientResult> {
    const checked = this.checkLive(instanceId);
    if (!checked.ok) return checked;
    const fields: Record<string, unknown> = { Name: eventName };
    if (dataJson !== null) fields.Input = dataJson;
    await this.deliver({
      instanceId,
      kind: 'event',
      event: historyEvent(EventType.EventRaised, this.now(), fields),
    });
    return { ok: true };
  }

  async control(
    instanceId: string,
    kind: 'terminate' | 'suspend' | 'resume',
    reason: string,
  ): Promise<ClientResult> {
    const checked = this.checkLive(instanceId);
    if (!checked.ok) return checked;
    await this.deliver({ instanceId, kind, reason });
    return { ok: true };
  }

  async purge(instanceIds: readonly string[]): Promise<number> {
    const ops: StoreOp[] = [];
    for (const instanceId of instanceIds) {
      const instance = this.store.instances.get(instanceId);
      if (!instance || !terminalStatuses.has(instance.meta.status)) continue;
      ops.push({ op: 'purge', instanceId });
    }
    await this.commit(ops);
    return ops.length;
  }

  private checkLive(instanceId: string): ClientResult {
    const instance = this.store.instances.get(instanceId);
    if (!instance)
      return { ok: false, code: 'notFound', message: `No instance with ID '${instanceId}' found.` };
    if (terminalStatuses.has(instance.meta.status)) {
      return { ok: false, code: 'gone', message: `The instance '${instanceId}' is ${instance.meta.status}.` };
    }
    return { ok: true };
  }

  private async deliver(message: Omit<InstanceMessage, 'id'>): Promise<void> {
    await this.commit([{ op: 'enqueue', message: { ...message, id: randomUUID() } }]);
    this.kick(message.instanceId);
  }

  // ---- message delivery ----

  private kick(instanceId: string): void {
    if (this.stopping || this.activeInstances.has(instanceId)) return;
    this.activeInstances.add(instanceId);
    this.track(this.deliverAll(instanceId), `delivery to ${instanceId}`);
  }

  /**
   * Delivers queued messages one episode at a time. The instance leaves `activeInstances` in the same
   * synchronous step that finds its inbox empty, so a message queued a moment later always gets a new loop.
   */
  private async deliverAll(instanceId: string): Promise<void> {
    try {
      for (;;) {
        const instance = this.store.instances.get(instanceId);
        const message = instance && !this.stopping ? this.nextMessage(instance) : undefined;
        if (!instance || !message) {
          this.activeInstances.delete(instanceId);
          return;
        }
        await this.process(instance, message);
      }
    } catch (error) {
      this.activeInstances.delete(instanceId);
      throw error;
    }
  }

  private nextMessage(instance: StoredInstance): InstanceMessage | undefined {
    if (instance.meta.status === 'Suspended') {
      return instance.inbox.find((message) => message.kind === 'resume' || message.kind === 'terminate');
    }
    return instance.inbox[0];
  }

  private async process(instance: StoredInstance, message: InstanceMessage): Promise<void> {
    const meta = instance.meta;
    const dequeue: StoreOp = { op: 'dequeue', instanceId: meta.instanceId, messageId: message.id };
    const stale = message.executionId !== undefined && message.executionId !== meta.executionId;
    if (stale || terminalStatuses.has(meta.status)) {
      await this.commit([dequeue]);
      return;
    }
    switch (message.kind) {
      case 'terminate':
        await this.finish(instance, [dequeue], {
          status: 'Terminated',
          outputJson: JSON.stringify(message.reason ?? ''),
          events: [historyEvent(EventType.ExecutionTerminated, this.now(), { Input: message.reason ?? '' })],
          failure: {
            Reason: `Orchestration '${meta.name}' was terminated: ${message.reason ?? ''}`,
            Details: '',
          },
        });
        this.host.log('info', `Orchestration '${meta.name}' terminated`, { instanceId: meta.instanceId });
        return;
      case 'suspend':
      case 'resume': {
        const suspending = message.kind === 'suspend';
        if (suspending === (meta.status === 'Suspended')) {
          await this.commit([dequeue]);
          return;
        }
        const type = suspending ? EventType.ExecutionSuspended : EventType.ExecutionResumed;
        await this.commit([
          dequeue,
          {
            op: 'history',
            instanceId: meta.instanceId,
            events: [historyEvent(type, this.now(), { Reason: message.reason ?? '' })],
          },
          {
            op: 'instance',
            meta: { ...meta, status: suspending ? 'Suspended' : 'Running', updatedAt: this.now() },
          },
        ]);
        return;
      }
      case 'start':
      case 'event':
        await this.runEpisode(instance, message, dequeue);
        return;
    }
  }

  // ---- episodes ----

  private async runEpisode(
    instance: StoredInstance,
    message: InstanceMessage,
    dequeue: StoreOp,
  ): Promise<void> {
    const meta = instance.meta;
    const now = this.now();
    const episode = new EpisodeBuilder(meta, now);
    episode.events.push(historyEvent(EventType.OrchestratorStarted, now), message.event!);
    this.applyRetryConsequences(episode, message.event!);

    const history = [...instance.history, ...episode.events];
    // The limit covers the orchestrator invocation only, not the wait for the journal's fsync.
    const { outcome, durationMs, cpuMs } = await this.orchestrations.run(async () => {
      const started = performance.now();
      const cpuBefore = process.cpuUsage();
      const invoked = await this.host.invoke(
        meta.name,
        [
          {
            name: this.triggerName(meta.name) ?? 'context',
            data: { string: this.bindingJson(meta, history) },
          },
        ],
        {},
        { reason: `Durable orchestration ${meta.instanceId}` },
      );
      const cpu = process.cpuUsage(cpuBefore);
      return {
        outcome: invoked,
        durationMs: performance.now() - started,
        cpuMs: (cpu.user + cpu.system) / 1000,
      };
    });
    if (this.stopping) return; // Not recorded: the message is delivered again on the next start.
    this.settings.onEpisode?.({
      instanceId: meta.instanceId,
      name: meta.name,
      historyLength: history.length,
      durationMs,
      cpuMs,
    });
    const result = readOrchestratorOutcome(meta.name, outcome);
    this.host.log('info', `Episode of '${meta.name}' ran in ${durationMs.toFixed(1)} ms`, {
      instanceId: meta.instanceId,
      functionName: meta.name,
      historyLength: history.length,
      outcome: result.failure !== undefined ? 'failed' : result.state?.isDone ? 'done' : 'waiting',
    });

    const ops: StoreOp[] = [dequeue];
    const failure =
      result.failure ?? (result.state ? this.applyActions(episode, result.state, history) : undefined);
    const state = result.state;
    if ('customStatus' in (state ?? {}))
      episode.meta.customStatusJson = JSON.stringify(state?.customStatus ?? null);

    if (failure !== undefined) {
      await this.finish(instance, [dequeue], {
        status: 'Failed',
        outputJson: JSON.stringify(failure),
        events: [
          ...episode.events.slice(0, 2),
          historyEvent(EventType.ExecutionCompleted, now, {
            OrchestrationStatus: OrchestrationStatusNumber.Failed,
            Result: failure,
          }),
        ],
        failure: { Reason: failure, Details: '' },
        custom: episode.meta.customStatusJson,
      });
      this.host.log('warn', failure, { instanceId: meta.instanceId, functionName: meta.name });
      return;
    }
    const continueAction = state!.isDone
      ? episode.flat.find((action) => action.actionType === ActionType.ContinueAsNew)
      : undefined;
    if (continueAction) {
      ops.push(...this.continueAsNewOps(instance, episode, history, continueAction));
      await this.commit(ops);
      this.host.log('info', `Orchestration '${meta.name}' continued as new`, { instanceId: meta.instanceId });
      this.kick(meta.instanceId);
      return;
    }
    if (state!.isDone) {
      await this.finish(instance, [dequeue], {
        status: 'Completed',
        outputJson: JSON.stringify(state!.output ?? null),
        events: [
          ...episode.events,
          historyEvent(EventType.ExecutionCompleted, now, {
            OrchestrationStatus: OrchestrationStatusNumber.Completed,
            Result: JSON.stringify(state!.output ?? null),
          }),
        ],
        custom: episode.meta.customStatusJson,
      });
      this.host.log('info', `Orchestration '${meta.name}' completed`, { instanceId: meta.instanceId });
      return;
    }
    episode.events.push(historyEvent(EventType.OrchestratorCompleted, now));
    ops.push(
      { op: 'history', instanceId: meta.instanceId, events: episode.events },
      { op: 'instance', meta: { ...episode.meta, status: 'Running', updatedAt: now } },
      ...episode.ops,
    );
    await this.commit(ops);
    this.startEffects(episode.ops);
  }

  /**
   * Retries (protocols §2.5.2): the SDK reserves the next id for a retry timer after every failed attempt
   * (the last one included) and, once that timer fires, the next id for the new attempt if any remain.
   */
  private applyRetryConsequences(episode: EpisodeBuilder, event: HistoryEvent): void {
    const taskId = completedTaskId(event);
    if (taskId === undefined) return;
    const { [String(taskId)]: retry, ...otherRetries } = episode.meta.retries;
    if (retry === undefined) return;
    episode.meta.retries = otherRetries;
    if (retry.phase === 'attempt') {
      if (!isFailureEvent(event)) return;
      const timerId = episode.meta.nextId++;
      // DTFx decides at the failure whether another attempt may start; once past the timeout none will.
      const timedOut =
        retry.timedOut === true || retryTimedOut(retry.options, episode.now - retry.firstAttemptAt);
      const fireAt = episode.now + (timedOut ? 0 : retryDelayMs(retry.options, retry.attempt));
      episode.events.push(
        historyEvent(
          EventType.TimerCreated,
          episode.now,
          { FireAt: new Date(fireAt).toISOString() },
          timerId,
        ),
      );
      episode.addTimer(timerId, fireAt);
      episode.meta.retries[timerId] = { ...retry, phase: 'timer', lastFailure: failureOf(event), timedOut };
      return;
    }
    if (retry.attempt >= retry.options.maxNumberOfAttempts) return; // The SDK now throws the last failure.
    const attemptId = episode.meta.nextId++;
    const slot = episode.meta.slots[retry.slot]!;
    episode.meta.retries[attemptId] = { ...retry, phase: 'attempt', attempt: retry.attempt + 1 };
    if (retry.timedOut === true) {
      // The SDK counts attempts only and waits for each: the remaining ones fail at once with the last failure.
      episode.messageToSelf(
        failureEvent(
          slot.actionType,
          attemptId,
          episode.now,
          retry.lastFailure ?? { Reason: '', Details: '' },
        ),
      );
      return;
    }
    this.scheduleCall(episode, retry.callAction, attemptId);
  }

  /** Returns a failure message if the instance must fail (non-determinism, unsupported action). */
  private applyActions(
    episode: EpisodeBuilder,
    state: OrchestratorState,
    history: readonly HistoryEvent[],
  ): string | undefined {
    const flat = flattenActions(state.actions);
    episode.flat = flat;
    const slots = episode.meta.slots;
    for (let i = 0; i < Math.min(flat.length, slots.length); i++) {
      const action = flat[i]!;
      const slot = slots[i]!;
      if (action.actionType !== slot.actionType || slotName(action) !== slot.name) {
        return nonDeterminism(
          episode.meta,
          i,
          `history has ${actionLabel(slotAction(slot))} but the orchestrator now schedules ${actionLabel(action)}`,
        );
      }
      if (slot.reuseOf !== undefined && JSON.stringify(action) !== JSON.stringify(flat[slot.reuseOf])) {
        return nonDeterminism(
          episode.meta,
          i,
          `history has the pending ${actionLabel(action)} of action #${slot.reuseOf} here, but the orchestrator now schedules a different one`,
        );
      }
      if (
        action.actionType === ActionType.CreateTimer &&
        action.isCanceled === true &&
        slot.canceled !== true &&
        slot.reuseOf === undefined // the original slot (the same action object) drops the timer
      ) {
        slots[i] = { ...slot, canceled: true };
        const timer = this.findTimer(episode.meta, slot.taskId);
        if (timer) episode.ops.push({ op: 'timerDone', id: timer.id });
      }
    }
    if (flat.length < slots.length && state.error === undefined) {
      return nonDeterminism(
        episode.meta,
        flat.length,
        `history has ${actionLabel(slotAction(slots[flat.length]!))} but the orchestrator no longer schedules it`,
      );
    }
    const reuse = new ReuseFinder(
      flat,
      actionOrigins(state.actions, this.settings.schema),
      slots,
      history,
      episode,
    );
    for (let i = slots.length; i < flat.length; i++) {
      const action = flat[i]!;
      const unsupported = unsupportedReason(action);
      if (unsupported !== undefined)
        return `Orchestrator function '${episode.meta.name}' failed: ${unsupported}`;
      const reuseOf = reuse.find(i);
      if (reuseOf !== undefined) {
        slots.push({ ...slots[reuseOf]!, reuseOf });
        continue;
      }
      const taskId = idsConsumed(action) > 0 ? episode.meta.nextId++ : undefined;
      slots.push({
        actionType: action.actionType,
        name: slotName(action),
        ...(taskId !== undefined ? { taskId } : {}),
      });
      if (taskId === undefined) continue;
      if (action.actionType === ActionType.CreateTimer) {
        const fireAt = Date.parse(action.fireAt ?? '');
        episode.events.push(
          historyEvent(EventType.TimerCreated, episode.now, { FireAt: action.fireAt }, taskId),
        );
        if (action.isCanceled !== true) episode.addTimer(taskId, Number.isNaN(fireAt) ? episode.now : fireAt);
        if (action.isCanceled === true) slots[i] = { ...slots[i]!, canceled: true };
        continue;
      }
      if (action.retryOptions !== undefined) {
        episode.meta.retries[taskId] = {
          phase: 'attempt',
          slot: i,
          options: action.retryOptions,
          attempt: 1,
          firstAttemptAt: episode.now,
          callAction: action,
        };
      }
      this.scheduleCall(episode, action, taskId);
    }
    if (state.error !== undefined)
      return `Orchestrator function '${episode.meta.name}' failed: ${state.error}`;
    return undefined;
  }

  /** Records TaskScheduled / SubOrchestrationInstanceCreated and the work it starts. */
  private scheduleCall(episode: EpisodeBuilder, action: OrchestratorAction, taskId: number): void {
    const name = action.functionName ?? '';
    const isActivity =
      action.actionType === ActionType.CallActivity || action.actionType === ActionType.CallActivityWithRetry;
    if (isActivity) {
      const inputJson = preEncodedInputJson(action.input);
      episode.events.push(
        historyEvent(
          EventType.TaskScheduled,
          episode.now,
          { Name: name, Version: '', Input: inputJson },
          taskId,
        ),
      );
      episode.ops.push({
        op: 'work',
        item: {
          id: randomUUID(),
          instanceId: episode.meta.instanceId,
          executionId: episode.meta.executionId,
          taskId,
          name,
          inputJson,
        },
      });
      return;
    }
    const childId = action.instanceId ?? randomUUID().replace(/-/g, '');
    const inputJson = action.input === undefined ? null : JSON.stringify(action.input);
    episode.events.push(
      historyEvent(
        EventType.SubOrchestrationInstanceCreated,
        episode.now,
        { Name: name, Version: action.version ?? '', InstanceId: childId, Input: inputJson },
        taskId,
      ),
    );
    const refusal = this.childRefusal(name, childId, episode.meta.instanceId);
    if (refusal !== undefined) {
      episode.messageToSelf(
        failureEvent(action.actionType, taskId, episode.now, { Reason: refusal, Details: '' }),
      );
      return;
    }
    if (this.store.instances.has(childId)) episode.ops.push({ op: 'purge', instanceId: childId });
    episode.ops.push(
      ...this.createInstanceOps(name, childId, inputJson, {
        instanceId: episode.meta.instanceId,
        executionId: episode.meta.executionId,
        taskId,
      }),
    );
  }

  private childRefusal(name: string, childId: string, parentId: string): string | undefined {
    if (this.host.functions.get(name)?.trigger.info.type !== 'orchestrationTrigger') {
      return `The function '${name}' doesn't exist, is disabled, or is not an orchestrator function.`;
    }
    if (childId === parentId) return `A sub-orchestration cannot use its parent's instance ID '${childId}'.`;
    const existing = this.store.instances.get(childId);
    if (existing && !terminalStatuses.has(existing.meta.status)) {
      return `An orchestration with instance ID '${childId}' already exists and is ${existing.meta.status}.`;
    }
    return undefined;
  }

  private createInstanceOps(
    name: string,
    instanceId: string,
    inputJson: string | null,
    parent: InstanceMeta['parent'],
  ): StoreOp[] {
    const now = this.now();
    const executionId = randomUUID().replace(/-/g, '');
    const meta: InstanceMeta = {
      instanceId,
      name,
      executionId,
      inputJson,
      status: 'Pending',
      createdAt: now,
      updatedAt: now,
      customStatusJson: null,
      outputJson: null,
      ...(parent ? { parent } : {}),
      nextId: 0,
      slots: [],
      retries: {},
    };
    return [
      { op: 'instance', meta },
      { op: 'history', instanceId, events: [], reset: true },
      { op: 'enqueue', message: startMessage(meta, now) },
    ];
  }

  /**
   * ContinueAsNew (protocols §2.5.7): a fresh execution with the new input and ids from 0. Events raised but not
   * consumed by a wait in the old execution, and everything still queued, carry over to the new one.
   */
  private continueAsNewOps(
    instance: StoredInstance,
    episode: EpisodeBuilder,
    history: readonly HistoryEvent[],
    action: OrchestratorAction,
  ): StoreOp[] {
    const old = episode.meta;
    const now = episode.now;
    const executionId = randomUUID().replace(/-/g, '');
    const meta: InstanceMeta = {
      ...old,
      executionId,
      inputJson: preEncodedInputJson(action.input),
      status: 'ContinuedAsNew',
      updatedAt: now,
      outputJson: null,
      nextId: 0,
      slots: [],
      retries: {},
    };
    const waits = new Map<string, number>();
    for (const flatAction of episode.flat) {
      if (flatAction.actionType !== ActionType.WaitForExternalEvent) continue;
      const name = flatAction.externalEventName ?? '';
      waits.set(name, (waits.get(name) ?? 0) + 1);
    }
    const carried: InstanceMessage[] = [];
    for (const event of history) {
      if (event.EventType !== EventType.EventRaised) continue;
      const name = String(event.Name);
      const remaining = waits.get(name) ?? 0;
      if (remaining > 0) waits.set(name, remaining - 1);
      else
        carried.push({
          id: randomUUID(),
          instanceId: old.instanceId,
          kind: 'event',
          event: { ...event, IsPlayed: false },
        });
    }
    // The new execution starts before anything else queued for the instance.
    const front = [startMessage(meta, now), ...carried].reverse();
    return [
      ...this.cancelPendingOps(instance),
      { op: 'history', instanceId: old.instanceId, events: [], reset: true },
      { op: 'instance', meta },
      ...front.map((message): StoreOp => ({ op: 'enqueue', message, front: true })),
    ];
  }

  private async finish(
    instance: StoredInstance,
    ops: StoreOp[],
    outcome: {
      status: 'Completed' | 'Failed' | 'Terminated';
      outputJson: string;
      events: HistoryEvent[];
      failure?: TaskFailure;
      custom?: string | null;
    },
  ): Promise<void> {
    const meta = instance.meta;
    const now = this.now();
    const events =
      outcome.events[0]?.EventType === EventType.OrchestratorStarted
        ? outcome.events
        : [historyEvent(EventType.OrchestratorStarted, now), ...outcome.events];
    events.push(historyEvent(EventType.OrchestratorCompleted, now));
    ops.push(
      { op: 'history', instanceId: meta.instanceId, events },
      {
        op: 'instance',
        meta: {
          ...meta,
          status: outcome.status,
          outputJson: outcome.outputJson,
          customStatusJson: outcome.custom !== undefined ? outcome.custom : meta.customStatusJson,
          updatedAt: now,
          retries: {},
        },
      },
      ...this.cancelPendingOps(instance),
    );
    const parent = meta.parent;
    if (parent) {
      const event =
        outcome.status === 'Completed'
          ? historyEvent(EventType.SubOrchestrationInstanceCompleted, now, {
              TaskScheduledId: parent.taskId,
              Result: outcome.outputJson,
            })
          : failureEvent(ActionType.CallSubOrchestrator, parent.taskId, now, outcome.failure!);
      ops.push({
        op: 'enqueue',
        message: {
          id: randomUUID(),
          instanceId: parent.instanceId,
          executionId: parent.executionId,
          kind: 'event',
          event,
        },
      });
    }
    await this.commit(ops);
    if (parent) this.kick(parent.instanceId);
  }

  /** Drops the instance's timers and queued activities (their results would be ignored anyway). */
  private cancelPendingOps(instance: StoredInstance): StoreOp[] {
    const ops: StoreOp[] = [];
    for (const timer of this.store.timers.values()) {
      if (timer.instanceId !== instance.meta.instanceId) continue;
      ops.push({ op: 'timerDone', id: timer.id });
      this.armedTimers.get(timer.id)?.();
      this.armedTimers.delete(timer.id);
    }
    for (const item of this.store.work.values()) {
      if (item.instanceId === instance.meta.instanceId && !this.runningWork.has(item.id))
        ops.push({ op: 'workDone', id: item.id });
    }
    return ops;
  }

  private startEffects(ops: readonly StoreOp[]): void {
    for (const op of ops) {
      if (op.op === 'work') this.startActivity(op.item);
      else if (op.op === 'timer') this.armTimer(op.timer);
      else if (op.op === 'timerDone') {
        this.armedTimers.get(op.id)?.();
        this.armedTimers.delete(op.id);
      } else if (op.op === 'enqueue') this.kick(op.message.instanceId);
    }
  }

  private bindingJson(meta: InstanceMeta, history: readonly HistoryEvent[]): string {
    const legacy = Math.min(this.settings.schema, ReplaySchema.V2);
    // Built as text so the stored input JSON is passed through untouched.
    return (
      `{"history":${JSON.stringify(history)},"input":${meta.inputJson ?? 'null'},` +
      `"instanceId":${JSON.stringify(meta.instanceId)},"isReplaying":false,` +
      `"parentInstanceId":${JSON.stringify(meta.parent?.instanceId ?? null)},` +
      `"upperSchemaVersion":${legacy},"upperSchemaVersionNew":${this.settings.schema},` +
      `"longRunningTimerIntervalDuration":"${longRunningTimerIntervalDuration}",` +
      `"maximumShortTimerDuration":"${maximumShortTimerDuration}",` +
      `"defaultHttpAsyncRequestSleepTimeMillseconds":30000}`
    );
  }

  // ---- activities and timers ----

  private startActivity(item: ActivityWorkItem): void {
    if (this.stopping || this.runningWork.has(item.id)) return;
    this.runningWork.add(item.id);
    this.track(
      this.runActivity(item).finally(() => this.runningWork.delete(item.id)),
      `activity ${item.name}`,
    );
  }

  private async runActivity(item: ActivityWorkItem): Promise<void> {
    if (this.stopping || !this.store.work.has(item.id)) return;
    const fields = { instanceId: item.instanceId, functionName: item.name };
    const triggerName =
      this.host.functions.get(item.name)?.trigger.info.type === 'activityTrigger'
        ? this.triggerName(item.name)
        : undefined;
    let event: HistoryEvent;
    if (triggerName === undefined) {
      const reason = `The function '${item.name}' doesn't exist, is disabled, or is not an activity function.`;
      event = failureEvent(ActionType.CallActivity, item.taskId, this.now(), { Reason: reason, Details: '' });
    } else {
      const started = Date.now();
      const outcome = await this.activities.run(() =>
        this.host.invoke(
          item.name,
          [{ name: triggerName, data: { string: item.inputJson } }],
          { instanceId: { string: item.instanceId } },
          { reason: `Durable activity of ${item.instanceId}` },
        ),
      );
      if (this.stopping) return; // Runs again on the next start (at-least-once).
      event = activityEvent(item, outcome, this.now());
      this.host.log(
        outcome.ok ? 'info' : 'warn',
        `Activity '${item.name}' ${outcome.ok ? 'completed' : 'failed'} in ${Date.now() - started} ms`,
        fields,
      );
    }
    await this.completeWork({ op: 'workDone', id: item.id }, item, event);
  }

  private armTimer(timer: TimerItem): void {
    if (this.stopping || this.armedTimers.has(timer.id)) return;
    const disarm = this.host.clock.schedule(timer.fireAt, () => {
      this.armedTimers.delete(timer.id);
      this.track(this.fireTimer(timer), `timer of ${timer.instanceId}`);
    });
    this.armedTimers.set(timer.id, disarm);
  }

  private async fireTimer(timer: TimerItem): Promise<void> {
    if (this.stopping || !this.store.timers.has(timer.id)) return;
    const event = historyEvent(EventType.TimerFired, this.now(), {
      TimerId: timer.timerId,
      FireAt: new Date(timer.fireAt).toISOString(),
    });
    await this.completeWork({ op: 'timerDone', id: timer.id }, timer, event);
  }

  /** Marks an activity or timer done and queues its completion event for the instance, in one commit. */
  private async completeWork(
    done: StoreOp,
    target: Pick<TimerItem, 'instanceId' | 'executionId'>,
    event: HistoryEvent,
  ): Promise<void> {
    await this.commit([
      done,
      {
        op: 'enqueue',
        message: {
          id: randomUUID(),
          instanceId: target.instanceId,
          executionId: target.executionId,
          kind: 'event',
          event,
        },
      },
    ]);
    this.kick(target.instanceId);
  }

  // ---- helpers ----

  private findTimer(meta: InstanceMeta, timerId: number | undefined): TimerItem | undefined {
    for (const timer of this.store.timers.values()) {
      if (
        timer.instanceId === meta.instanceId &&
        timer.executionId === meta.executionId &&
        timer.timerId === timerId
      ) {
        return timer;
      }
    }
    return undefined;
  }

  private triggerName(functionName: string): string | undefined {
    return this.host.functions.get(functionName)?.trigger.name;
  }

  /** Host time, never going backwards (the SDK's currentUtcDateTime must be monotonic). */
  private now(): number {
    this.lastTimestamp = Math.max(this.lastTimestamp, this.host.clock.now());
    return this.lastTimestamp;
  }

  private async commit(ops: readonly StoreOp[]): Promise<void> {
    await this.store.commit(ops);
  }

  private track(work: Promise<unknown>, what: string): void {
    const tracked = work.catch((error: unknown) => {
      this.host.log(
        'error',
        `Durable ${what} failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }
}

/**
 * A task the orchestrator passes into a later `Task.any`/`Task.all` while it is still pending (a deadline timer
 * raced by several waits, a child or an activity that outlived an earlier race) shows up again in the action
 * list, inside the new compound action. The SDK does not give it a new id (`trackOpenTask` numbers only tasks
 * without one), so the engine must neither take an id nor schedule it again. The protocol carries no task
 * identity, so a repeat is recognised as: a compound's child, equal (as JSON) to the action of an earlier yield
 * whose task has not completed. (The real extension treats every compound child as new and schedules it again,
 * so the SDK's ids and DTFx's drift apart: azure-functions-durable-js#574.) Limitation: a *new* task that equals
 * a still-pending one from an earlier yield (same timer deadline, same activity name and input) is taken for a
 * reuse; within one yield equal children are always separate tasks.
 */
class ReuseFinder {
  private readonly keys = new Map<number, string>();
  private completed: Set<number> | undefined;

  constructor(
    private readonly flat: readonly OrchestratorAction[],
    private readonly origins: readonly ActionOrigin[],
    private readonly slots: readonly ActionSlot[],
    private readonly history: readonly HistoryEvent[],
    private readonly episode: EpisodeBuilder,
  ) {}

  /** The earlier slot whose pending task the action at `index` repeats, if any. */
  find(index: number): number | undefined {
    const action = this.flat[index]!;
    const origin = this.origins[index];
    if (origin?.inCompound !== true || idsConsumed(action) === 0) return undefined;
    for (let j = 0; j < index; j++) {
      const slot = this.slots[j]!;
      if (
        slot.reuseOf === undefined &&
        slot.taskId !== undefined &&
        slot.actionType === action.actionType &&
        slot.name === slotName(action) &&
        this.origins[j]!.yieldIndex < origin.yieldIndex &&
        this.key(j) === this.key(index) &&
        this.pending(j, slot.taskId)
      ) {
        return j;
      }
    }
    return undefined;
  }

  private key(index: number): string {
    let key = this.keys.get(index);
    if (key === undefined) {
      key = JSON.stringify(this.flat[index]);
      this.keys.set(index, key);
    }
    return key;
  }

  private pending(index: number, taskId: number): boolean {
    if (this.flat[index]!.retryOptions !== undefined) {
      return Object.values(this.episode.meta.retries).some((retry) => retry.slot === index);
    }
    this.completed ??= new Set(
      this.history.map(completedTaskId).filter((id): id is number => id !== undefined),
    );
    return !this.completed.has(taskId);
  }
}

/** Mutable state of one episode while its result is being applied. */
class EpisodeBuilder {
  readonly meta: { -readonly [K in keyof InstanceMeta]: InstanceMeta[K] } & {
    slots: ActionSlot[];
    retries: Record<string, RetryState>;
  };
  readonly events: HistoryEvent[] = [];
  readonly ops: StoreOp[] = [];
  flat: OrchestratorAction[] = [];

  constructor(
    meta: InstanceMeta,
    readonly now: number,
  ) {
    this.meta = { ...meta, slots: [...meta.slots], retries: { ...meta.retries } };
  }

  addTimer(timerId: number, fireAt: number): void {
    this.ops.push({
      op: 'timer',
      timer: {
        id: randomUUID(),
        instanceId: this.meta.instanceId,
        executionId: this.meta.executionId,
        timerId,
        fireAt,
      },
    });
  }

  messageToSelf(event: HistoryEvent): void {
    this.ops.push({
      op: 'enqueue',
      message: {
        id: randomUUID(),
        instanceId: this.meta.instanceId,
        executionId: this.meta.executionId,
        kind: 'event',
        event,
      },
    });
  }
}
