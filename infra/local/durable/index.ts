/**
 * Durable Functions for the local host: a `HostExtension` that drives `orchestrationTrigger` and
 * `activityTrigger` functions through the out-of-process protocol, supplies the `durableClient` input binding
 * and serves the management API. State lives under `<dataDir>/durable/<taskHub>/` (memory without a dataDir).
 */
import path from 'node:path';
import { z } from 'zod';
import type { HostContext, HostExtension } from '../host/extension';
import { durableClientBindingJson, managementPathPrefix, type ClientBindingOptions } from './client-binding';
import { DurableEngine, type EpisodeMetrics } from './engine';
import type { HistoryEvent } from './history';
import { handleManagementRequest } from './http-api';
import { ReplaySchema, type ReplaySchemaVersion } from './orchestrator-state';
import { formatTime } from './status';
import { DurableStore, type RuntimeStatus } from './store';

export { ReplaySchema } from './orchestrator-state';
export type { EpisodeMetrics } from './engine';

export interface DurableOptions {
  /** Default: host.json `extensions.durableTask.hubName`. */
  readonly taskHub?: string;
  /**
   * Replay schema to advertise; default V4, the newest durable-functions 3.5.0 knows. Older values exercise
   * the SDK's fallbacks (V1: one action array per yield; V2: cumulative list, no long timers).
   */
  readonly schema?: ReplaySchemaVersion;
  /** Largest orchestration input or event payload accepted by the management API. Default 1 MiB. */
  readonly maxPayloadBytes?: number;
  /** Called after every orchestrator episode (benchmarks, diagnostics). */
  readonly onEpisode?: (episode: EpisodeMetrics) => void;
}

export interface InstanceSummary {
  readonly instanceId: string;
  readonly name: string;
  readonly runtimeStatus: RuntimeStatus;
  readonly createdTime: string;
  readonly lastUpdatedTime: string;
  readonly customStatus: string | null;
  readonly historyLength: number;
}

export interface DurableExtension extends HostExtension {
  /** Every instance in the task hub, oldest first (what `func durable get-instances` shows). */
  listInstances(): InstanceSummary[];
  /** The instance's raw history as the orchestrator receives it (protocol events), or undefined. */
  history(instanceId: string): readonly HistoryEvent[] | undefined;
  readonly taskHub: string | undefined;
}

const durableTaskSchema = z.looseObject({
  hubName: z.string().optional(),
  maxConcurrentActivityFunctions: z.number().int().positive().optional(),
  maxConcurrentOrchestratorFunctions: z.number().int().positive().optional(),
});
const hostJsonSchema = z.looseObject({
  extensions: z.looseObject({ durableTask: durableTaskSchema.optional() }).optional(),
});

/** The local default of the real extension when host.json names no hub. */
const defaultTaskHub = 'TestHubName';
/** Azure Storage task hub names: 3–45 letters and digits, starting with a letter. */
const taskHubPattern = /^[A-Za-z][A-Za-z0-9]{2,44}$/;
const defaultConcurrency = 10;

export function createDurableExtension(options: DurableOptions = {}): DurableExtension {
  let host: HostContext | undefined;
  let engine: DurableEngine | undefined;
  let taskHub: string | undefined;
  let restoreHostname: (() => void) | undefined;

  const links = (): ClientBindingOptions => {
    if (!host || taskHub === undefined) throw new Error('The durable extension has not started');
    return { baseUrl: host.baseUrl, taskHub };
  };

  return {
    name: 'durable',
    triggerTypes: ['orchestrationTrigger', 'activityTrigger', 'entityTrigger'],
    inputBindings: {
      durableClient: () => ({ string: durableClientBindingJson(links()) }),
    },
    httpPathPrefixes: [managementPathPrefix],
    get taskHub() {
      return taskHub;
    },

    async handleHttp(request, body, response) {
      if (!engine) throw new Error('The durable extension has not started');
      await handleManagementRequest(
        { engine, links, maxPayloadBytes: options.maxPayloadBytes ?? 1024 * 1024 },
        request,
        body,
        response,
      );
    },

    async start(context) {
      host = context;
      const settings = hostJsonSchema.parse(context.hostJson).extensions?.durableTask ?? {};
      taskHub = options.taskHub ?? settings.hubName ?? defaultTaskHub;
      if (!taskHubPattern.test(taskHub)) {
        throw new Error(
          `Invalid durable task hub name '${taskHub}': use 3–45 letters and digits, starting with a letter.`,
        );
      }
      const directory =
        context.dataDir === undefined ? undefined : path.join(context.dataDir, 'durable', taskHub);
      const store = await DurableStore.open(directory);
      engine = new DurableEngine(context, store, {
        taskHub,
        schema: options.schema ?? ReplaySchema.V4,
        maxConcurrentActivities: settings.maxConcurrentActivityFunctions ?? defaultConcurrency,
        maxConcurrentOrchestrations: settings.maxConcurrentOrchestratorFunctions ?? defaultConcurrency,
        ...(options.onEpisode ? { onEpisode: options.onEpisode } : {}),
      });
      restoreHostname = advertiseHostname(context.baseUrl);
      engine.resume();
      context.log(
        'info',
        `Durable task hub '${taskHub}' ready (${store.instances.size} instances, ${directory ?? 'in memory'})`,
      );
    },

    async stop() {
      restoreHostname?.();
      restoreHostname = undefined;
      if (!engine) return;
      await engine.stop();
      await engine.store.close();
      engine = undefined;
    },

    history(instanceId) {
      return engine?.store.instances.get(instanceId)?.history;
    },

    listInstances() {
      return engine ? summarize(engine.store) : [];
    },
  };
}

function summarize(store: DurableStore): InstanceSummary[] {
  return [...store.instances.values()]
    .sort((a, b) => a.meta.createdAt - b.meta.createdAt)
    .map((instance) => ({
      instanceId: instance.meta.instanceId,
      name: instance.meta.name,
      runtimeStatus: instance.meta.status,
      createdTime: formatTime(instance.meta.createdAt),
      lastUpdatedTime: formatTime(instance.meta.updatedAt),
      customStatus: instance.meta.customStatusJson,
      historyLength: instance.history.length,
    }));
}

/** The instances persisted under `<dataDir>/durable/<taskHub>/`, read without disturbing a running host. */
export async function readPersistedInstances(dataDir: string, taskHub: string): Promise<InstanceSummary[]> {
  return summarize(await DurableStore.read(path.join(dataDir, 'durable', taskHub)));
}

/**
 * `df.getClient()` rewrites management URL origins to `http://localhost:7071` unless `WEBSITE_HOSTNAME` names
 * the host (protocols §2.7), which would break `createHttpManagementPayload` on any other port. Like the
 * platform in Azure, tell the app where it runs; restored on stop.
 */
function advertiseHostname(baseUrl: string): () => void {
  const previous = process.env.WEBSITE_HOSTNAME;
  if (previous !== undefined && previous !== '' && !previous.includes('0.0.0.0')) return () => undefined;
  process.env.WEBSITE_HOSTNAME = new URL(baseUrl).host;
  return () => {
    if (previous === undefined) delete process.env.WEBSITE_HOSTNAME;
    else process.env.WEBSITE_HOSTNAME = previous;
  };
}
