import { createHash } from 'node:crypto';
import { ConcurrencyGate } from '../http/concurrency-gate';
import { AppError, problems, validationFailed } from '../http/errors';
import { applyChanges, mergedFiles } from './engine/apply-changes';
import { YIELD_EVERY_FILES } from './engine/build-index';
import { CatalogIndex } from './engine/catalog-index';
import { InvalidContinuationError } from './engine/continuation';
import type { IndexedFile } from './engine/indexed-file';
import { manifestChunks } from './manifest';
import { decodeSnapshot, encodeSnapshot } from './snapshot';
import type { CatalogQuery, ClickAnswer, Dau, Selection, SelectionAnswer } from './model';
import type { Principal } from '../identity/principal';
import type { CatalogStore } from './ports';

/** Manifests one instance produces at once unless told otherwise. */
export const DEFAULT_MAX_CONCURRENT_MANIFESTS = 2;

export interface CatalogServiceOptions {
  /** How old the index may get before a request first reads the change feed (0: on every request). */
  refreshAfterMs: number;
  /** Write a new snapshot once this many files changed since the last one (default 1000). */
  snapshotAfterChanges?: number;
  /** Manifests produced at once (default 2); each holds its selection and output in memory while it runs. */
  maxConcurrentManifests?: number;
  now?: () => number;
  log?: (line: string) => void;
}

/** An answer with its strong ETag: index version + DAU definitions + the question (and who asks). */
export interface Tagged<T> {
  readonly body: T;
  readonly etag: string;
}

/**
 * The catalog's use cases. Holds this instance's in-memory index: hydrated from the store at the first
 * request (cold start), then kept fresh from the change feed — at most one read in flight, and only when the
 * index is older than `refreshAfterMs`. Changes rebuild the index off to the side and swap it in; requests in
 * flight keep answering from the index they started with.
 */
export class CatalogService {
  private current:
    { index: CatalogIndex; continuation: string; daus: Dau[]; dausVersion: string } | undefined;
  /** The refresh under way; it settles with the error when a cold start failed, else undefined. */
  private refreshing: Promise<unknown> | undefined;
  /** Settles when the refresh under way starts a rebuild long enough to answer from the current index meanwhile. */
  private longRebuild = deferred();
  private refreshedAt = Number.NEGATIVE_INFINITY;
  private changesSinceSnapshot = 0;
  /** Whether the store has a snapshot (read at start or written since): the first files indexed leave one. */
  private snapshotExists = false;
  private snapshotWrite: Promise<void> | undefined;
  private readonly snapshotAfterChanges: number;
  private readonly now: () => number;
  private readonly log: (line: string) => void;
  private readonly manifestGate: ConcurrencyGate;

  constructor(
    private readonly store: CatalogStore,
    private readonly options: CatalogServiceOptions,
  ) {
    this.snapshotAfterChanges = options.snapshotAfterChanges ?? 1000;
    this.now = options.now ?? Date.now;
    this.log = options.log ?? (() => undefined);
    this.manifestGate = new ConcurrencyGate(
      options.maxConcurrentManifests ?? DEFAULT_MAX_CONCURRENT_MANIFESTS,
      5,
      'manifests',
    );
  }

  async click(query: CatalogQuery, held: ReadonlySet<string>): Promise<Tagged<ClickAnswer>> {
    const { index, dausVersion } = await this.fresh();
    let body: ClickAnswer;
    try {
      body = index.click(query, held);
    } catch (error) {
      if (!(error instanceof InvalidContinuationError)) throw error;
      throw validationFailed([{ in: 'query', name: 'continuation', message: error.message }]);
    }
    return { body, etag: etagOf(index.version, dausVersion, query, [...held].sort()) };
  }

  async select(selection: Selection, held: ReadonlySet<string>): Promise<SelectionAnswer> {
    const { index } = await this.fresh();
    return index.resolveSelection(selection, held).answer;
  }

  /**
   * The selection's answer and the ids of its files, in index order, produced lazily from the index the answer
   * came from (a request freezes them at submit without holding a million strings at once).
   */
  async resolveFileIds(
    selection: Selection,
    held: ReadonlySet<string>,
  ): Promise<{ answer: SelectionAnswer; fileIds: Iterable<string> }> {
    const { index } = await this.fresh();
    const { answer, files } = index.resolveSelection(selection, held);
    function* fileIds(): Generator<string> {
      for (const position of files) yield index.file(position).id;
    }
    return { answer, fileIds: fileIds() };
  }

