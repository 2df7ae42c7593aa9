import { describe, expect, it } from 'vitest';
import { CatalogService } from '../../shared/catalog/catalog-service';
import { CATALOG_DAUS } from '../../shared/catalog/generator/daus';
import { AppError } from '../../shared/http/errors';
import type { CatalogStore, ChangePage, FileChange } from '../../shared/catalog/ports';
import { file, query } from './fixtures';
import { YIELD_EVERY_FILES } from '../../shared/catalog/engine/build-index';
import type { IndexedFile } from '../../shared/catalog/engine/indexed-file';
import type { Principal } from '../../shared/identity/principal';
import type { SnapshotHead } from '../../shared/catalog/snapshot';

/** A store whose change feed the test controls; `failing` makes every read throw (Cosmos unreachable). */
class ScriptedStore implements CatalogStore {
  failing = false;
  private readonly log: FileChange[] = [];
  add(change: FileChange): void {
    this.log.push(change);
  }
  readDaus() {
    return this.failing ? Promise.reject(new Error('unreachable')) : Promise.resolve([...CATALOG_DAUS]);
  }
  async *readChanges(continuation: string | undefined): AsyncIterable<ChangePage> {
    if (this.failing) throw new Error('unreachable');
    const from = continuation === undefined ? 0 : Number(continuation);
    yield { changes: this.log.slice(from), continuation: String(this.log.length) };
  }
  /** What `writeSnapshot` stored (as JSON, like a document store), given back by `readSnapshot`. */
  private snapshot: string | undefined;
  ignoreSnapshot = false;
  readSnapshot() {
    return Promise.resolve(
      this.snapshot === undefined || this.ignoreSnapshot
        ? undefined
        : (JSON.parse(this.snapshot) as Awaited<ReturnType<CatalogStore['readSnapshot']>>),
    );
  }
  writeSnapshot(head: SnapshotHead, parts: readonly unknown[][]) {
    this.snapshot = JSON.stringify({ head, parts: parts.map((rows, part) => ({ part, rows })) });
    return Promise.resolve();
  }
}

