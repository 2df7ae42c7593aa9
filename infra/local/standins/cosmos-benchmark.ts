/**
 * What persistence costs the Cosmos DB stand-in, measured against itself in memory in the same run:
 * loading with transactional batches (the seeding path), then restart time from a snapshot (after a clean
 * shutdown) and from the journal alone (after a crash).
 *
 *   npx tsx infra/local/standins/cosmos-benchmark.ts [items=20000] [rounds=3] [reloadItems=50000]
 */
import { promises as fs } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { CosmosClient, type Container, type JSONObject } from '@azure/cosmos';
import { startCosmosStandIn, type CosmosStandIn } from './cosmos';
import { ensureLocalCertificates, type LocalCertificates } from './tls';

const partitions = 8;
const batchSize = 100; // the transactional batch limit

async function main(): Promise<void> {
  const [items = 20_000, rounds = 3, reloadItems = 50_000] = process.argv.slice(2).map(Number);
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'cosmos-benchmark-'));
  try {
    const certificates = await ensureLocalCertificates(path.join(scratch, 'tls'));
    const rates: Record<'memory' | 'journal', number[]> = { memory: [], journal: [] };
    // Alternate the modes so that noise from other processes hits both alike.
    for (let round = 0; round < rounds; round += 1) {
      for (const mode of ['memory', 'journal'] as const) {
        const stateDir = mode === 'journal' ? path.join(scratch, `load-${round}`) : undefined;
        const standIn = await start(certificates, stateDir);
        const seconds = await load(await container(standIn, certificates), items);
        await standIn.close();
        rates[mode].push(items / seconds);
      }
    }
    const median = (values: number[]): number =>
      [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const memory = median(rates.memory);
    const journal = median(rates.journal);
    console.log(`batch load, ${items} items, median of ${rounds}:`);
    console.log(`  in memory     ${memory.toFixed(0)} items/s`);
    console.log(
      `  journaled     ${journal.toFixed(0)} items/s  (${(journal / memory).toFixed(2)}x in memory)`,
    );

    const stateDir = path.join(scratch, 'reload');
    const standIn = await start(certificates, stateDir);
    await load(await container(standIn, certificates), reloadItems);
    const crashCopy = path.join(scratch, 'reload-after-crash');
    await fs.cp(stateDir, crashCopy, { recursive: true }); // everything acknowledged is in the journal
    let began = performance.now();
    await standIn.close();
    const closeMs = performance.now() - began;
    const snapshotBytes = (await fs.stat(path.join(stateDir, 'snapshot.ndjson'))).size;

    for (const [label, dir] of [
      ['from snapshot (clean shutdown)', stateDir],
      ['from journal (crash)', crashCopy],
    ] as const) {
      began = performance.now();
      const restarted = await start(certificates, dir);
      const ms = performance.now() - began;
      console.log(
        `restart with ${reloadItems} items ${label}: ${ms.toFixed(0)} ms (${restarted.restoredRecords} records)`,
      );
      await restarted.close();
    }
    console.log(
      `clean shutdown (compaction) ${closeMs.toFixed(0)} ms, snapshot ${(snapshotBytes / 1e6).toFixed(1)} MB`,
    );
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
}

function start(certificates: LocalCertificates, stateDir: string | undefined): Promise<CosmosStandIn> {
  return startCosmosStandIn({
    port: 0,
    tls: { cert: certificates.serverCertPem, key: certificates.serverKeyPem },
    stateDir,
  });
}

async function container(standIn: CosmosStandIn, certificates: LocalCertificates): Promise<Container> {
  const client = new CosmosClient({
    endpoint: standIn.endpoint,
    key: standIn.key,
    agent: new https.Agent({ ca: certificates.caPem, keepAlive: true }),
  });
  const { database } = await client.databases.createIfNotExists({ id: 'benchmark' });
  const { container: created } = await database.containers.createIfNotExists({
    id: 'files',
    partitionKey: { paths: ['/dau'] },
  });
  return created;
}

/** Loads `count` catalog-file-like items (~0.5 KB) in batches, one partition per worker; returns seconds. */
async function load(target: Container, count: number): Promise<number> {
  const began = performance.now();
  const perPartition = Math.ceil(count / partitions);
  await Promise.all(
    Array.from({ length: partitions }, async (_, partition) => {
      const dau = `dau-${partition}`;
      for (let offset = 0; offset < perPartition; offset += batchSize) {
        const size = Math.min(batchSize, perPartition - offset);
        const operations = Array.from({ length: size }, (_unused, i) => ({
          operationType: 'Upsert' as const,
          resourceBody: catalogFile(dau, offset + i),
        }));
        const response = await target.items.batch(operations, dau);
        if (response.code !== 200) throw new Error(`batch failed with ${response.code}`);
      }
    }),
  );
  return (performance.now() - began) / 1000;
}

function catalogFile(dau: string, n: number): JSONObject {
  return {
    id: `${dau}-file-${n}`,
    dau,
    fileName: `SJ${String(n).padStart(6, '0')}_D1.WholeGenome.bam`,
    fileType: 'BAM',
    size: 100_000_000_000 + n,
    sequencingType: 'WGS',
    sampleName: `SJ${String(n).padStart(6, '0')}_D1`,
    sampleType: 'Diagnosis',
    subjectName: `SJ${String(n).padStart(6, '0')}`,
    tissue: 'Tumor',
    diagnosis: { code: 'BALL', name: 'B-cell Acute Lymphoblastic Leukemia', group: 'Hematologic Malignancy' },
    datasets: ['PCGP', 'Clinical Genomics'],
    publications: [],
    access: 'controlled',
  };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