  /**
   * The selection's manifest, produced chunk by chunk, plus what the answer says about the selection. It lists
   * the storage paths of every file, so a selection touching a controlled DAU needs a signed-in caller; one of
   * open DAUs only is public, like the open data itself. At most `maxConcurrentManifests` run at once (429
   * beyond): the place is held until the chunks are read to the end or `return()` is called on them.
   */
  async manifest(
    selection: Selection,
    caller: Principal | undefined,
  ): Promise<{ answer: SelectionAnswer; chunks: AsyncIterableIterator<string> }> {
    const release = this.manifestGate.enter();
    try {
      const { answer, chunks } = await this.resolveManifest(selection, caller);
      return { answer, chunks: releasingWhenDone(chunks, release) };
    } catch (error) {
      release();
      throw error;
    }
  }

  private async resolveManifest(selection: Selection, caller: Principal | undefined) {
    const { index, daus } = await this.fresh();
    const { answer, files } = index.resolveSelection(selection, new Set());
    // A manifest that silently misses samples is worse than none: name what matched nothing.
    const unknown = 'sampleNames' in selection ? answer.unknownSampleNames : answer.unknownRowIds;
    if (unknown.length > 0) {
      const parameter = 'sampleNames' in selection ? 'sampleName' : 'rowId';
      const listed =
        unknown.slice(0, 20).join(', ') + (unknown.length > 20 ? ` and ${unknown.length - 20} more` : '');
      throw validationFailed([
        { in: 'query', name: parameter, message: `matches nothing in the catalog: ${listed}` },
      ]);
    }
    const controlled = answer.summary.daus.filter((dau) => dau.access === 'controlled');
    if (caller === undefined && controlled.length > 0) {
      throw new AppError(
        problems.unauthorized,
        `Sign in to download this manifest: it lists the storage paths of controlled files (${controlled.map((dau) => dau.id).join(', ')}).`,
        { headers: { 'www-authenticate': 'Bearer' } },
      );
    }
    return { answer, chunks: manifestChunks(index, files, daus) };
  }

  async daus(): Promise<Tagged<Dau[]>> {
    const { daus, dausVersion } = await this.fresh();
    return { body: daus, etag: `"daus-${dausVersion}"` };
  }

  /**
   * The index, hydrated first when missing, refreshed when older than allowed. A request waits for a refresh
   * (an incremental update takes milliseconds, so it sees the change it may have caused) unless the refresh
   * turned into a long rebuild: then it answers from the version it has while the rebuild goes on.
   */
  async fresh(): Promise<{ index: CatalogIndex; daus: Dau[]; dausVersion: string }> {
    if (this.current === undefined || this.now() - this.refreshedAt >= this.options.refreshAfterMs) {
      if (this.refreshing === undefined) this.longRebuild = deferred();
      const refreshing = (this.refreshing ??= this.refresh()
        .then(
          () => undefined,
          (error: unknown) => this.refreshFailed(error),
        )
        .finally(() => {
          this.refreshing = undefined;
        }));
      if (this.current === undefined) {
        const failure = await refreshing;
        if (failure !== undefined) {
          throw new AppError(
            problems.unavailable,
            'The catalog cannot be read right now; try again shortly.',
            {
              cause: failure,
              headers: { 'retry-after': '5' },
            },
          );
        }
      } else {
        await Promise.race([refreshing, this.longRebuild.promise]);
      }
    }
    // Several cold-start requests may share one failed hydration; each of them got its 503 above.
    return this.current!;
  }

  /** What a failed refresh leaves: the error when there is no index to answer from, else nothing. */
  private refreshFailed(error: unknown): unknown {
    if (this.current === undefined) return error;
    // A store hiccup must not take browsing down: answer from the index we have, retry after the interval.
    this.refreshedAt = this.now();
    this.log(`catalog: refresh failed, answering from index ${this.current.index.version}: ${String(error)}`);
    return undefined;
  }

  /** Resolves when no snapshot write is running (tests; a graceful shutdown). */
  async idle(): Promise<void> {
    await this.snapshotWrite;
  }

