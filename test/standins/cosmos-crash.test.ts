/**
 * Crash safety of the Cosmos DB stand-in: whatever the SDK saw acknowledged before the process was killed
 * with SIGKILL (no shutdown, no compaction) is there after a restart on the same folder.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cosmosEmulatorKey } from '../../infra/local/standins/cosmos';
import { cosmosClientFor, startCosmos, temporaryDirectory, testCertificates } from './support';
import { killChildren, startChild } from './support-process';

afterAll(killChildren);

describe('Cosmos DB stand-in after SIGKILL', () => {
  it('restores every acknowledged write, including replaces and deletes', async () => {
    const stateDir = path.join(await temporaryDirectory('cosmos-crash'), 'cosmos');
    const { caCertPath } = await testCertificates();
    const child = await startChild(path.join(__dirname, 'fixtures', 'cosmos-process.ts'), [
      stateDir,
      path.dirname(caCertPath),
    ]);
    const client = await cosmosClientFor(child.ready[0]!, cosmosEmulatorKey);
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
    expect(await child.kill()).toBe('SIGKILL');

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