describe('catalog service', () => {
  it('answers 503 (unavailable) when the store cannot be read at cold start', async () => {
    const store = new ScriptedStore();
    store.failing = true;
    const service = new CatalogService(store, { refreshAfterMs: 0 });
    const failure = await service.click(query({ tab: 'study' }), new Set()).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(AppError);
    expect((failure as AppError).status).toBe(503);
  });

  it('keeps answering from the index it has when a later refresh fails, and catches up afterwards', async () => {
    const store = new ScriptedStore();
    store.add({ kind: 'upsert', file: file() });
    const service = new CatalogService(store, { refreshAfterMs: 0 });
    const first = await service.click(query({ tab: 'study' }), new Set());
    expect(first.body.summary.files).toBe(1);
    store.failing = true;
    store.add({ kind: 'upsert', file: file({ sequencingType: 'WES' }) });
    const stale = await service.click(query({ tab: 'study' }), new Set());
    expect(stale.body.summary.files).toBe(1);
    expect(stale.etag).toBe(first.etag);
    store.failing = false;
    const caughtUp = await service.click(query({ tab: 'study' }), new Set());
    expect(caughtUp.body.summary.files).toBe(2);
    expect(caughtUp.etag).not.toBe(first.etag);
  });

  it('reads the change feed only once the index is older than the refresh interval', async () => {
    let now = 0;
    const store = new ScriptedStore();
    store.add({ kind: 'upsert', file: file() });
    const service = new CatalogService(store, { refreshAfterMs: 5000, now: () => now });
    await service.click(query({ tab: 'study' }), new Set());
    store.add({ kind: 'upsert', file: file({ fileType: 'gVCF' }) });
    now = 4999;
    expect((await service.click(query({ tab: 'study' }), new Set())).body.summary.files).toBe(1);
    now = 5000;
    expect((await service.click(query({ tab: 'study' }), new Set())).body.summary.files).toBe(2);
  });

  it('applies a small change in place: the next click shows it under a new ETag', async () => {
    const store = new ScriptedStore();
    const first = file();
    store.add({ kind: 'upsert', file: first });
    store.add({ kind: 'upsert', file: file({ sampleName: 'SJOS000002_D1' }) });
    const lines: string[] = [];
    const service = new CatalogService(store, { refreshAfterMs: 0, log: (line) => lines.push(line) });
    const before = await service.click(query({ tab: 'study' }), new Set());
    store.add({ kind: 'upsert', file: { ...first, fileSizeBytes: 5000, sampleType: 'Relapse' } });
    store.add({ kind: 'delete', id: first.id });
    store.add({ kind: 'upsert', file: file({ sampleName: 'SJOS000003_G1', dau: 'SJLIFE' }) });
    const after = await service.click(query({ tab: 'study' }), new Set());
    expect(after.etag).not.toBe(before.etag);
    expect(after.body.summary).toMatchObject({ files: 2, samples: 2, subjects: 2, bytes: 2000 });
    expect(after.body.summary.daus.map((dau) => dau.id)).toEqual(['PCGP', 'SJLIFE']);
    expect(lines.at(-1)).toMatch(/\(2 changes\) .* updated in/);
  });

  it('keeps answering from the previous version while a large rebuild runs, then the new version takes over', async () => {
    const store = new ScriptedStore();
    const fileCount = 3 * YIELD_EVERY_FILES;
    for (let i = 0; i < fileCount; i += 1) {
      store.add({
        kind: 'upsert',
        file: file({ sampleName: `SJOS${String(i % 20_000).padStart(6, '0')}_D1` }),
      });
    }
    const lines: string[] = [];
    const service = new CatalogService(store, { refreshAfterMs: 0, log: (line) => lines.push(line) });
    const diagnosisTab = query({ tab: 'diagnosis' });
    const before = await service.click(diagnosisTab, new Set());
    expect(before.body.summary.files).toBe(fileCount);
    // A diagnosis the index has no row for: the index is rebuilt, not updated in place.
    store.add({
      kind: 'upsert',
      file: file({
        diagnosis: { code: 'AML', name: 'Acute Myeloid Leukemia', group: 'Hematologic Malignancy' },
      }),
    });

    const during = await service.click(diagnosisTab, new Set());
    expect(lines.some((line) => line.includes(' rebuilt in '))).toBe(false);
    expect(during.etag).toBe(before.etag);
    expect(during.body.rows.map((row) => row.id)).toEqual(['OS']);

    let answeredDuringRebuild = 1;
    let latest = during;
    const deadline = Date.now() + 60_000;
    while (latest.etag === before.etag && Date.now() < deadline) {
      // Requests arrive as I/O events: let the loop turn between them, as the HTTP host does.
      await new Promise((resolve) => setImmediate(resolve));
      latest = await service.click(diagnosisTab, new Set());
      if (latest.etag === before.etag) answeredDuringRebuild += 1;
    }
    expect(answeredDuringRebuild).toBeGreaterThan(1);
    expect(lines.filter((line) => line.includes(' rebuilt in '))).toHaveLength(1);
    expect(latest.body.summary.files).toBe(fileCount + 1);
    expect(latest.body.rows.map((row) => row.id)).toEqual(['AML', 'OS']);
  });
});