  private async refresh(): Promise<void> {
    const started = this.now();
    const previous = this.current;
    const [daus, snapshot] = await Promise.all([
      this.store.readDaus(),
      previous === undefined ? this.store.readSnapshot() : undefined,
    ]);
    const dausVersion = hash(JSON.stringify(daus));
    let continuation = previous?.continuation;
    if (snapshot !== undefined) continuation = snapshot.head.continuation;
    const snapshotRead = this.now();
    // Latest version of each changed file; null marks a deletion.
    const changed = new Map<string, IndexedFile | null>();
    for await (const page of this.store.readChanges(continuation)) {
      for (const change of page.changes) {
        changed.set(
          change.kind === 'upsert' ? change.file.id : change.id,
          change.kind === 'upsert' ? change.file : null,
        );
      }
      continuation = page.continuation;
    }
    const changesRead = this.now();
    this.refreshedAt = started;
    if (continuation === undefined) throw new Error('The catalog store gave no change-feed position');
    let index: CatalogIndex;
    if (previous === undefined || changed.size > 0) {
      let how: string;
      if (snapshot !== undefined) {
        // The snapshot's files with the version it recorded, then the changes since, as on a running instance.
        const { head, parts } = snapshot;
        index = await CatalogIndex.buildCooperatively(decodeSnapshot(head, parts), daus, head.indexVersion);
        how = 'built';
        if (changed.size > 0) {
          index = (await applyChanges(index, changed, daus)).index;
          how = 'built and updated';
        }
      } else if (previous === undefined) {
        index = await CatalogIndex.buildCooperatively(mergedFiles([], changed), daus);
        how = 'built';
      } else {
        const applied = await applyChanges(previous.index, changed, daus, () => {
          if (previous.index.fileCount > YIELD_EVERY_FILES) this.longRebuild.resolve();
        });
        index = applied.index;
        how = applied.how === 'incremental' ? 'updated' : 'rebuilt';
      }
      this.log(
        `catalog: index ${index.version} with ${index.fileCount} files ` +
          `(${snapshot === undefined ? '' : 'snapshot + '}${changed.size} changes) in ${this.now() - started} ms: ` +
          `snapshot ${snapshotRead - started} ms, change feed ${changesRead - snapshotRead} ms, ${how} in ${this.now() - changesRead} ms`,
      );
    } else {
      index = dausVersion === previous.dausVersion ? previous.index : previous.index.withDaus(daus);
    }
    // No snapshot yet (a new store, or just seeded), or many changes since the last one: leave one behind.
    if (snapshot !== undefined) this.snapshotExists = true;
    this.changesSinceSnapshot += changed.size;
    const wanted =
      this.changesSinceSnapshot >= this.snapshotAfterChanges || (!this.snapshotExists && index.fileCount > 0);
    if (wanted && this.snapshotWrite === undefined) {
      this.changesSinceSnapshot = 0;
      this.snapshotWrite = this.writeSnapshot(index, continuation).finally(() => {
        this.snapshotWrite = undefined;
      });
    }
    this.current = { index, continuation, daus, dausVersion };
  }

  private async writeSnapshot(index: CatalogIndex, continuation: string): Promise<void> {
    try {
      const takenAt = new Date(this.now()).toISOString();
      const { head, parts } = encodeSnapshot(index.files(), {
        snapshotId: `${index.version}-${hash(continuation + takenAt)}`,
        continuation,
        indexVersion: index.version,
        takenAt,
      });
      await this.store.writeSnapshot(head, parts);
      this.snapshotExists = true;
      this.log(
        `catalog: snapshot ${head.snapshotId} written (${head.fileCount} files, ${head.partCount} parts)`,
      );
    } catch (error) {
      // Only cold starts get slower without it; answers stay right.
      this.log(`catalog: could not write a snapshot: ${String(error).slice(0, 300)}`);
    }
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((settle) => (resolve = settle));
  return { promise, resolve };
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 16);
}

function etagOf(indexVersion: string, dausVersion: string, query: CatalogQuery, held: string[]): string {
  return `"${indexVersion}.${dausVersion}.${hash(JSON.stringify([query, held]))}"`;
}

/** `chunks`, calling `release` once when they are read to the end, fail, or the reader calls `return()`. */
function releasingWhenDone(
  chunks: AsyncIterator<string>,
  release: () => void,
): AsyncIterableIterator<string> {
  const releasing: AsyncIterableIterator<string> = {
    async next() {
      try {
        const next = await chunks.next();
        if (next.done === true) release();
        return next;
      } catch (error) {
        release();
        throw error;
      }
    },
    async return() {
      release();
      await chunks.return?.();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]: () => releasing,
  };
  return releasing;
}
