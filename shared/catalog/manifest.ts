import type { CatalogIndex } from './engine/catalog-index';
import type { IndexedFile } from './engine/indexed-file';
import type { Dau } from './model';

/** SAMPLE_INFO.txt-style manifest columns (St. Jude's names), one row per primary file. */
const COLUMNS: readonly [string, (file: IndexedFile, access: string) => string][] = [
  ['sample_name', (file) => file.sampleName],
  ['subject_name', (file) => file.subjectName],
  ['sample_type', (file) => file.sampleType],
  ['sequencing_type', (file) => file.sequencingType],
  ['file_type', (file) => file.fileType],
  ['file_id', (file) => file.id],
  ['file_path', (file) => file.filePath],
  ['file_size', (file) => String(file.fileSizeBytes)],
  ['index_file', (file) => file.indexFile?.fileName ?? ''],
  ['index_file_size', (file) => (file.indexFile ? String(file.indexFile.fileSizeBytes) : '')],
  ['sj_diseases', (file) => file.diagnosis.code],
  ['sj_long_disease_name', (file) => file.diagnosis.name],
  ['attr_diagnosis_group', (file) => file.diagnosis.group],
  ['tissue_pairing', (file) => file.tissuePairing],
  ['attr_germline_sample', (file) => file.pairedSampleName ?? ''],
  ['sj_datasets', (file) => file.datasets.join(',')],
  ['sj_access_unit', (file) => file.dau],
  ['data_access_level', (_file, access) => access],
  ['sj_embargo_date', (file) => file.embargoDate],
  [
    'sj_pub_accessions',
    (file) => (file.publications ?? []).map((publication) => publication.accession).join(','),
  ],
];

/** Tabs and line breaks cannot occur inside a TSV cell. */
const cell = (value: string) => value.replace(/[\t\r\n]/g, ' ');

export const MANIFEST_HEADER = `${COLUMNS.map(([name]) => name).join('\t')}\n`;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The manifest in chunks of `rowsPerChunk` lines, so a large selection is never one giant string, yielding to
 * the event loop before each chunk: a full-catalog manifest (~15 MB at 53k files) takes tens of milliseconds
 * of CPU, and clicks arriving meanwhile are answered between chunks instead of after the whole manifest.
 */
export async function* manifestChunks(
  index: CatalogIndex,
  files: Int32Array,
  daus: readonly Dau[],
  rowsPerChunk = 250,
): AsyncGenerator<string> {
  const access = new Map(daus.map((dau) => [dau.id, dau.access]));
  yield MANIFEST_HEADER;
  for (let start = 0; start < files.length; start += rowsPerChunk) {
    await yieldToEventLoop();
    let chunk = '';
    for (const position of files.subarray(start, start + rowsPerChunk)) {
      const file = index.file(position);
      const level = access.get(file.dau) ?? 'controlled';
      chunk += `${COLUMNS.map(([, value]) => cell(value(file, level))).join('\t')}\n`;
    }
    yield chunk;
  }
}
