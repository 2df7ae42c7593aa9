import type { IndexedFile } from '../../shared/catalog/engine/indexed-file';
import { CATALOG_DAUS } from '../../shared/catalog/generator/daus';
import { CatalogIndex } from '../../shared/catalog/engine/catalog-index';
import { catalogQuerySchema, type CatalogQuery } from '../../shared/catalog/model';

let counter = 0;

/** A hand-made catalog file: a WGS Diagnosis BAM of a paired PCGP subject unless told otherwise. */
export function file(overrides: Partial<IndexedFile> = {}): IndexedFile {
  counter += 1;
  const sampleName = overrides.sampleName ?? 'SJOS000001_D1';
  return {
    id: `file-${String(counter).padStart(24, '0')}`,
    fileName: `${sampleName}.${counter}.bam`,
    filePath: `/restricted/bam/${sampleName}.${counter}.bam`,
    fileType: 'BAM',
    fileSizeBytes: 1000,
    indexFile: null,
    sequencingType: 'WGS',
    sampleName,
    sampleType: 'Diagnosis',
    subjectName: sampleName.slice(0, sampleName.indexOf('_')),
    tissuePairing: 'Paired Tumor-Normal',
    pairedSampleName: null,
    dau: 'PCGP',
    datasets: ['PCGP'],
    diagnosis: { code: 'OS', name: 'Osteosarcoma', group: 'Solid Tumor' },
    publications: [],
    embargoDate: '2018-07-23',
    ...overrides,
  };
}

export function indexOf(files: IndexedFile[]): CatalogIndex {
  return CatalogIndex.build(files, CATALOG_DAUS);
}

export function query(input: Record<string, unknown>): CatalogQuery {
  return catalogQuerySchema.parse({ filters: {}, ...input });
}
