import fc from 'fast-check';
import type { IndexedFile } from '../../shared/catalog/engine/indexed-file';
import {
  CATALOG_TABS,
  DAU_IDS,
  FILE_TYPES,
  SAMPLE_TYPES,
  SEQUENCING_TYPES,
  TISSUE_TYPES,
} from '../../shared/catalog/model';

/** Small domains so that random catalogs collide often: shared samples, subjects, groups. */
export const DIAGNOSES = [
  { code: 'OS', name: 'Osteosarcoma', group: 'Solid Tumor' as const },
  { code: 'NBL', name: 'Neuroblastoma', group: 'Solid Tumor' as const },
  { code: 'AML', name: 'Acute Myeloid Leukemia', group: 'Hematologic Malignancy' as const },
];
export const PUBLICATIONS = [
  { accession: 'SJC-PB-1001', pmid: null, title: 'Paper one' },
  { accession: 'SJC-PB-1002', pmid: null, title: 'Another paper' },
  { accession: 'SJC-PB-1003', pmid: null, title: null },
];
export const DATASETS = ['PCGP', 'Cicero Benchmark', 'G4K'] as const;
export const SAMPLES = [
  'SJA000001_D1',
  'SJA000001_G1',
  'SJA000002_D1',
  'SJB000003_R1',
  'SJB000003_G1',
  'SJC000004_X1',
];

export const fileArbitrary = fc.record({
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

export type FileRecord = typeof fileArbitrary extends fc.Arbitrary<infer R> ? R : never;

/** The catalog file a generated record describes; `i` makes its id and names unique. */
export function fileOf(record: FileRecord, i: number): IndexedFile {
  return {
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
  };
}

export const catalogArbitrary = fc
  .array(fileArbitrary, { maxLength: 60 })
  .map((records) => records.map((record, i) => fileOf(record, i)));

export const filtersArbitrary = fc.record({
  sequencingType: fc.subarray([...SEQUENCING_TYPES]),
  sampleType: fc.subarray([...SAMPLE_TYPES]),
  fileType: fc.subarray([...FILE_TYPES]),
  tissueType: fc.subarray([...TISSUE_TYPES]),
});

export const clickArbitrary = fc.record({
  tab: fc.constantFrom(...CATALOG_TABS),
  filters: filtersArbitrary,
  pageSize: fc.integer({ min: 1, max: 4 }),
  search: fc.option(fc.constantFrom('a', 'SJB', 'paper', 'osteo', 'pcgp', 'zz'), { nil: undefined }),
  held: fc.subarray([...DAU_IDS]),
});
