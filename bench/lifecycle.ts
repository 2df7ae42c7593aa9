/**
 * Vending on the local host (the built app, dist/index.js: `npm run bench:lifecycle` builds it first), on the
 * system the tests use, in real time:
 * 1. 500 open-data requests (each ~50 files + index files into its own project) submitted at once: time until
 *    all are vended, CPU per request, peak memory; beside a plain loop of the same server-side copies
 *    (`beginCopyFromURL`, the same number in flight) against the same Azurite without our orchestration;
 * 2. one DAU of ~20,000 files (a held controlled DAU, so it vends at submit): files/s, beside the plain loop
 *    copying the same blobs.
 * Each measurement runs RUNS times; medians are printed. Environment: BENCH_REQUESTS (500), BENCH_RUNS (2),
 * BENCH_PARTS (`requests,dau`), BENCH_LARGE_CATALOG (55,000: SJLIFE ~20,000 files).
 */
import type { ContainerClient } from '@azure/storage-blob';
import { subjectFor } from '../infra/local/standins/dev-issuer';
import { parseSettings } from '../shared/config/settings';
import { cosmosContainers } from '../shared/platform/storage-layout';
import { inParallel } from '../shared/provisioning/adapters/blob-project-storage';
import { ReadSasSigner } from '../shared/provisioning/adapters/read-sas';
import { findPersona } from '../infra/local/personas';
import { completeAnswers, studySelection } from '../test/requests/support';
import { expectStatus, startProvisioningSystem, type ProvisioningSystem } from '../test/provisioning/support';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 500);
const RUNS = Number(process.env.BENCH_RUNS ?? 2);
/** The catalog size at which PanALL (open) holds ~50 files. */
const SMALL_CATALOG = 1800;
/** The catalog size at which SJLIFE holds ~20,000 files. */
const LARGE_CATALOG = Number(process.env.BENCH_LARGE_CATALOG ?? 55_000);
/** Which parts run (`requests`, `dau`; both by default). */
const PARTS = new Set((process.env.BENCH_PARTS ?? 'requests,dau').split(','));
/** Copies in flight in the plain loop: our batches in flight × copies per batch. */
const PEER_IN_FLIGHT = 8 * 16;
const maya = findPersona('us-requester');

async function main(): Promise<void> {
  if (PARTS.has('requests')) await requestsPart();
  if (PARTS.has('dau')) await bigDauPart();
}

async function requestsPart(): Promise<void> {
  const small = await startProvisioningSystem({
    catalogFiles: SMALL_CATALOG,
    realTime: true,
    sourceDaus: ['PanALL'],
  });
  try {
    const runs: RequestsRun[] = [];
    for (let run = 0; run < RUNS; run += 1) runs.push(await manyRequests(small, run));
    const ours = median(runs.map((run) => run.seconds));
    const peer = median(runs.map((run) => run.peerSeconds));
    console.log(
      `${REQUESTS} open-data requests submitted at once (${runs[0]!.blobs} blobs copied): all vended in ` +
        `${ours.toFixed(1)} s (median of ${RUNS}); CPU ${median(runs.map((run) => run.cpuMsPerRequest)).toFixed(0)} ms ` +
        `per request; peak RSS ${Math.max(...runs.map((run) => run.peakRssMb)).toFixed(0)} MB`,
    );
    console.log(
      `  plain copy loop of the same blobs (${PEER_IN_FLIGHT} in flight, no orchestration): ${peer.toFixed(1)} s ` +
        `→ ours takes ${(ours / peer).toFixed(2)}× the plain loop`,
    );
  } finally {
    await small.close();
  }
}

async function bigDauPart(): Promise<void> {
  const large = await startProvisioningSystem({
    catalogFiles: LARGE_CATALOG,
    realTime: true,
    sourceDaus: ['SJLIFE'],
  });
  try {
    const runs: BigRun[] = [];
    for (let run = 0; run < RUNS; run += 1) runs.push(await oneBigDau(large, run));
    const ours = median(runs.map((run) => run.filesPerSecond));
    const peer = median(runs.map((run) => run.peerFilesPerSecond));
    console.log(
      `one DAU of ${runs[0]!.files} files (${runs[0]!.blobs} blobs with index files): ${ours.toFixed(0)} files/s ` +
        `(median of ${RUNS}); plain copy loop ${peer.toFixed(0)} files/s → ours ${(ours / peer).toFixed(2)}× its rate`,
    );
  } finally {
    await large.close();
  }
}

interface RequestsRun {
  readonly seconds: number;
  readonly peerSeconds: number;
  readonly cpuMsPerRequest: number;
  readonly peakRssMb: number;
  readonly blobs: number;
}

async function manyRequests(system: ProvisioningSystem, run: number): Promise<RequestsRun> {
  const drafts: { id: string; etag: string }[] = [];
  await inParallel(
    Array.from({ length: REQUESTS }, (_, index) => index),
    8,
    async (index) => {
      drafts.push(await draft(system, `Bench ${run} project ${index}`, ['PanALL']));
    },
  );
  const peak = sampleRss();
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(drafts.map(({ id, etag }) => submit(system, id, etag)));
  await untilActive(
    system,
    drafts.map(({ id }) => id),
  );
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const peakRssMb = peak.stop();
  const containers = await projectContainers(
    system,
    drafts.map(({ id }) => id),
  );
  const blobs = await countBlobs(system, containers);
  const peerSeconds = await plainCopyLoop(system, containers, `peer-${run}`);
  return {
    seconds,
    peerSeconds,
    cpuMsPerRequest: (used.user + used.system) / 1000 / REQUESTS,
    peakRssMb,
    blobs,
  };
}

interface BigRun {
  readonly files: number;
  readonly blobs: number;
  readonly filesPerSecond: number;
  readonly peerFilesPerSecond: number;
}

