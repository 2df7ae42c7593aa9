/**
 * Catalog benchmark: our in-memory engine against DuckDB on the same files, same run, same answers.
 *
 *   npm run build && npx tsx --expose-gc bench/catalog.ts [--sizes 100000,1000000] [--reps 200] [--peer-reps 5]
 *     [--http-files 100000] [--http-seconds 10] [--no-http] [--app-dir <function app folder>] [--refresh-only]
 *
 * For each size: generate the catalog, build the index (time, memory per file), load DuckDB, check that both
 * engines give identical answers on every query, then time a fixed set of realistic clicks. Finally the HTTP
 * path: seed the Cosmos stand-in, start the built app on the local host, and drive it with autocannon.
 * Each size also times change-feed refreshes of 1, 100 and 10,000 changed files; `--refresh-only` stops there.
 */
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { applyChanges } from '../shared/catalog/engine/apply-changes';
import { CatalogIndex } from '../shared/catalog/engine/catalog-index';
import { toIndexedFile, type IndexedFile } from '../shared/catalog/engine/indexed-file';
import { CATALOG_DAUS } from '../shared/catalog/generator/daus';
import { generateCatalogFiles } from '../shared/catalog/generator/generate';
import { SeededRandom } from '../shared/catalog/generator/random';
import { catalogQuerySchema, selectionSchema, type CatalogQuery } from '../shared/catalog/model';
import { decodeSnapshot, encodeSnapshot, snapshotPartSchema } from '../shared/catalog/snapshot';
import { DuckDbPeer, type PeerClick } from './catalog-duckdb';
import { benchmarkHttp } from './catalog-http';

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '100000,1000000' },
    reps: { type: 'string', default: '200' },
    'peer-reps': { type: 'string', default: '5' },
    'http-files': { type: 'string', default: '100000' },
    'http-seconds': { type: 'string', default: '10' },
    http: { type: 'boolean', default: true },
    'refresh-only': { type: 'boolean', default: false },
    'app-dir': { type: 'string', default: path.resolve(__dirname, '..') },
  },
  allowNegative: true,
});
const sizes = args.sizes === '' ? [] : args.sizes.split(',').map(Number);
const reps = Number(args.reps);
const peerReps = Number(args['peer-reps']);

const FOUR = {
  sequencingType: ['WGS', 'WES'],
  sampleType: ['Diagnosis', 'Relapse'],
  fileType: ['BAM'],
  tissueType: ['Paired Tumor-Normal'],
};
const CLICKS: [string, Record<string, unknown>][] = [
  ['empty filter, diagnosis', { tab: 'diagnosis' }],
  ['empty filter, publication', { tab: 'publication' }],
  ['empty filter, study', { tab: 'study' }],
  ['empty filter, sample', { tab: 'sample' }],
  ['WGS, diagnosis', { tab: 'diagnosis', filters: { sequencingType: ['WGS'] } }],
  ['Relapse, study', { tab: 'study', filters: { sampleType: ['Relapse'] } }],
  ['BAM, publication', { tab: 'publication', filters: { fileType: ['BAM'] } }],
  ['Paired T-N, sample', { tab: 'sample', filters: { tissueType: ['Paired Tumor-Normal'] } }],
  [
    'RNA-Seq+Feature Counts, diagnosis',
    { tab: 'diagnosis', filters: { sequencingType: ['RNA-Seq'], fileType: ['Feature Counts'] } },
  ],
  ['4 categories, diagnosis', { tab: 'diagnosis', filters: FOUR }],
  ['4 categories, publication', { tab: 'publication', filters: FOUR }],
  ['4 categories, study', { tab: 'study', filters: FOUR }],
  ['4 categories, sample', { tab: 'sample', filters: FOUR }],
];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))]!;
}

async function time(run: () => unknown, count: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const start = process.hrtime.bigint();
    await run();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return samples.sort((a, b) => a - b);
}

