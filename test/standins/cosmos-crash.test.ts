/**
 * Crash safety of the Cosmos DB stand-in: whatever the SDK saw acknowledged before the process was killed
 * with SIGKILL (no shutdown, no compaction) is there after a restart on the same folder.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { cosmosClientFor, startCosmos, temporaryDirectory, testCertificates } from './support';

const processScript = path.join(__dirname, 'fixtures', 'cosmos-process.ts');
const children: { kill(signal: NodeJS.Signals): boolean }[] = [];
afterAll(() => children.forEach((child) => child.kill('SIGKILL')));

async function startInChildProcess(stateDir: string): Promise<{ endpoint: string; kill(): Promise<void> }> {
  const { caCertPath } = await testCertificates();
  // node --import tsx directly (no tsx CLI wrapper), so SIGKILL hits the process that holds the data.
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', processScript, stateDir, path.dirname(caCertPath)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  children.push(child);
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.once('exit', (_code, signal) => resolve(signal)),
  );
  for await (const line of createInterface({ input: child.stdout })) {
    const ready = /^READY (\S+)$/.exec(line);
    if (ready !== null) {
      return {
        endpoint: ready[1]!,
        kill: async () => {
          child.kill('SIGKILL');
          expect(await exited).toBe('SIGKILL');
        },
      };
    }
  }
  throw new Error('the stand-in process ended before it was ready');
}

describe('Cosmos DB stand-in after SIGKILL', () => {
  it('restores every acknowledged write, including replaces and deletes', async () => {
    const stateDir = path.join(await temporaryDirectory('cosmos-crash'), 'cosmos');
    const child = await startInChildProcess(stateDir);
    const client = await cosmosClientFor(
      child.endpoint,
      'C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==',
    );
    const { database } = await client.databases.create({ id: 'crash' });
    const { container } = await database.containers.create({ id: 'items', partitionKey: { paths: ['/pk'] } });
    // Concurrent batches across partitions, then single writes: each awaited, i.e. acknowledged.
    await Promise.all(
      ['a', 'b', 'c', 'd'].map((pk) =>
        container.items.batch(
          Array.from({ length: 100 }, (_, i) => ({
            operationType: 'Create' as const,
            resourceBody: { id: `${pk}${i}`, pk, n: i },
          })),
          pk,
        ),
      ),
    );
    const { etag } = await container.items.upsert({ id: 'a0', pk: 'a', n: 1000 });
    await container.item('b0', 'b').delete();
    await child.kill();

    const restarted = await startCosmos({ stateDir });
    try {
      const again = (await cosmosClientFor(restarted.endpoint, restarted.key))
        .database('crash')
        .container('items');
      const { resources } = await again.items
        .query<{ id: string; n: number }>('SELECT c.id, c.n FROM c')
        .fetchAll();
      expect(resources).toHaveLength(399);
      expect(resources.find((doc) => doc.id === 'a0')?.n).toBe(1000);
      expect(resources.some((doc) => doc.id === 'b0')).toBe(false);
      expect((await again.item('a0', 'a').read()).etag).toBe(etag);
    } finally {
      await restarted.close();
    }
  });
});
