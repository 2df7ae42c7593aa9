import type { Database } from '@azure/cosmos';
import type { BlobServiceClient } from '@azure/storage-blob';

/**
 * Reachability checks of the services the app depends on, for the health endpoint. A probe resolves when
 * the dependency answered as expected and throws otherwise; `runProbes` turns that into a report that
 * names the failure without leaking details (no messages, URLs or stack traces).
 */
export interface DependencyProbe {
  /** Name in the health report, e.g. `cosmos`. */
  readonly name: string;
  check(abortSignal: AbortSignal): Promise<void>;
}

export interface DependencyStatus {
  readonly status: 'up' | 'down';
  readonly latencyMs: number;
  /** Why a dependency is down: `timeout`, `unreachable`, `http-<status>` or `error`. */
  readonly reason?: string;
}

/** Reads the configured database: proves the account answers, the credential works and the database exists. */
export function cosmosDatabaseProbe(database: Database): DependencyProbe {
  return {
    name: 'cosmos',
    check: async (abortSignal) => {
      await database.read({ abortSignal });
    },
  };
}

/** Lists at most one container: proves the account answers and the credential may read it. */
export function blobStorageProbe(client: BlobServiceClient): DependencyProbe {
  return {
    name: 'blobStorage',
    check: async (abortSignal) => {
      await client.listContainers({ abortSignal }).byPage({ maxPageSize: 1 }).next();
    },
  };
}

/** Runs every probe in parallel, each bounded by `timeoutMs`. */
export async function runProbes(
  probes: readonly DependencyProbe[],
  timeoutMs: number,
): Promise<Record<string, DependencyStatus>> {
  const results = await Promise.all(
    probes.map(async (probe) => [probe.name, await runProbe(probe, timeoutMs)] as const),
  );
  return Object.fromEntries(results);
}

async function runProbe(probe: DependencyProbe, timeoutMs: number): Promise<DependencyStatus> {
  const started = performance.now();
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve('timeout');
    }, timeoutMs);
  });
  const elapsed = (): number => Math.round(performance.now() - started);
  try {
    // Race as well as abort: not every client honours the signal promptly.
    const outcome = await Promise.race([probe.check(controller.signal).then(() => 'up' as const), timedOut]);
    return outcome === 'up'
      ? { status: 'up', latencyMs: elapsed() }
      : { status: 'down', latencyMs: elapsed(), reason: 'timeout' };
  } catch (error) {
    return {
      status: 'down',
      latencyMs: elapsed(),
      reason: controller.signal.aborted ? 'timeout' : reasonOf(error),
    };
  } finally {
    clearTimeout(timer);
  }
}

function reasonOf(error: unknown): string {
  const { code, statusCode } = (error ?? {}) as { code?: unknown; statusCode?: unknown };
  const status = typeof statusCode === 'number' ? statusCode : typeof code === 'number' ? code : undefined;
  if (status !== undefined && status > 0) return `http-${status}`;
  if (
    typeof code === 'string' &&
    /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH)$/.test(code)
  ) {
    return 'unreachable';
  }
  return 'error';
}
