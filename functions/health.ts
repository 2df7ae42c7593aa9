import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { getDependencyProbes } from '../shared/composition-root';
import { correlated } from '../shared/http/handler';
import { runProbes, type DependencyProbe } from '../shared/platform/dependency-probes';

/** Probes answer within this time or count as down: a health check must stay fast when a dependency hangs. */
export const healthProbeTimeoutMs = 3000;

/**
 * `GET /api/health`: checks every dependency in parallel. 200 when all are up; 503 naming the ones that
 * are down (with a reason code only: no messages, endpoints or stack traces).
 */
export function createHealthHandler(
  probes: () => readonly DependencyProbe[],
  timeoutMs = healthProbeTimeoutMs,
): (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> {
  return correlated(async (_request, context) => {
    const noStore = { 'cache-control': 'no-store' };
    let dependencyProbes: readonly DependencyProbe[];
    try {
      dependencyProbes = probes();
    } catch (error) {
      // Settings are checked at start; this only happens when the app was started without them.
      context.error(`health: cannot build the dependency clients: ${(error as Error).name}`);
      return {
        status: 503,
        headers: noStore,
        jsonBody: { status: 'unavailable', failing: ['configuration'] },
      };
    }
    const dependencies = await runProbes(dependencyProbes, timeoutMs);
    const failing = Object.entries(dependencies)
      .filter(([, result]) => result.status === 'down')
      .map(([name]) => name);
    if (failing.length === 0)
      return { status: 200, headers: noStore, jsonBody: { status: 'ok', dependencies } };
    context.warn(
      `health: down: ${failing.map((name) => `${name} (${dependencies[name]?.reason ?? ''})`).join(', ')}`,
    );
    return { status: 503, headers: noStore, jsonBody: { status: 'unavailable', failing, dependencies } };
  });
}

export const health = createHealthHandler(getDependencyProbes);

app.http('health', {
  route: 'health',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: health,
});
