/**
 * The Cosmos DB stand-in through the real `@azure/cosmos` SDK: CRUD, continuation paging, transactional
 * batch (atomic), change feed, ETag preconditions, and persistence across a clean restart.
 */
import { ChangeFeedStartFrom, StatusCodes, type Container, type OperationInput } from '@azure/cosmos';
import { promises as fs } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CosmosStandIn } from '../../infra/local/standins/cosmos';
import { cosmosClientFor, startCosmos, temporaryDirectory, testCertificates } from './support';

interface Doc {
  id: string;
  pk: string;
  n: number;
}

async function containerOn(standIn: CosmosStandIn, name = 'items'): Promise<Container> {
  const client = await cosmosClientFor(standIn.endpoint, standIn.key);
  const { database } = await client.databases.createIfNotExists({ id: 'db' });
  const { container } = await database.containers.createIfNotExists({
    id: name,
    partitionKey: { paths: ['/pk'] },
  });
  return container;
}

function upserts(pk: string, from: number, count: number): OperationInput[] {
  return Array.from({ length: count }, (_, i) => ({
    operationType: 'Upsert' as const,
    resourceBody: { id: `${pk}-${from + i}`, pk, n: from + i },
  }));
}

describe('Cosmos DB stand-in (in memory)', () => {
  let standIn: CosmosStandIn;
  let container: Container;

  beforeAll(async () => {
    standIn = await startCosmos();
    container = await containerOn(standIn);
  });
  afterAll(() => standIn.close());

  it('serves the account over HTTPS on loopback with the emulator key', () => {
    expect(standIn.endpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/$/);
    expect(standIn.key).toMatch(/^C2y6yDjf5/);
  });

  it('answers a query scoped to a partition key from that partition only, paged, as Cosmos DB does', async () => {
    const scoped = await containerOn(standIn, 'scoped');
    for (let n = 0; n < 7; n += 1) {
      await scoped.items.create({ id: `mine-${n}`, pk: 'owner-a', n });
      await scoped.items.create({ id: `theirs-${n}`, pk: 'owner-b', n });
    }
    const query = { query: 'SELECT VALUE c.id FROM c ORDER BY c.n DESC' };
    const pages: string[][] = [];
    const iterator = scoped.items.query<string>(query, { partitionKey: 'owner-a', maxItemCount: 3 });
    while (iterator.hasMoreResults()) {
      const page = await iterator.fetchNext();
      if (page.resources.length > 0) pages.push(page.resources);
    }
    expect(pages).toEqual([['mine-6', 'mine-5', 'mine-4'], ['mine-3', 'mine-2', 'mine-1'], ['mine-0']]);
    // Without a partition key the query spans every partition.
    const { resources: all } = await scoped.items.query<string>(query).fetchAll();
    expect(all).toHaveLength(14);
  });

  it('creates, reads, replaces and deletes items', async () => {
    const created = await container.items.create<Doc>({ id: 'crud', pk: 'a', n: 1 });
    expect(created.statusCode).toBe(201);
    const read = await container.item('crud', 'a').read<Doc>();
    expect(read.resource).toMatchObject({ id: 'crud', pk: 'a', n: 1 });
    await container.item('crud', 'a').replace({ id: 'crud', pk: 'a', n: 2 });
    expect((await container.item('crud', 'a').read<Doc>()).resource?.n).toBe(2);
    await container.item('crud', 'a').delete();
    expect((await container.item('crud', 'a').read()).statusCode).toBe(404);
    await expect(
      container.items
        .create({ id: 'dup', pk: 'a' })
        .then(() => container.items.create({ id: 'dup', pk: 'a' })),
    ).rejects.toMatchObject({ code: 409 });
  });

  it('pages a query with continuation tokens, each item exactly once', async () => {
    const paged = await containerOn(standIn, 'paged');
    await paged.items.batch(upserts('p', 0, 25), 'p');
    const iterator = paged.items.query<Doc>('SELECT * FROM c ORDER BY c.n', { maxItemCount: 10 });
    const pageSizes: number[] = [];
    const seen: number[] = [];
    let continuation: string | undefined;
    do {
      const page = await iterator.fetchNext();
      if (page.resources.length > 0) pageSizes.push(page.resources.length);
      seen.push(...page.resources.map((doc) => doc.n));
      continuation = page.continuationToken;
    } while (iterator.hasMoreResults());
    expect(pageSizes).toEqual([10, 10, 5]);
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(continuation).toBeUndefined();

    // A token handed to a new iterator resumes where the first page ended.
    const first = await paged.items
      .query<Doc>('SELECT * FROM c ORDER BY c.n', { maxItemCount: 10 })
      .fetchNext();
    const resumed = await paged.items
      .query<Doc>('SELECT * FROM c ORDER BY c.n', {
        maxItemCount: 10,
        continuationToken: first.continuationToken,
      })
      .fetchNext();
    expect(resumed.resources.map((doc) => doc.n)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
  });

  it('applies a transactional batch all together', async () => {
    const response = await container.items.batch(upserts('batch', 0, 100), 'batch');
    expect(response.code).toBe(200);
    expect(response.result?.every((result) => result.statusCode === 201)).toBe(true);
    const { resources } = await container.items
      .query({
        query: 'SELECT VALUE COUNT(1) FROM c WHERE c.pk = @pk',
        parameters: [{ name: '@pk', value: 'batch' }],
      })
      .fetchAll();
    expect(resources).toEqual([100]);
  });

  it('rolls back a failing atomic batch: 207, the failing operation named, 424 for the rest', async () => {
    await container.items.create({ id: 'taken', pk: 'atomic', n: 0 });
    const response = await container.items.batch(
      [
        { operationType: 'Create', resourceBody: { id: 'fresh', pk: 'atomic', n: 1 } },
        { operationType: 'Replace', id: 'taken', resourceBody: { id: 'taken', pk: 'atomic', n: 99 } },
        { operationType: 'Create', resourceBody: { id: 'taken', pk: 'atomic', n: 2 } },
        { operationType: 'Create', resourceBody: { id: 'later', pk: 'atomic', n: 3 } },
      ],
      'atomic',
    );
    expect(response.code).toBe(207);
    expect(response.result?.map((result) => result.statusCode)).toEqual([424, 424, 409, 424]);
    expect((await container.item('fresh', 'atomic').read()).statusCode).toBe(404);
    expect((await container.item('later', 'atomic').read()).statusCode).toBe(404);
    expect((await container.item('taken', 'atomic').read<Doc>()).resource?.n).toBe(0);
  });

  it('refuses a replace with a stale ETag (412) and accepts the current one', async () => {
    const { etag } = await container.items.upsert({ id: 'etag', pk: 'e', n: 1 });
    await container
      .item('etag', 'e')
      .replace({ id: 'etag', pk: 'e', n: 2 }, { accessCondition: { type: 'IfMatch', condition: etag! } });
    await expect(
      container
        .item('etag', 'e')
        .replace({ id: 'etag', pk: 'e', n: 3 }, { accessCondition: { type: 'IfMatch', condition: etag! } }),
    ).rejects.toMatchObject({ code: 412 });
    expect((await container.item('etag', 'e').read<Doc>()).resource?.n).toBe(2);
  });

  it('serves a change feed: everything from the beginning, then only later changes, then 304', async () => {
    const feedContainer = await containerOn(standIn, 'feed');
    await feedContainer.items.batch(upserts('f', 0, 30), 'f');
    const feed = feedContainer.items.getChangeFeedIterator<Doc>({
      changeFeedStartFrom: ChangeFeedStartFrom.Beginning(),
      maxItemCount: 20,
    });
    const initial: number[] = [];
    for (;;) {
      const response = await feed.readNext();
      if (response.statusCode === StatusCodes.NotModified) break;
      initial.push(...response.result.map((doc) => doc.n));
    }
    expect(initial).toEqual(Array.from({ length: 30 }, (_, i) => i));

    await feedContainer.items.upsert({ id: 'f-3', pk: 'f', n: 1003 });
    await feedContainer.items.upsert({ id: 'f-30', pk: 'f', n: 30 });
    await feedContainer.item('f-4', 'f').delete(); // deletes do not appear in latest-version mode
    const changes = await feed.readNext();
    expect(changes.statusCode).toBe(200);
    expect(changes.result.map((doc) => [doc.id, doc.n])).toEqual([
      ['f-3', 1003],
      ['f-30', 30],
    ]);
    expect((await feed.readNext()).statusCode).toBe(StatusCodes.NotModified);

    // A continuation token from one iterator resumes in another; "now" sees only what follows.
    const now = feedContainer.items.getChangeFeedIterator<Doc>({
      changeFeedStartFrom: ChangeFeedStartFrom.Now(),
    });
    expect((await now.readNext()).statusCode).toBe(StatusCodes.NotModified);
    const token = (await feed.readNext()).continuationToken;
    await feedContainer.items.upsert({ id: 'f-31', pk: 'f', n: 31 });
    const resumed = feedContainer.items.getChangeFeedIterator<Doc>({
      changeFeedStartFrom: ChangeFeedStartFrom.Continuation(token),
    });
    expect((await resumed.readNext()).result.map((doc) => doc.id)).toEqual(['f-31']);
    expect((await now.readNext()).result.map((doc) => doc.id)).toEqual(['f-31']);
  });

  it('starts a change feed from a point in time', async () => {
    const feedContainer = await containerOn(standIn, 'feed-by-time');
    await feedContainer.items.upsert({ id: 'before', pk: 't', n: 0 });
    await new Promise((resolve) => setTimeout(resolve, 1100)); // _ts has a resolution of one second
    const startTime = new Date();
    await feedContainer.items.upsert({ id: 'after', pk: 't', n: 1 });
    const feed = feedContainer.items.getChangeFeedIterator<Doc>({
      changeFeedStartFrom: ChangeFeedStartFrom.Time(startTime),
    });
    expect((await feed.readNext()).result.map((doc) => doc.id)).toEqual(['after']);
  });

  it('accepts a double slash after the host, as some SDK calls send it', async () => {
    const { caPem } = await testCertificates();
    const { status, body } = await new Promise<{ status?: number; body: string }>((resolve, reject) => {
      const url = new URL(standIn.endpoint);
      https
        .get(
          {
            host: url.hostname,
            port: url.port,
            path: '//dbs/db/colls/items/docs',
            headers: { 'a-im': 'Incremental feed', 'x-ms-max-item-count': '1' },
            agent: new https.Agent({ ca: caPem }),
          },
          (res) => {
            let text = '';
            res.on('data', (chunk: Buffer) => (text += chunk.toString()));
            res.on('end', () => resolve({ status: res.statusCode, body: text }));
          },
        )
        .on('error', reject);
    });
    expect(status).toBe(200);
    // Served by the stand-in's change feed (items carry their _lsn), not mistaken for another path.
    const { Documents } = JSON.parse(body) as { Documents: { _lsn?: number }[] };
    expect(Documents).toHaveLength(1);
    expect(Documents[0]?._lsn).toBeGreaterThan(0);
  });

  it('narrows the change feed to one partition key', async () => {
    const feedContainer = await containerOn(standIn, 'feed-by-key');
    await feedContainer.items.batch(upserts('x', 0, 3), 'x');
    await feedContainer.items.batch(upserts('y', 0, 2), 'y');
    const feed = feedContainer.items.getChangeFeedIterator<Doc>({
      changeFeedStartFrom: ChangeFeedStartFrom.Beginning('y'),
    });
    expect((await feed.readNext()).result.map((doc) => doc.id)).toEqual(['y-0', 'y-1']);
  });
});

describe('Cosmos DB stand-in persistence', () => {
  it('keeps data, ETags and the change feed position across a clean restart, and starts empty when fresh', async () => {
    const stateDir = path.join(await temporaryDirectory('cosmos-state'), 'cosmos');
    const first = await startCosmos({ stateDir });
    const container = await containerOn(first);
    await container.items.batch(upserts('keep', 0, 50), 'keep');
    const { etag } = await container.items.upsert({ id: 'etag', pk: 'keep', n: -1 });
    await container.item('keep-7', 'keep').delete();
    // Replacing the container definition (here its indexing policy) keeps its items, as in Cosmos DB.
    const { resource: definition } = await container.read();
    await container.replace({
      ...definition!,
      indexingPolicy: { indexingMode: 'consistent', excludedPaths: [{ path: '/n/?' }] },
    });
    expect((await container.item('keep-8', 'keep').read<Doc>()).resource?.n).toBe(8);
    const feed = container.items.getChangeFeedIterator<Doc>({
      changeFeedStartFrom: ChangeFeedStartFrom.Beginning(),
    });
    while ((await feed.readNext()).statusCode !== StatusCodes.NotModified);
    const token = (await feed.readNext()).continuationToken;
    await first.close();
    expect((await fs.readdir(stateDir)).sort()).toEqual(['journal.ndjson', 'snapshot.ndjson']);

    const second = await startCosmos({ stateDir });
    try {
      expect(second.restoredRecords).toBeGreaterThan(50);
      const again = await containerOn(second);
      const { resources } = await again.items.query<Doc>('SELECT * FROM c').fetchAll();
      expect(resources).toHaveLength(50); // 50 + 1 upserted - 1 deleted
      expect(resources.some((doc) => doc.id === 'keep-7')).toBe(false);
      const { resource: definition } = await again.read();
      expect(definition?.indexingPolicy?.excludedPaths).toEqual([{ path: '/n/?' }]);
      // The stored ETag survived: the old one still matches, so the replace succeeds.
      await again
        .item('etag', 'keep')
        .replace(
          { id: 'etag', pk: 'keep', n: -2 },
          { accessCondition: { type: 'IfMatch', condition: etag! } },
        );
      // The change feed continues after the restart from where the client left off.
      const resumed = again.items.getChangeFeedIterator<Doc>({
        changeFeedStartFrom: ChangeFeedStartFrom.Continuation(token),
      });
      expect((await resumed.readNext()).result.map((doc) => [doc.id, doc.n])).toEqual([['etag', -2]]);
      // New items get fresh resource ids, never one of the restored ones.
      const created = await again.items.create({ id: 'after-restart', pk: 'keep', n: 0 });
      expect(resources.map((doc) => (doc as unknown as { _rid: string })._rid)).not.toContain(
        created.resource?._rid,
      );
    } finally {
      await second.close();
    }

    const fresh = await startCosmos({ stateDir, fresh: true });
    try {
      expect(fresh.restoredRecords).toBe(0);
      const client = await cosmosClientFor(fresh.endpoint, fresh.key);
      const { resources } = await client.databases.readAll().fetchAll();
      expect(resources).toEqual([]);
    } finally {
      await fresh.close();
    }
  });
});
