import { describe, expect, it } from 'vitest';
import { CatalogService } from '../../shared/catalog/catalog-service';
import { CATALOG_DAUS } from '../../shared/catalog/generator/daus';
import { AppError } from '../../shared/http/errors';
import type { CatalogStore, ChangePage, FileChange } from '../../shared/catalog/ports';
import { file, query } from './fixtures';

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
  readSnapshot() {
    return Promise.resolve(undefined);
  }
  writeSnapshot() {
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
});