function memoryNow(): number {
  (globalThis as { gc?: () => void }).gc?.();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

function same(label: string, ours: unknown, peer: unknown): void {
  const a = JSON.stringify(ours);
  const b = JSON.stringify(peer);
  if (a !== b)
    throw new Error(`Answers differ for ${label}:\n ours: ${a.slice(0, 800)}\n peer: ${b.slice(0, 800)}`);
}

function comparable(answer: PeerClick): PeerClick {
  return {
    rows: answer.rows,
    totalRows: answer.totalRows,
    facets: answer.facets,
    summary: {
      files: answer.summary.files,
      samples: answer.summary.samples,
      subjects: answer.summary.subjects,
      bytes: answer.summary.bytes,
      daus: answer.summary.daus.map(({ id, files }) => ({ id, files })),
    },
  };
}

/** `count` change-feed entries: a third replaced (other facets, DAU and size), a third added, a third deleted. */
function changedFiles(
  index: CatalogIndex,
  count: number,
  random: SeededRandom,
): Map<string, IndexedFile | null> {
  const changed = new Map<string, IndexedFile | null>();
  for (let i = 0; changed.size < count; i += 1) {
    const original = index.file(random.integer(index.fileCount));
    if (i % 3 === 0) changed.set(original.id, null);
    else if (i % 3 === 1)
      changed.set(original.id, {
        ...original,
        sampleType: original.sampleType === 'Relapse' ? 'Diagnosis' : 'Relapse',
        dau: original.dau === 'PCGP' ? 'SJLIFE' : 'PCGP',
        fileSizeBytes: original.fileSizeBytes + 1,
      });
    else {
      const id = `added-${count}-${i}`;
      changed.set(id, { ...original, id, fileName: `${id}.bam`, filePath: `/added/${id}.bam` });
    }
  }
  return changed;
}

/**
 * What a cold start from the snapshot costs in the process, without the store: parse the parts as they come
 * from Cosmos (JSON text, then the zod schema), decode and build with the snapshot's recorded version.
 */
async function coldStartFromSnapshot(index: CatalogIndex): Promise<void> {
  const { head, parts } = encodeSnapshot(index.files(), {
    snapshotId: 'bench',
    continuation: '"0"',
    indexVersion: index.version,
    takenAt: new Date().toISOString(),
  });
  const texts = parts.map((rows, part) => JSON.stringify({ part, rows }));
  const started = performance.now();
  const parsed = texts.map((text) => snapshotPartSchema.parse(JSON.parse(text)));
  const parsedAt = performance.now();
  const built = await CatalogIndex.buildCooperatively(
    decodeSnapshot(head, parsed),
    CATALOG_DAUS,
    head.indexVersion,
  );
  if (built.version !== index.version)
    throw new Error('The index built from the snapshot has another version');
  console.log(
    `cold start from the snapshot (${(texts.reduce((sum, text) => sum + text.length, 0) / 1e6).toFixed(0)} MB in ${parts.length} parts, ` +
      `store read excluded): parse ${((parsedAt - started) / 1000).toFixed(2)} s + build ${((performance.now() - parsedAt) / 1000).toFixed(2)} s`,
  );
}

async function benchmark(size: number): Promise<void> {
  console.log(`\n=== ${size.toLocaleString('en-US')} files ===`);
  const before = memoryNow();
  let started = performance.now();
  const files = (function* () {
    for (const file of generateCatalogFiles({ files: size })) yield toIndexedFile(file);
  })();
  const index = CatalogIndex.build(files, CATALOG_DAUS);
  const buildMs = performance.now() - started;
  const bytesPerFile = (memoryNow() - before) / index.fileCount;
  console.log(
    `generate + build index: ${(buildMs / 1000).toFixed(1)} s for ${index.fileCount} files; ` +
      `index memory ${bytesPerFile.toFixed(0)} B/file (${((bytesPerFile * index.fileCount) / 2 ** 20).toFixed(0)} MiB)`,
  );
  started = performance.now();
  const rebuilt = CatalogIndex.build(index.files(), CATALOG_DAUS);
  console.log(
    `rebuild from the index's own files (what a change-feed update costs): ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  if (rebuilt.version !== index.version) throw new Error('Rebuilt index has another version');
  await coldStartFromSnapshot(index);
  for (const count of [1, 100, 10_000]) {
    const changed = changedFiles(index, count, new SeededRandom(count));
    const blocked = monitorEventLoopDelay({ resolution: 1 });
    blocked.enable();
    started = performance.now();
    const refreshed = await applyChanges(index, changed, CATALOG_DAUS);
    blocked.disable();
    console.log(
      `refresh with ${count} changed files: ${(performance.now() - started).toFixed(0)} ms, ${refreshed.how} ` +
        `(${refreshed.index.fileCount} files after); longest event-loop block ${(blocked.max / 1e6).toFixed(0)} ms`,
    );
  }
  const changedMany = changedFiles(index, Math.ceil(index.fileCount * 0.3), new SeededRandom(3));
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  started = performance.now();
  const { how } = await applyChanges(index, changedMany, CATALOG_DAUS);
  delay.disable();
  console.log(
    `refresh with ${changedMany.size} changed files (30%): ${((performance.now() - started) / 1000).toFixed(1)} s, ` +
      `${how}; longest event-loop block meanwhile ${(delay.max / 1e6).toFixed(0)} ms`,
  );
  if (args['refresh-only']) return;

  started = performance.now();
  const peer = await DuckDbPeer.load(index);
  console.log(`DuckDB load: ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const held = new Set<string>(['PCGP']);
  const queries: [string, CatalogQuery][] = CLICKS.map(([label, input]) => [
    label,
    catalogQuerySchema.parse({ filters: {}, ...input }),
  ]);
  const random = new SeededRandom(size);
  const sampleNames = new Set<string>();
  while (sampleNames.size < 500) sampleNames.add(index.file(random.integer(index.fileCount)).sampleName);
  const pickedSamples = [...sampleNames];
  const selection = selectionSchema.parse({ sampleNames: pickedSamples });

  // Identical answers first.
  for (const [label, query] of queries) {
    const ours = index.click(query, held);
    same(label, comparable({ ...ours, summary: ours.summary }), comparable(await peer.click(query)));
  }
  const ourSelection = index.resolveSelection(selection, held);
  const peerSelection = await peer.selectSamples(pickedSamples);
  same('selection of 500 samples', [...ourSelection.files], peerSelection.files);
  same(
    'selection summary',
    comparable({
      rows: [],
      totalRows: 0,
      facets: {} as PeerClick['facets'],
      summary: ourSelection.answer.summary,
    }).summary,
    peerSelection.summary,
  );
  console.log(`identical answers on all ${queries.length + 1} queries`);

  const table: string[][] = [['query', 'ours p50', 'ours p99', 'duckdb p50', 'duckdb p99', 'ratio p50']];
  const allOurs: number[] = [];
  const allPeer: number[] = [];
  const measure = async (label: string, ours: () => unknown, theirs: () => Promise<unknown>) => {
    await time(ours, Math.min(20, reps));
    const oursMs = await time(ours, reps);
    await theirs();
    const peerMs = await time(theirs, peerReps);
    allOurs.push(...oursMs);
    allPeer.push(...peerMs);
    const p50 = percentile(oursMs, 0.5);
    const peerP50 = percentile(peerMs, 0.5);
    table.push([
      label,
      p50.toFixed(3),
      percentile(oursMs, 0.99).toFixed(3),
      peerP50.toFixed(1),
      percentile(peerMs, 0.99).toFixed(1),
      `${(peerP50 / p50).toFixed(0)}×`,
    ]);
  };
  for (const [label, query] of queries) {
    await measure(
      label,
      () => index.click(query, held),
      () => peer.click(query),
    );
  }
  await measure(
    'selection of 500 samples',
    () => index.resolveSelection(selection, held),
    () => peer.selectSamples(pickedSamples),
  );
  allOurs.sort((a, b) => a - b);
  allPeer.sort((a, b) => a - b);
  const overall = percentile(allOurs, 0.5);
  table.push([
    'ALL QUERIES',
    overall.toFixed(3),
    percentile(allOurs, 0.99).toFixed(3),
    percentile(allPeer, 0.5).toFixed(1),
    percentile(allPeer, 0.99).toFixed(1),
    `${(percentile(allPeer, 0.5) / overall).toFixed(0)}×`,
  ]);
  const widths = table[0]!.map((_, column) => Math.max(...table.map((row) => row[column]!.length)));
  for (const row of table)
    console.log(
      row
        .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
        .join('  '),
    );
  console.log('(milliseconds; ratio = DuckDB p50 / ours p50)');
  peer.close();
}

async function main(): Promise<void> {
  console.log(`node ${process.version}, ${reps} reps ours / ${peerReps} reps DuckDB per query`);
  for (const size of sizes) await benchmark(size);
  if (args.http) {
    try {
      await benchmarkHttp(Number(args['http-files']), Number(args['http-seconds']), args['app-dir']);
    } catch (error) {
      console.error(`HTTP benchmark failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    }
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
