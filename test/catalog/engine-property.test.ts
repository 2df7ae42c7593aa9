import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CATALOG_DAUS } from '../../shared/catalog/generator/daus';
import {
  CATALOG_TABS,
  catalogQuerySchema,
  selectionSchema,
  type CatalogRow,
} from '../../shared/catalog/model';
import { DATASETS, SAMPLES, catalogArbitrary, clickArbitrary, filtersArbitrary } from './arbitraries';
import { indexOf } from './fixtures';
import {
  referenceFacets,
  referenceMatches,
  referenceRows,
  referenceSelection,
  referenceSummary,
} from './reference-engine';

describe('engine agrees with the reference implementation', () => {
  it('on random catalogs and random clicks (all pages)', () => {
    fc.assert(
      fc.property(catalogArbitrary, clickArbitrary, (files, click) => {
        const index = indexOf(files);
        const held = new Set<string>(click.held);
        const matching = files.filter((file) => referenceMatches(file, click.filters));
        const rows: CatalogRow[] = [];
        let continuation: string | undefined;
        for (let page = 0; page < 100; page += 1) {
          const answer = index.click(
            catalogQuerySchema.parse({
              tab: click.tab,
              filters: click.filters,
              pageSize: click.pageSize,
              search: click.search,
              continuation,
            }),
            held,
          );
          expect(answer.facets).toEqual(referenceFacets(files, click.filters));
          expect(answer.summary).toEqual(referenceSummary(matching, CATALOG_DAUS, held));
          rows.push(...answer.rows);
          if (answer.continuation === null) break;
          expect(answer.rows).toHaveLength(click.pageSize);
          continuation = answer.continuation;
        }
        const expected = referenceRows(files, click.tab, click.filters, click.search);
        expect(rows).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('on random selections', () => {
    fc.assert(
      fc.property(
        catalogArbitrary,
        filtersArbitrary,
        fc.constantFrom(...CATALOG_TABS),
        fc.subarray([...SAMPLES, 'OS', 'NBL', 'AML', 'XX', ...DATASETS, 'SJC-PB-1001', 'SJC-PB-1003']),
        fc.boolean(),
        (files, filters, tab, ids, bySampleName) => {
          fc.pre(ids.length > 0);
          const selection = selectionSchema.parse(
            bySampleName ? { sampleNames: ids, filters } : { tab, rowIds: ids, filters },
          );
          const index = indexOf(files);
          const { answer, files: positions } = index.resolveSelection(selection, new Set());
          const expected = referenceSelection(files, selection);
          expect([...positions].map((position) => index.file(position).id).sort()).toEqual(
            expected.selected.map((file) => file.id).sort(),
          );
          expect(answer.summary).toEqual(referenceSummary(expected.selected, CATALOG_DAUS, new Set()));
          expect(bySampleName ? answer.unknownSampleNames : answer.unknownRowIds).toEqual(expected.unknown);
        },
      ),
      { numRuns: 300 },
    );
  });
});
