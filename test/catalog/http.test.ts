/**
 * The catalog API through the local Functions host (the built dist/index.js, as `npm test` builds it), against
 * the Cosmos DB stand-in seeded with a small generated catalog.
 */
import { CosmosClient, type Database } from '@azure/cosmos';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHost, type RunningHost } from '../../infra/local/host';
import { seedCatalog, seedCatalogIfEmpty } from '../../infra/local/seed';
import { startDevIssuer, type DevIssuer } from '../../infra/local/standins/dev-issuer';
import { freeStandInPorts, startStandIns, type StandIns } from '../../infra/local/standins';
import { CATALOG_CONTAINERS, CosmosCatalogStore } from '../../shared/catalog/adapters/cosmos-catalog-store';
import { CatalogService } from '../../shared/catalog/catalog-service';
import { CatalogIndex } from '../../shared/catalog/engine/catalog-index';
import { toIndexedFile } from '../../shared/catalog/engine/indexed-file';
import { CATALOG_DAUS } from '../../shared/catalog/generator/daus';
import { generateCatalog } from '../../shared/catalog/generator/generate';
import {
  catalogQuerySchema,
  clickAnswerSchema,
  selectionAnswerSchema,
  type CatalogFile,
  type ClickAnswer,
} from '../../shared/catalog/model';

const FILES = 2000;
const SEED = 11;
let standIns: StandIns;
let issuer: DevIssuer;
let host: RunningHost;
let database: Database;
let expected: CatalogIndex;
let catalog: CatalogFile[];

beforeAll(async () => {
  standIns = await startStandIns({ ports: freeStandInPorts });
  const client = new CosmosClient({
    endpoint: standIns.cosmosEndpoint,
    key: standIns.cosmosKey,
    agent: new https.Agent({ ca: readFileSync(standIns.caCertPath) }),
  });
  database = (await client.databases.createIfNotExists({ id: 'catalogtest' })).database;
  const seeded = await seedCatalogIfEmpty({ database, files: FILES, seed: SEED });
  expect(seeded?.written).toBeGreaterThanOrEqual(FILES);
  catalog = generateCatalog({ files: FILES, seed: SEED });
  expected = CatalogIndex.build(catalog.map(toIndexedFile), CATALOG_DAUS);
  issuer = await startDevIssuer({ port: 0 });
  host = await startHost({
    appDir: path.resolve(__dirname, '..', '..'),
    port: 0,
    env: {
      ...standIns.env,
      ...issuer.env,
      CosmosDb__databaseName: 'catalogtest',
      CATALOG_REFRESH_SECONDS: '0',
    },
    log: () => undefined,
  });
});

afterAll(async () => {
  await host?.close();
  await issuer?.close();
  await standIns?.close();
});

const get = (pathAndQuery: string, headers: Record<string, string> = {}) =>
  fetch(`${host.url}/api/${pathAndQuery}`, { headers });

const post = (pathAndQuery: string, body: string, contentType = 'application/json') =>
  fetch(`${host.url}/api/${pathAndQuery}`, {
    method: 'POST',
    body,
    headers: { 'content-type': contentType },
  });

interface Problem {
  type: string;
  status: number;
  detail: string;
  errors?: { in: string; name: string; message: string; allowed?: unknown[] }[];
}

async function problem(response: Response, status: number): Promise<Problem> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  return (await response.json()) as Problem;
}

async function click(query: string): Promise<ClickAnswer> {
  const response = await get(`catalog?${query}`);
  expect(response.status).toBe(200);
  return clickAnswerSchema.parse(await response.json());
}