async function oneBigDau(system: ProvisioningSystem, run: number): Promise<BigRun> {
  // Maya holds SJLIFE already, so a new selection in it vends at submit (no agreement, no review).
  const now = Date.now();
  await system.grants.put({
    id: `bench-${run}:SJLIFE`,
    userId: subjectFor(maya.email),
    docType: 'grant',
    dauId: 'SJLIFE',
    requestId: `bench-${run}`,
    grantedAt: new Date(now).toISOString(),
    expiresAt: new Date(now + 30 * 86_400_000).toISOString(),
    downloadAllowed: false,
    status: 'active',
    updatedAt: new Date(now).toISOString(),
  });
  const { id, etag } = await draft(system, `Big DAU ${run}`, ['SJLIFE']);
  const started = performance.now();
  const submitted = await submit(system, id, etag);
  await untilActive(system, [id]);
  const seconds = (performance.now() - started) / 1000;
  const files = (submitted as { selection: { counts: { files: number } } }).selection.counts.files;
  const containers = await projectContainers(system, [id]);
  const blobs = await countBlobs(system, containers);
  const peerSeconds = await plainCopyLoop(system, containers, `peer-big-${run}`);
  return { files, blobs, filesPerSecond: files / seconds, peerFilesPerSecond: files / peerSeconds };
}

async function draft(system: ProvisioningSystem, projectName: string, rows: string[]) {
  const created = await system.call('POST', '/api/requests', {
    as: 'us-requester',
    body: studySelection(...rows),
  });
  expectStatus(created, 201, 'create');
  const filled = await system.call('PATCH', `/api/requests/${created.body.id}`, {
    as: 'us-requester',
    body: {
      answers: { ...completeAnswers(), destination: { kind: 'new', projectName, folderName: 'data' } },
    },
    headers: { 'if-match': created.etag! },
  });
  expectStatus(filled, 200, 'autosave');
  return { id: created.body.id as string, etag: filled.etag! };
}

async function submit(system: ProvisioningSystem, id: string, etag: string): Promise<unknown> {
  const submitted = await system.call('POST', `/api/requests/${id}/submit`, {
    as: 'us-requester',
    headers: { 'if-match': etag },
  });
  expectStatus(submitted, 200, 'submit');
  return submitted.body;
}

/** Polls the requests container until every one of `ids` is active (vended), failing after 20 minutes. */
async function untilActive(system: ProvisioningSystem, ids: readonly string[]): Promise<void> {
  const container = system.database.container(cosmosContainers.requests.id);
  const deadline = Date.now() + 1_200_000;
  let nextLine = Date.now() + 15_000;
  for (;;) {
    const { resources } = await container.items
      .query<number>({
        query: "SELECT VALUE COUNT(1) FROM c WHERE ARRAY_CONTAINS(@ids, c.id) AND c.status = 'active'",
        parameters: [{ name: '@ids', value: [...ids] }],
      })
      .fetchAll();
    if ((resources[0] ?? 0) >= ids.length) return;
    if (Date.now() >= nextLine) {
      console.log(`  … ${resources[0] ?? 0} of ${ids.length} vended`);
      nextLine = Date.now() + 15_000;
    }
    if (Date.now() > deadline) throw new Error(`only ${resources[0]} of ${ids.length} requests vended`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function projectContainers(system: ProvisioningSystem, ids: readonly string[]): Promise<string[]> {
  const containers: string[] = [];
  for (const id of ids) {
    const request = await system.call('GET', `/api/requests/${id}`, { as: 'us-requester' });
    containers.push(
      ...(request.body.daus as { vending: { container: string } }[]).map((dau) => dau.vending.container),
    );
  }
  return containers;
}

async function countBlobs(system: ProvisioningSystem, containers: readonly string[]): Promise<number> {
  let count = 0;
  for (const name of containers) {
    for await (const item of system.blobs.getContainerClient(name).listBlobsFlat()) {
      if (!item.name.endsWith('SAMPLE_INFO.txt')) count += 1;
    }
  }
  return count;
}

/**
 * The peer: the same server-side copies (every blob our vend put into `containers`, from the source), by a
 * plain loop with a fixed number in flight, into fresh containers: what copying costs without durable
 * activities, plans, progress records or the grant.
 */
async function plainCopyLoop(
  system: ProvisioningSystem,
  containers: readonly string[],
  prefix: string,
): Promise<number> {
  const settings = parseSettings(system.environment.appSettings);
  const source = system.blobs.getContainerClient(settings.SourceData__containerName);
  const signer = new ReadSasSigner(system.blobs);
  const jobs: { target: ContainerClient; name: string; sourcePath: string }[] = [];
  for (const [index, name] of containers.entries()) {
    const target = system.blobs.getContainerClient(`${prefix}-${index}`);
    await target.createIfNotExists();
    for await (const item of system.blobs.getContainerClient(name).listBlobsFlat()) {
      if (item.name.endsWith('SAMPLE_INFO.txt')) continue;
      jobs.push({ target, name: item.name, sourcePath: item.name.replace(/^data\//, '') });
    }
  }
  const expiresOn = new Date(Date.now() + 3600_000);
  const started = performance.now();
  await inParallel(jobs, PEER_IN_FLIGHT, async ({ target, name, sourcePath }) => {
    const url = await signer.readUrl(source.getBlobClient(sourcePath), expiresOn);
    const poller = await target.getBlobClient(name).beginCopyFromURL(url);
    await poller.pollUntilDone();
  });
  return (performance.now() - started) / 1000;
}

/** Samples the process's RSS every 100 ms; `stop` answers the peak in MB. */
function sampleRss(): { stop(): number } {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 100);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage().rss) / 1024 / 1024;
    },
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
