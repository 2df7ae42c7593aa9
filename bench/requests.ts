/**
 * Requests through the local host (the built app, dist/index.js: run `npm run build` first), on the same
 * system the tests use:
 * 1. request flows per second: a draft created from a catalog selection, the wizard autosaved in three
 *    patches under If-Match, then submitted (frozen manifest blob, timeline events), 8 flows at a time;
 * 2. the dashboard (`GET /api/requests`, first page) for a user with 200 requests in a store of 20,000,
 *    p50/p99 under autocannon, beside the host's floor (the static `/api/openapi.json`).
 */
import autocannon from 'autocannon';
import type { Container, JSONObject } from '@azure/cosmos';
import { randomUUID } from 'node:crypto';
import { cosmosContainers } from '../shared/platform/storage-layout';
import {
  completeAnswers,
  ROWS,
  startRequestsSystem,
  studySelection,
  type RequestsSystem,
} from '../test/requests/support';

const FLOWS = 120;
const FLOWS_AT_ONCE = 8;
const OWN_REQUESTS = 200;
const STORE_SIZE = 20_000;
const persona = 'us-requester';

async function main(): Promise<void> {
  const system = await startRequestsSystem({ catalogFiles: 1500 });
  try {
    await requestFlows(system);
    await dashboard(system);
  } finally {
    await system.close();
  }
}

/** Create → three autosaves → submit, end to end over HTTP; answers every status it expects or throws. */
async function oneFlow(system: RequestsSystem): Promise<void> {
  const created = await system.call('POST', '/api/requests', {
    as: persona,
    body: studySelection(ROWS.PCGP),
  });
  expect(created.status, 201, 'create');
  const id = (created.body as { id: string }).id;
  let etag = created.etag ?? '';
  const { destination, principalInvestigator, institution, ...rest } = completeAnswers();
  for (const answers of [{ destination, principalInvestigator }, { institution }, rest]) {
    const saved = await system.call('PATCH', `/api/requests/${id}`, {
      as: persona,
      body: { answers },
      headers: { 'if-match': etag },
    });
    expect(saved.status, 200, 'autosave');
    etag = saved.etag ?? '';
  }
  const submitted = await system.call('POST', `/api/requests/${id}/submit`, {
    as: persona,
    headers: { 'if-match': etag },
  });
  expect(submitted.status, 200, `submit (${JSON.stringify(submitted.body).slice(0, 300)})`);
}

async function requestFlows(system: RequestsSystem): Promise<void> {
  await oneFlow(system); // warm: containers, the SDK's connections
  const durations: number[] = [];
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: FLOWS_AT_ONCE }, async () => {
      while (next < FLOWS) {
        next += 1;
        const began = performance.now();
        await oneFlow(system);
        durations.push(performance.now() - began);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  durations.sort((a, b) => a - b);
  console.log(
    `request flows (create + 3 autosaves + submit, ${FLOWS_AT_ONCE} at once): ${(FLOWS / seconds).toFixed(1)} flows/s ` +
      `= ${((FLOWS * 5) / seconds).toFixed(0)} requests/s; one flow p50 ${percentile(durations, 0.5).toFixed(0)} ms, ` +
      `p99 ${percentile(durations, 0.99).toFixed(0)} ms`,
  );
}

async function dashboard(system: RequestsSystem): Promise<void> {
  const requests = system.database.container(cosmosContainers.requests.id);
  const { resources: mine } = await requests.items
    .query<JSONObject>({
      query: 'SELECT * FROM c WHERE c.ownerId = @owner',
      parameters: [{ name: '@owner', value: subjectOf(await system.token(persona)) }],
    })
    .fetchAll();
  if (mine.length === 0) throw new Error('no requests of the persona to copy');
  // The persona's own requests up to 200, then other owners' copies up to 20,000 (written straight to Cosmos).
  const owner = String(mine[0]!.ownerId);
  await copies(requests, mine, () => owner, OWN_REQUESTS - mine.length);
  await copies(requests, mine, (index) => `bench-owner-${index % 99}`, STORE_SIZE - OWN_REQUESTS);
  const token = await system.token(persona);
  const page = await system.call('GET', '/api/requests', { as: persona });
  expect(page.status, 200, 'dashboard');
  console.log(
    `dashboard: ${(page.body as { items: unknown[] }).items.length} items on the first page of ${OWN_REQUESTS} ` +
      `(store: ${STORE_SIZE.toLocaleString('en-US')} requests)`,
  );
  const floor = await measure(`${system.url}/api/openapi.json`, {});
  const list = await measure(`${system.url}/api/requests`, { authorization: `Bearer ${token}` });
  console.log(`  static /api/openapi.json (host floor): p50 ${floor.p50} ms, p99 ${floor.p99} ms`);
  console.log(
    `  GET /api/requests: p50 ${list.p50} ms, p99 ${list.p99} ms, ${list.rps.toFixed(0)} req/s ` +
      `(${(list.p50 / Math.max(floor.p50, 1)).toFixed(1)}× the floor at p50)`,
  );
}

/** Writes `count` copies of `templates` under new ids, 100 per transactional batch, 8 batches in flight. */
async function copies(
  container: Container,
  templates: readonly JSONObject[],
  ownerOf: (index: number) => string,
  count: number,
): Promise<void> {
  const byOwner = new Map<string, JSONObject[]>();
  for (let index = 0; index < count; index += 1) {
    // Without Cosmos DB's system properties (`_rid`, `_etag`, …), which a new item must not carry.
    const template = Object.fromEntries(
      Object.entries(templates[index % templates.length]!).filter(([name]) => !name.startsWith('_')),
    );
    const ownerId = ownerOf(index);
    const copy = {
      ...template,
      id: randomUUID(),
      ownerId,
      createdAt: new Date(Date.now() - index).toISOString(),
    };
    byOwner.set(ownerId, [...(byOwner.get(ownerId) ?? []), copy]);
  }
  const batches: [string, JSONObject[]][] = [];
  for (const [ownerId, documents] of byOwner) {
    for (let start = 0; start < documents.length; start += 100)
      batches.push([ownerId, documents.slice(start, start + 100)]);
  }
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < batches.length) {
        const [ownerId, documents] = batches[next++]!;
        await container.items.batch(
          documents.map((resourceBody) => ({ operationType: 'Create', resourceBody })),
          ownerId,
        );
      }
    }),
  );
}

/** One connection: latency of a single caller, not queueing behind others on two cores. */
async function measure(url: string, headers: Record<string, string>) {
  const result = await autocannon({ url, headers, connections: 1, duration: 8 });
  return { p50: result.latency.p50, p99: result.latency.p99, rps: result.requests.average };
}

function subjectOf(token: string): string {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
    sub: string;
  };
  return payload.sub;
}

function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? 0;
}

function expect(actual: number, wanted: number, what: string): void {
  if (actual !== wanted) throw new Error(`${what}: HTTP ${actual}, expected ${wanted}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
