/**
 * Durable engine benchmark on the local host (run: `npx tsx bench/durable.ts`, ~1 minute on 2 cores).
 *
 * 1. Throughput: 1,000 orchestrations × 5 sequential activities, in memory and with the fsync'ed journal
 *    (the peer: same run, same app; the ratio is the cost of durability).
 * 2. Episode latency vs history length: one orchestration of 300 sequential activities; each episode replays
 *    the whole history, so the time per episode must grow linearly (constant µs per history event).
 * 3. Memory per idle instance: 2,000 instances waiting for an external event, heap delta after GC.
 * Medians of 3 runs where a run is short enough to repeat. `--latency` runs part 2 only. CPU times are given
 * beside wall times because the machine is shared: they stay comparable when other work competes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { VirtualClock } from '../infra/local/clock';
import { createDurableExtension, type DurableExtension, type EpisodeMetrics } from '../infra/local/durable';
import { startHost, type RunningHost } from '../infra/local/host';

const appDir = path.join(__dirname, '..', 'test', 'durable', 'fixtures', 'conformance-app');
const webhooks = '/runtime/webhooks/durabletask/';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;
const onlyLatency = process.argv.includes('--latency');

interface BenchHost {
  readonly host: RunningHost;
  readonly durable: DurableExtension;
  readonly episodes: EpisodeMetrics[];
  close(): Promise<void>;
}

async function startBenchHost(dataDir: string | undefined): Promise<BenchHost> {
  const episodes: EpisodeMetrics[] = [];
  const durable = createDurableExtension({ onEpisode: (episode) => episodes.push(episode) });
  const host = await startHost({
    appDir,
    port: 0,
    extensions: [durable],
    clock: new VirtualClock(),
    dataDir,
    log: () => undefined,
  });
  return { host, durable, episodes, close: () => host.close() };
}

async function startInstance(host: RunningHost, name: string, input: unknown): Promise<string> {
  const response = await fetch(`${host.url}${webhooks}orchestrators/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(input),
  });
  if (response.status !== 202) throw new Error(`start ${name}: HTTP ${response.status}`);
  return ((await response.json()) as { id: string }).id;
}

/** Polls in process (cheap) rather than through the list API, which would compete with the engine for CPU. */
async function waitUntil(durable: DurableExtension, status: string, count: number): Promise<void> {
  while (durable.listInstances().filter((entry) => entry.runtimeStatus === status).length < count) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

interface Throughput {
  readonly perSecond: number;
  /** CPU time of this process per orchestration: stable even when other work shares the machine. */
  readonly cpuMsPerOrchestration: number;
}

async function throughput(persist: boolean, orchestrations: number): Promise<Throughput> {
  const dataDir = persist ? fs.mkdtempSync(path.join(os.tmpdir(), 'durable-bench-')) : undefined;
  const bench = await startBenchHost(dataDir);
  try {
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    // 50 clients starting instances at once (1,000 simultaneous connections overflow the listen backlog).
    let next = 0;
    const client = async (): Promise<void> => {
      while (next++ < orchestrations) await startInstance(bench.host, 'chain', 5);
    };
    await Promise.all(Array.from({ length: 50 }, client));
    await waitUntil(bench.durable, 'Completed', orchestrations);
    const cpu = process.cpuUsage(cpuBefore);
    return {
      perSecond: orchestrations / ((performance.now() - started) / 1000),
      cpuMsPerOrchestration: (cpu.user + cpu.system) / 1000 / orchestrations,
    };
  } finally {
    await bench.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function latencyByHistoryLength(): Promise<void> {
  const bench = await startBenchHost(undefined);
  try {
    // A first chain warms up the JIT, so early episodes of the measured one are not penalised.
    await startInstance(bench.host, 'chain', 300);
    await waitUntil(bench.durable, 'Completed', 1);
    const id = await startInstance(bench.host, 'chain', 300);
    await waitUntil(bench.durable, 'Completed', 2);
    const episodes = bench.episodes.filter((episode) => episode.instanceId === id);
    console.log('\nEpisode latency vs history length (chain of 300 activities, in memory)');
    console.log('history events   median episode ms   median CPU ms   CPU µs per history event');
    for (const [from, to] of [
      [0, 100],
      [100, 300],
      [300, 600],
      [600, 900],
      [900, 1300],
    ] as const) {
      const bucket = episodes.filter(
        (episode) => episode.historyLength >= from && episode.historyLength < to,
      );
      if (bucket.length === 0) continue;
      const ms = median(bucket.map((episode) => episode.durationMs));
      const cpuMs = median(bucket.map((episode) => episode.cpuMs));
      const perEvent = median(bucket.map((episode) => (episode.cpuMs * 1000) / episode.historyLength));
      console.log(
        `${`${from}–${to}`.padEnd(17)}${ms.toFixed(2).padStart(18)}${cpuMs.toFixed(2).padStart(16)}` +
          perEvent.toFixed(2).padStart(27),
      );
    }
    // Fit on per-100-event medians: single episodes carry GC and JIT outliers.
    const medians: (readonly [number, number])[] = [];
    for (let from = 0; from < 1300; from += 100) {
      const bucket = episodes.filter(
        (episode) => episode.historyLength >= from && episode.historyLength < from + 100,
      );
      if (bucket.length > 0) medians.push([from + 50, median(bucket.map((episode) => episode.cpuMs))]);
    }
    const fit = linearFit(medians);
    console.log(
      `least-squares fit of per-100-event median CPU: ${fit.intercept.toFixed(3)} ms + ` +
        `${(fit.slope * 1000).toFixed(2)} µs × events (R² ${fit.r2.toFixed(2)})`,
    );
  } finally {
    await bench.close();
  }
}

/** Ordinary least squares y = intercept + slope·x, with the coefficient of determination. */
function linearFit(points: readonly (readonly [number, number])[]): {
  intercept: number;
  slope: number;
  r2: number;
} {
  const n = points.length;
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / n;
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (const [x, y] of points) {
    sxx += (x - meanX) ** 2;
    sxy += (x - meanX) * (y - meanY);
    syy += (y - meanY) ** 2;
  }
  const slope = sxy / sxx;
  return { intercept: meanY - slope * meanX, slope, r2: syy === 0 ? 1 : (sxy * sxy) / (sxx * syy) };
}

async function memoryPerIdleInstance(count: number): Promise<number> {
  const bench = await startBenchHost(undefined);
  try {
    // One instance first, so the baseline includes the code paths' one-off allocations.
    await startInstance(bench.host, 'waiter', null);
    collectGarbage();
    const before = process.memoryUsage().heapUsed;
    const ids: string[] = [];
    for (let i = 0; i < count; i++) ids.push(await startInstance(bench.host, 'waiter', { request: i }));
    for (;;) {
      const response = await fetch(
        `${bench.host.url}${webhooks}instances/?runtimeStatus=Running&top=1000000`,
      );
      if (((await response.json()) as unknown[]).length >= count) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    collectGarbage();
    return (process.memoryUsage().heapUsed - before) / count;
  } finally {
    await bench.close();
  }
}

async function main(): Promise<void> {
  console.log(`Durable engine benchmark — node ${process.version}, ${os.cpus().length} cores`);
  if (onlyLatency) {
    await latencyByHistoryLength();
    return;
  }
  const orchestrations = 1000;
  const inMemory: Throughput[] = [];
  const journaled: Throughput[] = [];
  for (let run = 0; run < 3; run++) {
    inMemory.push(await throughput(false, orchestrations));
    journaled.push(await throughput(true, orchestrations));
  }
  console.log(
    `\nThroughput: ${orchestrations} orchestrations × 5 activities (6 episodes + 5 activities each), median of 3`,
  );
  const report = (label: string, runs: readonly Throughput[]): number => {
    const rate = median(runs.map((run) => run.perSecond));
    const cpu = median(runs.map((run) => run.cpuMsPerOrchestration));
    console.log(
      `  ${label.padEnd(13)}${rate.toFixed(0).padStart(6)} orchestrations/s (${(rate * 5).toFixed(0)} activities/s), ` +
        `${cpu.toFixed(2)} CPU ms per orchestration`,
    );
    return rate;
  };
  const memoryRate = report('in memory', inMemory);
  const journalRate = report('with journal', journaled);
  console.log(`  journal / memory = ${(journalRate / memoryRate).toFixed(2)} (throughput)`);

  await latencyByHistoryLength();

  const perInstance = median([
    await memoryPerIdleInstance(2000),
    await memoryPerIdleInstance(2000),
    await memoryPerIdleInstance(2000),
  ]);
  console.log(
    `\nMemory per idle instance waiting for an event: ${(perInstance / 1024).toFixed(1)} KiB (2,000 instances, median of 3)`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
