import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { IndexedFile } from '../../shared/catalog/engine/indexed-file';
import { CATALOG_DAUS } from '../../shared/catalog/generator/daus';
import {
  CATALOG_TABS,
  DAU_IDS,
  FILE_TYPES,
  SAMPLE_TYPES,
  SEQUENCING_TYPES,
  TISSUE_TYPES,
  catalogQuerySchema,
  selectionSchema,
  type CatalogRow,
} from '../../shared/catalog/model';
import { indexOf } from './fixtures';
import {
  referenceFacets,
  referenceMatches,
  referenceRows,
  referenceSelection,
  referenceSummary,
} from './reference-engine';

/** Small domains so that random catalogs collide often: shared samples, subjects, groups. */
const DIAGNOSES = [
  { code: 'OS', name: 'Osteosarcoma', group: 'Solid Tumor' as const },
  { code: 'NBL', name: 'Neuroblastoma', group: 'Solid Tumor' as const },
  { code: 'AML', name: 'Acute Myeloid Leukemia', group: 'Hematologic Malignancy' as const },
];
const PUBLICATIONS = [
  { accession: 'SJC-PB-1001', pmid: null, title: 'Paper one' },
  { accession: 'SJC-PB-1002', pmid: null, title: 'Another paper' },
  { accession: 'SJC-PB-1003', pmid: null, title: null },
];
const DATASETS = ['PCGP', 'Cicero Benchmark', 'G4K'] as const;
const SAMPLES = [
  'SJA000001_D1',
  'SJA000001_G1',
  'SJA000002_D1',
  'SJB000003_R1',
  'SJB000003_G1',
  'SJC000004_X1',
];

const fileArbitrary = fc.record({
  sampleName: fc.constantFrom(...SAMPLES),
  sequencingType: fc.constantFrom(...SEQUENCING_TYPES),
  sampleType: fc.constantFrom(...SAMPLE_TYPES),
  fileType: fc.constantFrom(...FILE_TYPES),
  tissuePairing: fc.constantFrom(...TISSUE_TYPES),
  dau: fc.constantFrom(...DAU_IDS),
  datasets: fc.subarray([...DATASETS], { minLength: 1 }),
  publications: fc.subarray(PUBLICATIONS),
  diagnosis: fc.constantFrom(...DIAGNOSES),
  fileSizeBytes: fc.integer({ min: 0, max: 999_999_999_999 }),
  indexSize: fc.option(fc.integer({ min: 0, max: 10_000_000 })),
});

const catalogArbitrary = fc.array(fileArbitrary, { maxLength: 60 }).map((records) =>
  records.map((record, i): IndexedFile => ({
    id: `file-${String(i).padStart(24, '0')}`,
    fileName: `${record.sampleName}.${i}`,
    filePath: `/p/${record.sampleName}.${i}`,
    fileType: record.fileType,
    fileSizeBytes: record.fileSizeBytes,
    indexFile: record.indexSize === null ? null : { fileName: `${i}.bai`, fileSizeBytes: record.indexSize },
    sequencingType: record.sequencingType,
    sampleName: record.sampleName,
    sampleType: record.sampleType,
    subjectName: record.sampleName.slice(0, record.sampleName.indexOf('_')),
    tissuePairing: record.tissuePairing,
    pairedSampleName: null,
    dau: record.dau,
    datasets: record.datasets,
    diagnosis: record.diagnosis,
    publications: record.publications,
    embargoDate: '2020-01-01',
  })),
);

const filtersArbitrary = fc.record({
  sequencingType: fc.subarray([...SEQUENCING_TYPES]),
  sampleType: fc.subarray([...SAMPLE_TYPES]),
  fileType: fc.subarray([...FILE_TYPES]),
  tissueType: fc.subarray([...TISSUE_TYPES]),
});

const clickArbitrary = fc.record({
  tab: fc.constantFrom(...CATALOG_TABS),
  filters: filtersArbitrary,
  pageSize: fc.integer({ min: 1, max: 4 }),
  search: fc.option(fc.constantFrom('a', 'SJB', 'paper', 'osteo', 'pcgp', 'zz'), { nil: undefined }),
  held: fc.subarray([...DAU_IDS]),
});

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