describe('cold start from a snapshot', () => {
  it('answers exactly as a build from the whole change feed, including the changes after the snapshot', async () => {
    const store = new ScriptedStore();
    const files = Array.from({ length: 1500 }, (_, i) =>
      file({ sampleName: `SJOS${String(i % 400).padStart(6, '0')}_D1` }),
    );
    for (const added of files) store.add({ kind: 'upsert', file: added });
    const logs: string[] = [];
    const first = new CatalogService(store, { refreshAfterMs: 0, log: (line) => logs.push(line) });
    await first.click(query({ tab: 'sample' }), new Set());
    await expect
      .poll(() => logs.some((line) => line.includes('snapshot') && line.includes('written')))
      .toBe(true);
    // After the snapshot: one file changes, one goes, one arrives.
    store.add({ kind: 'upsert', file: { ...files[0]!, fileSizeBytes: 123_456 } });
    store.add({ kind: 'delete', id: files[1]!.id });
    store.add({ kind: 'upsert', file: file({ sampleName: 'SJOS999999_D1', sequencingType: 'WES' }) });

    const coldLogs: string[] = [];
    const cold = new CatalogService(store, { refreshAfterMs: 0, log: (line) => coldLogs.push(line) });
    const fromSnapshot = await cold.click(query({ tab: 'sample', pageSize: 500 }), new Set());
    expect(coldLogs.some((line) => line.includes('(snapshot + 3 changes)'))).toBe(true);
    store.ignoreSnapshot = true;
    const fromFeed = await new CatalogService(store, { refreshAfterMs: 0 }).click(
      query({ tab: 'sample', pageSize: 500 }),
      new Set(),
    );
    expect(fromSnapshot.etag).toBe(fromFeed.etag);
    expect(fromSnapshot.body).toEqual(fromFeed.body);
    expect(fromSnapshot.body.summary.files).toBe(1500);
  });
});

describe('catalog manifests', () => {
  const noFilters = { sequencingType: [], sampleType: [], fileType: [], tissueType: [] };
  const signedIn = { subjectId: 'user-1' } as Principal;
  const serviceWith = (...files: IndexedFile[]) => {
    const store = new ScriptedStore();
    for (const added of files) store.add({ kind: 'upsert', file: added });
    return new CatalogService(store, { refreshAfterMs: 0, maxConcurrentManifests: 2 });
  };
  const readAll = async (chunks: AsyncIterable<string>) => {
    let text = '';
    for await (const chunk of chunks) text += chunk;
    return text;
  };
  const failureOf = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (error: unknown) => error as AppError,
    );

  it('needs a signed-in caller for controlled DAUs, and none for open DAUs only', async () => {
    const service = serviceWith(
      file({ sampleName: 'SJOS000001_D1', dau: 'PCGP' }),
      file({ sampleName: 'SJALL000001_D1', dau: 'PanALL' }),
    );
    const refused = await failureOf(
      service.manifest({ sampleNames: ['SJOS000001_D1'], filters: noFilters }, undefined),
    );
    expect(refused?.status).toBe(401);
    expect(refused?.detail).toContain('PCGP');
    expect(refused?.headers['www-authenticate']).toBe('Bearer');
    const controlled = await service.manifest(
      { sampleNames: ['SJOS000001_D1'], filters: noFilters },
      signedIn,
    );
    expect((await readAll(controlled.chunks)).split('\n')[1]).toContain('/restricted/bam/SJOS000001_D1.');
    const open = await service.manifest({ sampleNames: ['SJALL000001_D1'], filters: noFilters }, undefined);
    expect(await readAll(open.chunks)).toContain('SJALL000001_D1');
  });

  it('produces at most the configured number at once, answering 429 with Retry-After beyond', async () => {
    const service = serviceWith(file({ sampleName: 'SJALL000001_D1', dau: 'PanALL' }));
    const selection = { sampleNames: ['SJALL000001_D1'], filters: noFilters };
    const first = await service.manifest(selection, undefined);
    const second = await service.manifest(selection, undefined);
    const third = await failureOf(service.manifest(selection, undefined));
    expect(third?.status).toBe(429);
    expect(Number(third?.headers['retry-after'])).toBeGreaterThan(0);
    // Read to the end, a manifest gives its place back; so does a reader that gives up.
    await readAll(first.chunks);
    const fourth = await service.manifest(selection, undefined);
    expect((await failureOf(service.manifest(selection, undefined)))?.status).toBe(429);
    await second.chunks.return?.();
    await fourth.chunks.return?.();
    await readAll((await service.manifest(selection, undefined)).chunks);
    // A refused selection takes no place either.
    const unknown = { sampleNames: ['SJNOPE000000_D1'], filters: noFilters };
    for (let attempt = 0; attempt < 3; attempt += 1) {
      expect((await failureOf(service.manifest(unknown, undefined)))?.status).toBe(400);
    }
    await readAll((await service.manifest(selection, undefined)).chunks);
  });
});
