/**
 * The HTTP part of the catalog benchmark: seeds the Cosmos DB stand-in (measuring load speed), starts the
 * built function app (dist/index.js; run `npm run build` first) on the local host, and drives
 * `GET /api/catalog` with autocannon.
 */
import autocannon from 'autocannon';
import { CosmosClient } from '@azure/cosmos';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { startHost } from '../infra/local/host';
import { seedCatalog } from '../infra/local/seed';
import { startStandIns } from '../infra/local/standins';

const URLS: [string, string][] = [
  ['baseline: static /api/openapi.json (host overhead)', '/api/openapi.json'],
  ['empty filter, diagnosis', '/api/catalog?tab=diagnosis'],
  [
    '4 categories, sample tab',
    '/api/catalog?tab=sample&sequencingType=WGS,WES&sampleType=Diagnosis,Relapse&fileType=BAM&tissueType=Paired%20Tumor-Normal',
  ],
];

export async function benchmarkHttp(files: number, seconds: number, appDir: string): Promise<void> {
  console.log(`\n=== HTTP through the local host, ${files.toLocaleString('en-US')} files ===`);
  const standIns = await startStandIns({ ports: { cosmos: 0, blob: 0, queue: 0, table: 0 } });
  try {
    const client = new CosmosClient({
      endpoint: standIns.cosmosEndpoint,
      key: standIns.cosmosKey,
      agent: new https.Agent({ ca: readFileSync(standIns.caCertPath), keepAlive: true }),
    });
    const { database } = await client.databases.createIfNotExists({ id: 'catalogbench' });
    const seeded = await seedCatalog({ database, files });
    console.log(
      `seed: ${seeded.written} documents in ${seeded.seconds.toFixed(1)} s = ${(seeded.written / seeded.seconds).toFixed(0)} docs/s ` +
        '(transactional batches of 100, 8 in flight)',
    );
    const hostEnv = { ...standIns.env, CosmosDb__databaseName: 'catalogbench', CATALOG_REFRESH_SECONDS: '5' };
    const host = await startHost({
      appDir,
      port: 0,
      env: hostEnv,
      log: (line) => {
        if (/error|fail|catalog:/i.test(line)) console.log(`  host: ${line.slice(0, 400)}`);
      },
    });
    try {
      let started = performance.now();
      const first = await fetch(`${host.url}/api/catalog`);
      if (first.status !== 200) throw new Error(`first answer: ${first.status} ${await first.text()}`);
      console.log(
        `cold start (first answer, hydration from the change feed): ${(performance.now() - started).toFixed(0)} ms`,
      );
      for (const [label, url] of URLS) {
        started = performance.now();
        const result = await autocannon({ url: `${host.url}${url}`, connections: 10, duration: seconds });
        console.log(
          `${label}: ${result.requests.average.toFixed(0)} req/s, latency p50 ${result.latency.p50} ms, ` +
            `p99 ${result.latency.p99} ms, non-2xx ${result.non2xx}, errors ${result.errors}`,
        );
      }
    } finally {
      await host.close();
    }
    // A second instance: its cold start reads the snapshot the first one left, then only later changes.
    const second = await startHost({ appDir, port: 0, env: hostEnv, log: () => undefined });
    try {
      const started = performance.now();
      const first = await fetch(`${second.url}/api/catalog`);
      if (first.status !== 200) throw new Error(`first answer: ${first.status} ${await first.text()}`);
      console.log(
        `cold start of a second instance (snapshot + change feed): ${(performance.now() - started).toFixed(0)} ms`,
      );
    } finally {
      await second.close();
      client.dispose();
    }
  } finally {
    await standIns.close();
  }
}
