import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyChanges } from '../../shared/catalog/engine/apply-changes';
import type { CatalogIndex } from '../../shared/catalog/engine/catalog-index';
import type { IndexedFile } from '../../shared/catalog/engine/indexed-file';
import { CATALOG_DAUS } from '../../shared/catalog/generator/daus';
import {
  CATALOG_TABS,
  FILE_TYPES,
  SAMPLE_TYPES,
  SEQUENCING_TYPES,
  TISSUE_TYPES,
  catalogQuerySchema,
  selectionSchema,
  type ClickAnswer,
} from '../../shared/catalog/model';
import {
  DATASETS,
  SAMPLES,
  catalogArbitrary,
  clickArbitrary,
  fileArbitrary,
  fileOf,
  filtersArbitrary,
} from './arbitraries';
import { file, indexOf, query } from './fixtures';

/**
 * One change-feed entry. `pick` chooses an existing file to replace or delete, or whose value combination and
 * rows a new version copies (`likeExisting`; its sample, DAU and size stay random) — so that many batches stay
 * on the incremental path instead of needing a new combination or row.
 */
const likeExisting = fc.oneof(
  { weight: 9, arbitrary: fc.constant(true) },
  { weight: 1, arbitrary: fc.constant(false) },
);
const changeArbitrary = fc.oneof(
  fc.record({
    kind: fc.constant('add' as const),
    record: fileArbitrary,
    pick: fc.nat(),
    likeExisting,
  }),
  fc.record({
    kind: fc.constant('replace' as const),
    record: fileArbitrary,
    pick: fc.nat(),
    likeExisting,
  }),
  fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }),
);
type Change = typeof changeArbitrary extends fc.Arbitrary<infer C> ? C : never;
type Click = typeof clickArbitrary extends fc.Arbitrary<infer C> ? C : never;

/** Applies one batch to the model (id → file), returning what the change feed delivers for it. */
function changedBy(batch: readonly Change[], model: Map<string, IndexedFile>, nextId: () => number) {
  const changed = new Map<string, IndexedFile | null>();
  for (const change of batch) {
    const existing = [...model.values()];
    const picked = existing.length === 0 ? undefined : existing[change.pick % existing.length]!;
    if (change.kind === 'delete') {
      if (picked === undefined) continue;
      model.delete(picked.id);
      changed.set(picked.id, null);
      continue;
    }
    if (change.kind === 'replace' && picked === undefined) continue;
    let next = fileOf(change.record, nextId());
    if (change.kind === 'replace') next = { ...next, id: picked!.id };
    if (change.likeExisting && picked !== undefined) {
      const { sequencingType, sampleType, fileType, tissuePairing, diagnosis, datasets, publications } =
        picked;
      next = {
        ...next,
        sequencingType,
        sampleType,
        fileType,
        tissuePairing,
        diagnosis,
        datasets,
        publications,
      };
    }
    model.set(next.id, next);
    changed.set(next.id, next);
  }
  return changed;
}

/** Every page of a click, following continuation tokens. */
function allPages(index: CatalogIndex, { held, ...click }: Click): ClickAnswer[] {
  const pages: ClickAnswer[] = [];
  let continuation: string | undefined;
  for (let page = 0; page < 100; page += 1) {
    const answer = index.click(catalogQuerySchema.parse({ ...click, continuation }), new Set<string>(held));
    pages.push(answer);
    if (answer.continuation === null) break;
    continuation = answer.continuation;
  }
  return pages;
}

