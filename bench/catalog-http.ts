/**
 * The HTTP part of the catalog benchmark: seeds the Cosmos DB stand-in (measuring load speed), starts the
 * built function app (dist/index.js; run `npm run build` first) on the local host, and drives
 * `GET /api/catalog` with autocannon.
 */
import autocannon from 'autocannon';
import { CosmosClient } from '@azure/cosmos';
import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import https from 'node:https';
import { startHost } from '../infra/local/host';
import { seedCatalog } from '../infra/local/seed';
import { startDevIssuer } from '../infra/local/standins/dev-issuer';
import { freeStandInPorts, startStandIns } from '../infra/local/standins';

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
  const standIns = await startStandIns({ ports: freeStandInPorts });
  const issuer = await startDevIssuer({ port: 0 });
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
    const hostEnv = {
      ...standIns.env,
      ...issuer.env,
      CosmosDb__databaseName: 'catalogbench',
      CATALOG_REFRESH_SECONDS: '5',
    };
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
      await clicksWhileManifestsRun(
        host.url,
        `Bearer ${await issuer.mintToken({ email: 'bench@example.org' })}`,
        seconds,
      );
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
    await issuer.close();
    await standIns.close();
  }
}

/** Four clients downloading the manifest over and over until stdin closes; prints what they got as JSON. */
const MANIFEST_DOWNLOADER = `
const [url, authorization] = process.argv.slice(1);
const outcomes = { ok: 0, busy: 0, bytes: 0 };
let running = true;
process.stdin.on('end', () => (running = false)).resume();
const client = async () => {
  while (running) {
    const response = await fetch(url, { headers: { authorization } });
    const body = await response.arrayBuffer();
    if (response.status === 200) { outcomes.ok += 1; outcomes.bytes = body.byteLength; }
    else if (response.status === 429) { outcomes.busy += 1; await new Promise((r) => setTimeout(r, 50)); }
    else throw new Error('manifest: ' + response.status);
  }
};
Promise.all([client(), client(), client(), client()]).then(() => console.log(JSON.stringify(outcomes)));
`;

/**
 * Ordinary clicks alone, then while four clients download the full-catalog manifest over and over (the
 * instance produces two at once and answers 429 beyond): the click latency ratio is what a manifest costs
 * everyone else.
 */
async function clicksWhileManifestsRun(
  appUrl: string,
  authorization: string,
  seconds: number,
): Promise<void> {
  const click = `${appUrl}/api/catalog?tab=sample&sequencingType=WGS`;
  const alone = await autocannon({ url: click, connections: 4, duration: seconds });
  const studies = (await (await fetch(`${appUrl}/api/catalog?tab=study&pageSize=500`)).json()) as {
    rows: { id: string }[];
  };
  const manifestUrl = `${appUrl}/api/catalog/manifest?tab=study&${studies.rows.map((row) => `rowId=${row.id}`).join('&')}`;
  // The downloads run in another process, so that their client-side work does not slow the click client.
  const downloader = spawn(process.execPath, ['-e', MANIFEST_DOWNLOADER, manifestUrl, authorization], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const report = new Promise<string>((resolve) => {
    let text = '';
    downloader.stdout.on('data', (data: Buffer) => (text += data.toString()));
    downloader.on('close', () => resolve(text));
  });
  await new Promise((resolve) => setTimeout(resolve, 500));
  const during = await autocannon({ url: click, connections: 4, duration: seconds });
  downloader.stdin.end();
  const outcomes = JSON.parse(await report) as { ok: number; busy: number; bytes: number };
  console.log(
    `clicks alone: p50 ${alone.latency.p50} ms, p99 ${alone.latency.p99} ms; while 4 clients download manifests ` +
      `(${outcomes.ok} × ${(outcomes.bytes / 1e6).toFixed(1)} MB done, ${outcomes.busy} × 429): ` +
      `p50 ${during.latency.p50} ms, p99 ${during.latency.p99} ms, non-2xx ${during.non2xx} ` +
      `(p50 ratio ${(during.latency.p50 / Math.max(alone.latency.p50, 1)).toFixed(1)}×)`,
  );
}
