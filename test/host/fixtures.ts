import path from 'node:path';
import { startHost, type HostOptions, type RunningHost } from '../../infra/local/host';

/** Starts a fixture app from test/fixtures/apps on a free port, capturing everything the host prints. */
export const fixturesDir = path.resolve(__dirname, '..', 'fixtures', 'apps');

export interface FixtureHost {
  readonly host: RunningHost;
  readonly logs: string[];
  /** fetch relative to the host's URL. */
  fetch(pathAndQuery: string, init?: RequestInit): Promise<Response>;
}

export async function startFixture(
  name: string,
  options: Omit<HostOptions, 'appDir'> = {},
): Promise<FixtureHost> {
  const logs: string[] = [];
  const host = await startHost({
    port: 0,
    log: (line) => logs.push(line),
    ...options,
    appDir: path.join(fixturesDir, name),
  });
  return { host, logs, fetch: (pathAndQuery, init) => fetch(`${host.url}${pathAndQuery}`, init) };
}