describe('GET /api/catalog', () => {
  it('answers a click exactly as the engine does on the same generated files', async () => {
    const answer = await click(
      'tab=study&sequencingType=WGS,WES&sampleType=Diagnosis&sampleType=Relapse&fileType=BAM',
    );
    const local = expected.click(
      catalogQuerySchema.parse({
        tab: 'study',
        filters: { sequencingType: ['WGS', 'WES'], sampleType: ['Diagnosis', 'Relapse'], fileType: ['BAM'] },
      }),
      new Set(),
    );
    expect(answer.summary).toEqual(local.summary);
    expect(answer.facets).toEqual(local.facets);
    expect(answer.rows).toEqual(local.rows);
    expect(answer.summary.files).toBeGreaterThan(0);
  });

  it('sends a strong ETag and answers 304 to If-None-Match', async () => {
    const first = await get('catalog?tab=diagnosis');
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[^"]+"$/);
    const again = await get('catalog?tab=diagnosis', { 'if-none-match': etag! });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    const other = await get('catalog?tab=sample', { 'if-none-match': etag! });
    expect(other.status).toBe(200);
  });

  it('pages rows with the continuation token', async () => {
    const first = await click('tab=sample&pageSize=5');
    expect(first.rows).toHaveLength(5);
    expect(first.totalRows).toBe(new Set(catalog.map((file) => file.sampleName)).size);
    const second = await click(`tab=sample&pageSize=5&continuation=${first.continuation}`);
    expect(second.rows).toHaveLength(5);
    expect(second.rows[0]!.id > first.rows[4]!.id || second.rows[0]!.id !== first.rows[0]!.id).toBe(true);
    const foreign = await problem(await get(`catalog?tab=diagnosis&continuation=${first.continuation}`), 400);
    expect(foreign.errors?.[0]?.name).toBe('continuation');
  });

  it('names a bad tab and its allowed values', async () => {
    const body = await problem(await get('catalog?tab=files'), 400);
    expect(body.type).toBe('https://datarequests.dev/problems/validation');
    expect(body.errors).toEqual([
      expect.objectContaining({
        in: 'query',
        name: 'tab',
        allowed: ['diagnosis', 'publication', 'study', 'sample'],
      }),
    ]);
  });

  it('names a bad filter value and the allowed values', async () => {
    const body = await problem(await get('catalog?sequencingType=WGS,Nanopore&tissueType=Normal'), 400);
    expect(body.errors?.map((error) => error.name).sort()).toEqual(['sequencingType', 'tissueType']);
    expect(body.errors?.find((error) => error.name === 'sequencingType')?.allowed).toEqual([
      'WGS',
      'WES',
      'RNA-Seq',
    ]);
  });

  it.each([
    ['pageSize=0', 'pageSize'],
    ['pageSize=501', 'pageSize'],
    ['pageSize=ten', 'pageSize'],
    [`search=${'x'.repeat(101)}`, 'search'],
    ['fileType=BAM,BAM,BAM,BAM,BAM,BAM', 'fileType'],
    ['colour=blue', 'colour'],
    ['continuation=not-a-token', 'continuation'],
    // A parameter named like an Object.prototype member is an unknown parameter like any other.
    ['__proto__=x', '__proto__'],
    ['constructor=x', 'constructor'],
    // Whole numbers in decimal digits only: no exponent, hex, padding or fraction.
    ['pageSize=1e2', 'pageSize'],
    ['pageSize=0x10', 'pageSize'],
    ['pageSize=%205', 'pageSize'],
    ['pageSize=5.0', 'pageSize'],
  ])('refuses %s naming %s', async (query, name) => {
    const body = await problem(await get(`catalog?${query}`), 400);
    expect(body.errors?.map((error) => error.name)).toEqual([name]);
  });

  it('says what is expected of an empty pageSize', async () => {
    const body = await problem(await get('catalog?pageSize='), 400);
    expect(body.errors).toEqual([
      expect.objectContaining({
        name: 'pageSize',
        message: expect.stringMatching(/^is empty; give a whole number from 1 to 500/),
      }),
    ]);
  });

  it('matches If-None-Match by weak comparison: W/ tags, lists and *', async () => {
    const etag = (await get('catalog?tab=study')).headers.get('etag')!;
    expect(etag).toMatch(/^"/);
    for (const header of [`W/${etag}`, `"other", W/${etag}`, '*']) {
      const response = await get('catalog?tab=study', { 'if-none-match': header });
      expect(response.status).toBe(304);
      expect(response.headers.get('etag')).toBe(etag);
    }
    expect((await get('catalog?tab=study', { 'if-none-match': 'W/"other"' })).status).toBe(200);
  });

  it.each(['health', 'openapi.json', 'catalog?tab=nope'])(
    'carries X-Correlation-Id on /api/%s',
    async (pathAndQuery) => {
      const response = await get(pathAndQuery);
      expect(response.headers.get('x-correlation-id')).toMatch(/^[0-9a-f-]{36}$/);
    },
  );

  it('searches row labels', async () => {
    const answer = await click('tab=study&search=genome');
    expect(answer.rows.length).toBeGreaterThan(0);
    for (const row of answer.rows) expect(`${row.label} ${row.id}`.toLowerCase()).toContain('genome');
  });

  it('refuses an invalid bearer token with 401 and accepts a valid one', async () => {
    await problem(await get('catalog', { authorization: 'Bearer not.a.token' }), 401);
    const token = await issuer.mintToken({ email: 'reader@example.org' });
    const response = await get('catalog', { authorization: `Bearer ${token}` });
    expect(response.status).toBe(200);
    const answer = clickAnswerSchema.parse(await response.json());
    expect(answer.summary.daus.every((dau) => dau.held === false)).toBe(true);
  });
});

describe('POST /api/catalog/selection', () => {
  it('resolves sample names and reports the unknown ones', async () => {
    const known = catalog[0]!.sampleName;
    const response = await post(
      'catalog/selection',
      JSON.stringify({ sampleNames: [known, 'SJNOPE000000_D1'] }),
    );
    expect(response.status).toBe(200);
    const answer = selectionAnswerSchema.parse(await response.json());
    expect(answer.files).toBe(catalog.filter((file) => file.sampleName === known).length);
    expect(answer.unknownSampleNames).toEqual(['SJNOPE000000_D1']);
  });

  it('resolves rows of a tab under filters', async () => {
    const response = await post(
      'catalog/selection',
      JSON.stringify({ tab: 'study', rowIds: ['SJLIFE'], filters: { sequencingType: ['WGS'] } }),
    );
    const answer = selectionAnswerSchema.parse(await response.json());
    expect(answer.files).toBe(
      catalog.filter((file) => file.datasets.includes('SJLIFE') && file.sequencingType === 'WGS').length,
    );
  });

  it('refuses a body that is neither form of selection', async () => {
    const neither = await problem(await post('catalog/selection', JSON.stringify({ tab: 'study' })), 400);
    expect(neither.errors?.map((error) => error.name)).toEqual(['rowIds']);
    const empty = await problem(await post('catalog/selection', JSON.stringify({ sampleNames: [] })), 400);
    expect(empty.errors?.map((error) => error.name)).toEqual(['sampleNames']);
    const badFilter = await problem(
      await post('catalog/selection', JSON.stringify({ sampleNames: ['x'], filters: { fileType: ['PDF'] } })),
      400,
    );
    expect(badFilter.errors).toEqual([expect.objectContaining({ in: 'body', name: 'filters.fileType.0' })]);
  });

  it('refuses too many sample names, non-JSON bodies and oversized bodies', async () => {
    const many = Array.from({ length: 50_001 }, (_, i) => `S${i}`);
    await problem(await post('catalog/selection', JSON.stringify({ sampleNames: many })), 400);
    await problem(await post('catalog/selection', 'sampleNames=x', 'application/x-www-form-urlencoded'), 415);
    await problem(await post('catalog/selection', '{"sampleNames": ['), 400);
    const huge = JSON.stringify({ sampleNames: Array.from({ length: 40_000 }, () => 'x'.repeat(60)) });
    await problem(await post('catalog/selection', huge), 413);
  });
});

describe('GET /api/catalog/manifest', () => {
  const signedIn = async () => ({
    authorization: `Bearer ${await issuer.mintToken({ email: 'reader@example.org' })}`,
  });

  it('gives the selection as a SAMPLE_INFO-style TSV', async () => {
    const response = await get('catalog/manifest?tab=study&rowId=PCGP&fileType=BAM', await signedIn());
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/tab-separated-values; charset=utf-8');
    const lines = (await response.text()).trimEnd().split('\n');
    const header = lines[0]!.split('\t');
    expect(header.slice(0, 3)).toEqual(['sample_name', 'subject_name', 'sample_type']);
    const wanted = catalog.filter((file) => file.datasets.includes('PCGP') && file.fileType === 'BAM');
    expect(lines).toHaveLength(wanted.length + 1);
    expect(Number(response.headers.get('x-catalog-files'))).toBe(wanted.length);
    const fileIds = lines.slice(1).map((line) => line.split('\t')[header.indexOf('file_id')]);
    expect(new Set(fileIds)).toEqual(new Set(wanted.map((file) => file.id)));
  });

  it('asks for sign-in when the selection touches a controlled DAU, and not for open DAUs only', async () => {
    const refused = await problem(await get('catalog/manifest?tab=study&rowId=PCGP'), 401);
    expect(refused.detail).toContain('PCGP');
    const open = await get('catalog/manifest?tab=study&rowId=PanALL');
    expect(open.status).toBe(200);
    const lines = (await open.text()).trimEnd().split('\n');
    expect(lines.length).toBe(1 + catalog.filter((file) => file.datasets.includes('PanALL')).length);
    expect(lines.length).toBeGreaterThan(1);
  });

  it('answers clicks while full-catalog manifests run; one beyond the limit gets 429 with Retry-After', async () => {
    const headers = await signedIn();
    const allStudies = [...new Set(catalog.flatMap((file) => file.datasets))]
      .map((study) => `rowId=${study}`)
      .join('&');
    const manifests = Array.from({ length: 8 }, () =>
      get(`catalog/manifest?tab=study&${allStudies}`, headers),
    );
    const clicks = Array.from({ length: 8 }, (_, i) => get(`catalog?tab=sample&pageSize=${i + 1}`));
    const answers = await Promise.all([...manifests, ...clicks]);
    const manifestStatuses = answers.slice(0, 8).map((response) => response.status);
    expect(answers.slice(8).map((response) => response.status)).toEqual(Array(8).fill(200));
    expect(manifestStatuses.every((status) => status === 200 || status === 429)).toBe(true);
    expect(manifestStatuses).toContain(200);
    for (const response of answers.slice(0, 8)) {
      if (response.status === 429) expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
      else {
        const files = Number(response.headers.get('x-catalog-files'));
        expect(files).toBeGreaterThanOrEqual(FILES);
        expect((await response.text()).trimEnd().split('\n')).toHaveLength(files + 1);
      }
    }
  });

  it('refuses unknown sample names, and a query with neither rows nor samples', async () => {
    const unknown = await problem(await get('catalog/manifest?sampleName=SJNOPE000000_D1'), 400);
    expect(unknown.errors?.[0]).toMatchObject({ name: 'sampleName' });
    const neither = await problem(await get('catalog/manifest?fileType=BAM'), 400);
    expect(neither.errors?.[0]?.name).toBe('rowId');
    const noTab = await problem(await get('catalog/manifest?rowId=PCGP'), 400);
    expect(noTab.errors?.[0]?.name).toBe('tab');
  });
});

describe('GET /api/catalog/daus', () => {
  it('lists the DAUs without committee addresses, with an ETag', async () => {
    const response = await get('catalog/daus');
    expect(response.status).toBe(200);
    const daus = (await response.json()) as Record<string, unknown>[];
    expect(daus.map((dau) => dau.id).sort()).toEqual(CATALOG_DAUS.map((dau) => dau.id).sort());
    expect(JSON.stringify(daus)).not.toContain('@example.org');
    expect(daus.find((dau) => dau.id === 'PanALL')).toMatchObject({ access: 'open', datasets: ['PanALL'] });
    const again = await get('catalog/daus', { 'if-none-match': response.headers.get('etag')! });
    expect(again.status).toBe(304);
  });
});

describe('GET /api/openapi.json', () => {
  it('describes the catalog API from the zod schemas', async () => {
    const response = await get('openapi.json');
    expect(response.status).toBe(200);
    const document = (await response.json()) as {
      openapi: string;
      paths: Record<string, Record<string, { parameters: { name: string; schema: unknown }[] }>>;
    };
    expect(document.openapi).toBe('3.1.0');
    const parameters = document.paths['/api/catalog']!.get!.parameters;
    expect(parameters.map((parameter) => parameter.name)).toContain('sequencingType');
    expect(JSON.stringify(parameters.find((parameter) => parameter.name === 'tab'))).toContain('publication');
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/api/catalog/selection', '/api/catalog/manifest', '/api/catalog/daus']),
    );
  });
});

