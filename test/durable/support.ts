/**
 * Starts the local host with the durable extension on a free port and drives instances through the real
 * management API (the same endpoints `DurableClient` calls).
 */
import path from 'node:path';
import { VirtualClock } from '../../infra/local/clock';
import {
  createDurableExtension,
  type DurableExtension,
  type DurableOptions,
} from '../../infra/local/durable';
import { startHost, type RunningHost } from '../../infra/local/host';

export const conformanceApp = path.join(__dirname, 'fixtures', 'conformance-app');
export const webhooks = '/runtime/webhooks/durabletask/';

export interface InstanceStatusBody {
  name: string;
  instanceId: string;
  runtimeStatus: string;
  input: unknown;
  output: unknown;
  customStatus: unknown;
  createdTime: string;
  lastUpdatedTime: string;
  historyEvents?: Record<string, unknown>[];
}

/** Drives instances of a running host through its Durable management API. */
export interface DurableDriver {
  fetch(pathAndQuery: string, init?: RequestInit): Promise<Response>;
  /** POST orchestrators/{name}[/{id}]; returns the instance id. */
  start(name: string, input?: unknown, instanceId?: string): Promise<string>;
  raise(instanceId: string, eventName: string, data?: unknown): Promise<Response>;
  status(instanceId: string, query?: string): Promise<InstanceStatusBody>;
  /** Polls (and, if asked, advances the virtual clock between polls) until the instance is in `statuses`. */
  waitFor(
    instanceId: string,
    statuses: string | readonly string[],
    options?: { advanceMs?: number; timeoutMs?: number },
  ): Promise<InstanceStatusBody>;
}

export interface DurableTestHost extends DurableDriver {
  readonly host: RunningHost;
  readonly durable: DurableExtension;
  readonly clock: VirtualClock;
  close(): Promise<void>;
}

export async function startDurableHost(
  options: { appDir?: string; dataDir?: string; durable?: DurableOptions; clock?: VirtualClock } = {},
): Promise<DurableTestHost> {
  const clock = options.clock ?? new VirtualClock(Date.parse('2030-01-01T00:00:00Z'));
  const durable = createDurableExtension(options.durable);
  const host = await startHost({
    appDir: options.appDir ?? conformanceApp,
    port: 0,
    extensions: [durable],
    clock,
    dataDir: options.dataDir,
    log: () => undefined,
  });
  return { host, durable, clock, ...durableDriver(host.url, clock), close: () => host.close() };
}

export function durableDriver(hostUrl: string, clock: VirtualClock): DurableDriver {
  const fetchHost = (pathAndQuery: string, init?: RequestInit): Promise<Response> =>
    fetch(`${hostUrl}${pathAndQuery}`, init);
  const status = async (instanceId: string, query = ''): Promise<InstanceStatusBody> => {
    const response = await fetchHost(`${webhooks}instances/${encodeURIComponent(instanceId)}${query}`);
    if (response.status !== 200 && response.status !== 202) {
      throw new Error(`status of ${instanceId}: HTTP ${response.status} ${await response.text()}`);
    }
    return (await response.json()) as InstanceStatusBody;
  };
  return {
    fetch: fetchHost,
    async start(name, input, instanceId) {
      const suffix = instanceId === undefined ? '' : `/${encodeURIComponent(instanceId)}`;
      const response = await fetchHost(`${webhooks}orchestrators/${name}${suffix}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: input === undefined ? '' : JSON.stringify(input),
      });
      const body = (await response.json()) as { id?: string; Message?: string };
      if (response.status !== 202 || body.id === undefined)
        throw new Error(`start ${name}: HTTP ${response.status} ${body.Message}`);
      return body.id;
    },
    raise(instanceId, eventName, data) {
      return fetchHost(`${webhooks}instances/${encodeURIComponent(instanceId)}/raiseEvent/${eventName}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: data === undefined ? '' : JSON.stringify(data),
      });
    },
    status,
    async waitFor(instanceId, statuses, waitOptions = {}) {
      const wanted = typeof statuses === 'string' ? [statuses] : statuses;
      const deadline = Date.now() + (waitOptions.timeoutMs ?? 20_000);
      for (;;) {
        const current = await status(instanceId);
        if (wanted.includes(current.runtimeStatus)) return current;
        if (Date.now() > deadline) {
          throw new Error(
            `${instanceId} is ${current.runtimeStatus}, not ${wanted.join('/')}: ${JSON.stringify(current)}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (waitOptions.advanceMs !== undefined) await clock.advance(waitOptions.advanceMs);
      }
    },
  };
}
