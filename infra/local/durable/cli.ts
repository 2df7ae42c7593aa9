/**
 * Lists the durable instances persisted by the local host, like `func durable get-instances`:
 *
 *   npx tsx infra/local/durable/cli.ts [--data-dir .data] [--task-hub NAME] [--status Running]
 *
 * Reads `<dataDir>/durable/<taskHub>/` without taking it over, so it works while `npm start` runs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { readRunningEndpoints } from '../endpoints-file';
import { readPersistedInstances } from '.';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'data-dir': { type: 'string', default: path.resolve(__dirname, '..', '..', '..', '.data') },
      'task-hub': { type: 'string' },
      status: { type: 'string' },
    },
  });
  const running = readRunningEndpoints(path.resolve(values['data-dir']))?.durableManagementApi;
  if (running !== undefined) {
    console.log(`npm start is running on this data folder; its Durable management API: ${running}`);
  }
  const root = path.join(values['data-dir'], 'durable');
  const hubs =
    values['task-hub'] !== undefined ? [values['task-hub']] : fs.existsSync(root) ? fs.readdirSync(root) : [];
  if (hubs.length === 0) {
    console.log(`No durable task hubs under ${root}`);
    return;
  }
  for (const hub of hubs) {
    const instances = (await readPersistedInstances(values['data-dir'], hub)).filter(
      (instance) => values.status === undefined || instance.runtimeStatus === values.status,
    );
    console.log(`Task hub ${hub}: ${instances.length} instance(s)`);
    console.table(
      instances.map((instance) => ({
        instanceId: instance.instanceId,
        name: instance.name,
        status: instance.runtimeStatus,
        created: instance.createdTime,
        updated: instance.lastUpdatedTime,
        customStatus: instance.customStatus ?? '',
        events: instance.historyLength,
      })),
    );
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