describe('change feed', () => {
  it('shows a file added to Cosmos in the next answer, and drops it when soft-deleted', async () => {
    const before = await click('tab=sample&search=SJNEW');
    expect(before.summary.files).toBe(catalog.length);
    const template = catalog.find((file) => file.dau === 'PanALL')!;
    const added: CatalogFile = {
      ...template,
      id: 'file-NEWNEWNEWNEWNEWNEWNEWNEW',
      fileId: 'file-NEWNEWNEWNEWNEWNEWNEWNEW',
      sampleName: 'SJNEW000001_D1',
      subjectName: 'SJNEW000001',
      fileName: 'SJNEW000001_D1.RNA-Seq.bam',
    };
    const files = database.container(CATALOG_CONTAINERS.files);
    await files.items.create(added);
    const after = await click('tab=sample&search=SJNEW');
    expect(after.summary.files).toBe(catalog.length + 1);
    expect(after.rows.map((row) => row.id)).toEqual(['SJNEW000001_D1']);
    expect(after.indexVersion).not.toBe(before.indexVersion);

    await files.items.upsert({ ...added, deleted: true, ttl: 60 });
    const removed = await click('tab=sample&search=SJNEW');
    expect(removed.summary.files).toBe(catalog.length);
    expect(removed.rows).toEqual([]);
  });

  it('lets a new instance start from the snapshot the first one left, plus later changes', async () => {
    const store = new CosmosCatalogStore(database);
    // The host's instance had no snapshot at its cold start, so it writes one in the background.
    let snapshot = await store.readSnapshot();
    for (let attempt = 0; snapshot === undefined && attempt < 100; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      snapshot = await store.readSnapshot();
    }
    expect(snapshot?.head.fileCount).toBeGreaterThanOrEqual(catalog.length);
    const later: CatalogFile = {
      ...catalog[0]!,
      id: 'file-SNAPSNAPSNAPSNAPSNAPSNAP',
      fileId: 'file-SNAPSNAPSNAPSNAPSNAPSNAP',
      fileName: 'later.bam',
    };
    await database.container(CATALOG_CONTAINERS.files).items.create(later);
    const lines: string[] = [];
    const coldStart = new CatalogService(store, { refreshAfterMs: 60_000, log: (line) => lines.push(line) });
    const answer = await coldStart.click(
      catalogQuerySchema.parse({ tab: 'diagnosis', filters: {} }),
      new Set(),
    );
    expect(lines.join('\n')).toMatch(/snapshot \+ [1-9]/);
    const viaHost = await click('tab=diagnosis');
    expect(answer.body.summary).toEqual(viaHost.summary);
    expect(viaHost.summary.files).toBe(catalog.length + 1);
    await coldStart.idle();
  });

  it('re-seeding the same catalog duplicates nothing', async () => {
    const result = await seedCatalog({ database, files: FILES, seed: SEED });
    // The file added by hand above is not part of the generated catalog: it is soft-deleted.
    expect(result.softDeleted).toBe(1);
    const answer = await click('tab=diagnosis');
    expect(answer.summary.files).toBe(catalog.length);
  });
});