describe('an index updated from the change feed', () => {
  it('answers every click and selection exactly like an index built from scratch over the same files', async () => {
    let incremental = 0;
    let rebuilt = 0;
    await fc.assert(
      fc.asyncProperty(
        catalogArbitrary,
        fc.array(fc.array(changeArbitrary, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 5 }),
        fc.array(clickArbitrary, { minLength: 1, maxLength: 3 }),
        filtersArbitrary,
        fc.constantFrom(...CATALOG_TABS),
        fc.subarray([...SAMPLES, 'OS', 'NBL', 'AML', ...DATASETS, 'SJC-PB-1001', 'SJC-PB-1003']),
        async (files, batches, clicks, filters, tab, rowIds) => {
          const model = new Map(files.map((catalogFile) => [catalogFile.id, catalogFile]));
          let counter = files.length;
          let index = indexOf(files);
          for (const batch of batches) {
            const changed = changedBy(batch, model, () => (counter += 1));
            const previousVersion = index.version;
            const previousAnswer = JSON.stringify(index.click(query({ tab: 'sample' }), new Set()));
            const applied = await applyChanges(index, changed, CATALOG_DAUS);
            if (applied.how === 'incremental') incremental += 1;
            else rebuilt += 1;
            // The previous version is immutable: it answers as before.
            expect(JSON.stringify(index.click(query({ tab: 'sample' }), new Set()))).toBe(previousAnswer);
            index = applied.index;
            const scratch = indexOf([...model.values()]);
            expect(index.version).toBe(scratch.version);
            if (changed.size > 0 && scratch.version !== previousVersion) {
              expect(index.version).not.toBe(previousVersion);
            }
            expect(index.fileCount).toBe(model.size);
            for (const click of clicks) expect(allPages(index, click)).toEqual(allPages(scratch, click));
            for (const selection of [
              { tab, rowIds: rowIds.length > 0 ? rowIds : ['XX'], filters },
              { sampleNames: rowIds.length > 0 ? rowIds : ['XX'], filters },
            ]) {
              const parsed = selectionSchema.parse(selection);
              const ours = index.resolveSelection(parsed, new Set(['PCGP']));
              const theirs = scratch.resolveSelection(parsed, new Set(['PCGP']));
              expect(ours.answer).toEqual(theirs.answer);
              expect([...ours.files].map((position) => index.file(position))).toEqual(
                [...theirs.files].map((position) => scratch.file(position)),
              );
            }
          }
        },
      ),
      { numRuns: 200 },
    );
    // Both paths were exercised, the incremental one a good share of the time.
    expect(incremental).toBeGreaterThan(250);
    expect(rebuilt).toBeGreaterThan(0);
  });

  it('reports a row whose files were all deleted as unknown, as a fresh index does', async () => {
    const kept = file({ diagnosis: { code: 'OS', name: 'Osteosarcoma', group: 'Solid Tumor' } });
    const gone = file({
      sampleName: 'SJNBL000002_D1',
      diagnosis: { code: 'NBL', name: 'Neuroblastoma', group: 'Solid Tumor' },
    });
    const { index, how } = await applyChanges(
      indexOf([kept, gone]),
      new Map([[gone.id, null]]),
      CATALOG_DAUS,
    );
    expect(how).toBe('incremental');
    const answer = index.resolveSelection(
      selectionSchema.parse({ tab: 'diagnosis', rowIds: ['NBL', 'OS'] }),
      new Set(),
    );
    expect(answer.answer.unknownRowIds).toEqual(['NBL']);
    expect(answer.answer.files).toBe(1);
    const samples = index.resolveSelection(
      selectionSchema.parse({ sampleNames: ['SJNBL000002_D1'] }),
      new Set(),
    );
    expect(samples.answer.unknownSampleNames).toEqual(['SJNBL000002_D1']);
    expect(index.click(query({ tab: 'diagnosis' }), new Set()).rows.map((row) => row.id)).toEqual(['OS']);
  });

  it('rebuilds when a change brings a row the index does not have yet', async () => {
    const first = file();
    const added = file({
      diagnosis: { code: 'AML', name: 'Acute Myeloid Leukemia', group: 'Hematologic Malignancy' },
    });
    const { index, how } = await applyChanges(indexOf([first]), new Map([[added.id, added]]), CATALOG_DAUS);
    expect(how).toBe('rebuild');
    expect(index.click(query({ tab: 'diagnosis' }), new Set()).rows.map((row) => row.id)).toEqual([
      'AML',
      'OS',
    ]);
  });

  it('takes a value combination that did not occur in place, also past 32 combinations (wider signatures)', async () => {
    const combinations = SEQUENCING_TYPES.flatMap((sequencingType) =>
      SAMPLE_TYPES.flatMap((sampleType) =>
        FILE_TYPES.flatMap((fileType) =>
          TISSUE_TYPES.map((tissuePairing) => ({ sequencingType, sampleType, fileType, tissuePairing })),
        ),
      ),
    );
    const files = combinations
      .slice(0, 32)
      .map((combination, i) =>
        file({ ...combination, sampleName: `SJOS${String(i % 5).padStart(6, '0')}_D${i % 3}` }),
      );
    const newcomer = file({ ...combinations[40]!, sampleName: 'SJOS000001_D1' });
    const { index, how } = await applyChanges(
      indexOf(files),
      new Map([[newcomer.id, newcomer]]),
      CATALOG_DAUS,
    );
    expect(how).toBe('incremental');
    const scratch = indexOf([...files, newcomer]);
    expect(index.version).toBe(scratch.version);
    for (const filters of [
      {},
      { sequencingType: [newcomer.sequencingType] },
      { sampleType: [newcomer.sampleType], fileType: [newcomer.fileType] },
      { tissueType: ['Germline Only' as const] },
    ]) {
      for (const tab of CATALOG_TABS) {
        const click: Click = {
          tab,
          filters: { sequencingType: [], sampleType: [], fileType: [], tissueType: [], ...filters },
          pageSize: 3,
          search: undefined,
          held: [],
        };
        expect(allPages(index, click)).toEqual(allPages(scratch, click));
      }
    }
  });
});
