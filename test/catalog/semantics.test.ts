import { describe, expect, it } from 'vitest';
import { InvalidContinuationError } from '../../shared/catalog/engine/continuation';
import { selectionSchema } from '../../shared/catalog/model';
import { file, indexOf, query } from './fixtures';

const none = new Set<string>();

describe('catalog query semantics (DESIGN §5)', () => {
  it('ORs values inside one category', () => {
    const index = indexOf([
      file({ sequencingType: 'WGS' }),
      file({ sequencingType: 'WES' }),
      file({ sequencingType: 'RNA-Seq', fileType: 'Feature Counts' }),
    ]);
    const answer = index.click(
      query({ tab: 'diagnosis', filters: { sequencingType: ['WGS', 'WES'] } }),
      none,
    );
    expect(answer.summary.files).toBe(2);
  });

  it('ANDs across categories', () => {
    const index = indexOf([
      file({ sequencingType: 'WGS', fileType: 'BAM' }),
      file({ sequencingType: 'WGS', fileType: 'gVCF' }),
      file({ sequencingType: 'WES', fileType: 'BAM' }),
    ]);
    const answer = index.click(
      query({ tab: 'diagnosis', filters: { sequencingType: ['WGS'], fileType: ['BAM'] } }),
      none,
    );
    expect(answer.summary.files).toBe(1);
  });

  it("counts a category's facets with every other filter applied and its own ignored", () => {
    const index = indexOf([
      file({ sequencingType: 'WGS', fileType: 'BAM' }),
      file({ sequencingType: 'WES', fileType: 'BAM' }),
      file({ sequencingType: 'WES', fileType: 'gVCF' }),
    ]);
    const answer = index.click(
      query({ tab: 'diagnosis', filters: { sequencingType: ['WGS'], fileType: ['BAM'] } }),
      none,
    );
    // Sequencing type ignores its own WGS filter but applies fileType=BAM: WGS 1, WES 1.
    expect(answer.facets.sequencingType).toEqual([
      { value: 'WGS', files: 1, selected: true },
      { value: 'WES', files: 1, selected: false },
    ]);
    // File type applies sequencingType=WGS: only the WGS BAM remains; gVCF disappears (zero, unselected).
    expect(answer.facets.fileType).toEqual([{ value: 'BAM', files: 1, selected: true }]);
  });

  it('keeps selected values in the facets even at zero', () => {
    const index = indexOf([file({ sequencingType: 'WGS', sampleType: 'Diagnosis' })]);
    const answer = index.click(
      query({ tab: 'diagnosis', filters: { sequencingType: ['WGS'], sampleType: ['Relapse'] } }),
      none,
    );
    expect(answer.facets.sampleType).toContainEqual({ value: 'Relapse', files: 0, selected: true });
    expect(answer.facets.sequencingType).toEqual([{ value: 'WGS', files: 0, selected: true }]);
    expect(answer.summary.files).toBe(0);
  });

  it('counts a file once per data set in study rows, and once in the summary', () => {
    const index = indexOf([file({ datasets: ['PCGP', 'Cicero Benchmark'] }), file({ datasets: ['PCGP'] })]);
    const answer = index.click(query({ tab: 'study' }), none);
    expect(answer.rows.map((row) => [row.id, row.counts.files])).toEqual([
      ['Cicero Benchmark', 1],
      ['PCGP', 2],
    ]);
    expect(answer.summary.files).toBe(2);
  });

  it('counts a file once per publication in publication rows; files without one are in no row', () => {
    const paperA = { accession: 'SJC-PB-0001', title: 'A paper', pmid: null };
    const paperB = { accession: 'SJC-PB-0002', title: 'B paper', pmid: null };
    const index = indexOf([file({ publications: [paperA, paperB] }), file({ publications: [] })]);
    const answer = index.click(query({ tab: 'publication' }), none);
    expect(answer.rows.map((row) => [row.label, row.counts.files])).toEqual([
      ['A paper', 1],
      ['B paper', 1],
    ]);
    expect(answer.summary.files).toBe(2);
  });

  it('summarises files, distinct samples and subjects, and bytes including index files', () => {
    const index = indexOf([
      file({
        sampleName: 'SJOS000001_D1',
        fileSizeBytes: 100,
        indexFile: { fileName: 'x.bai', fileSizeBytes: 7 },
      }),
      file({ sampleName: 'SJOS000001_D1', fileType: 'gVCF', fileSizeBytes: 50 }),
      file({ sampleName: 'SJOS000001_G1', sampleType: 'Germline', fileSizeBytes: 20 }),
      file({ sampleName: 'SJOS000002_D1', fileSizeBytes: 3 }),
    ]);
    const { summary } = index.click(query({ tab: 'sample' }), none);
    expect(summary).toMatchObject({ files: 4, samples: 3, subjects: 2, bytes: 180 });
  });

  it('keeps byte sums exact beyond 2^32 per group', () => {
    const big = 999_999_999_999;
    const index = indexOf(Array.from({ length: 5 }, () => file({ fileSizeBytes: big })));
    expect(index.click(query({ tab: 'diagnosis' }), none).rows[0]?.counts.bytes).toBe(5 * big);
  });

  it('lists the DAUs touched with their access type and whether the caller holds them', () => {
    const index = indexOf([file({ dau: 'PCGP' }), file({ dau: 'PanALL', sampleName: 'SJBALL000003_D1' })]);
    const { summary } = index.click(query({ tab: 'diagnosis' }), new Set(['PCGP']));
    expect(summary.daus).toEqual([
      { id: 'PCGP', name: 'Pediatric Cancer Genome Project', access: 'controlled', files: 1, held: true },
      { id: 'PanALL', name: 'Pan-Acute Lymphoblastic Leukemia', access: 'open', files: 1, held: false },
    ]);
  });

  it('leaves out rows without files under the filter and counts distinct samples per row', () => {
    const index = indexOf([
      file({ diagnosis: { code: 'OS', name: 'Osteosarcoma', group: 'Solid Tumor' }, sequencingType: 'WGS' }),
      file({ diagnosis: { code: 'OS', name: 'Osteosarcoma', group: 'Solid Tumor' }, fileType: 'gVCF' }),
      file({
        sampleName: 'SJNBL000009_D1',
        diagnosis: { code: 'NBL', name: 'Neuroblastoma', group: 'Solid Tumor' },
        sequencingType: 'WES',
      }),
    ]);
    const answer = index.click(query({ tab: 'diagnosis', filters: { sequencingType: ['WGS'] } }), none);
    expect(answer.rows).toEqual([
      { id: 'OS', label: 'Osteosarcoma', counts: { files: 2, samples: 1, subjects: 1, bytes: 2000 } },
    ]);
    expect(answer.totalRows).toBe(1);
  });

  it('searches row labels and ids, case-insensitively', () => {
    const index = indexOf([
      file({ diagnosis: { code: 'OS', name: 'Osteosarcoma', group: 'Solid Tumor' } }),
      file({
        sampleName: 'SJNBL000009_D1',
        diagnosis: { code: 'NBL', name: 'Neuroblastoma', group: 'Solid Tumor' },
      }),
    ]);
    expect(index.click(query({ tab: 'diagnosis', search: 'BLASTOMA' }), none).rows.map((r) => r.id)).toEqual([
      'NBL',
    ]);
    expect(index.click(query({ tab: 'sample', search: 'sjnbl' }), none).rows.map((r) => r.id)).toEqual([
      'SJNBL000009_D1',
    ]);
  });

  it('pages rows with an opaque continuation token bound to its query', () => {
    const index = indexOf(
      Array.from({ length: 5 }, (_, i) =>
        file({ sampleName: `SJOS00000${i}_D1`, subjectName: `SJOS00000${i}` }),
      ),
    );
    const first = index.click(query({ tab: 'sample', pageSize: 2 }), none);
    expect(first.rows.map((row) => row.id)).toEqual(['SJOS000000_D1', 'SJOS000001_D1']);
    expect(first.totalRows).toBe(5);
    const second = index.click(query({ tab: 'sample', pageSize: 2, continuation: first.continuation }), none);
    expect(second.rows.map((row) => row.id)).toEqual(['SJOS000002_D1', 'SJOS000003_D1']);
    const third = index.click(query({ tab: 'sample', pageSize: 2, continuation: second.continuation }), none);
    expect(third.rows.map((row) => row.id)).toEqual(['SJOS000004_D1']);
    expect(third.continuation).toBeNull();
    expect(() =>
      index.click(query({ tab: 'diagnosis', pageSize: 2, continuation: first.continuation }), none),
    ).toThrow(InvalidContinuationError);
    expect(() => index.click(query({ tab: 'sample', continuation: 'garbage' }), none)).toThrow(
      InvalidContinuationError,
    );
  });

  it('resolves a selection of rows under filters to its files', () => {
    const index = indexOf([
      file({ datasets: ['PCGP'], fileType: 'BAM' }),
      file({ datasets: ['PCGP', 'Cicero Benchmark'], fileType: 'BAM' }),
      file({ datasets: ['Cicero Benchmark'], fileType: 'gVCF' }),
      file({ datasets: ['SJLIFE'], fileType: 'BAM' }),
    ]);
    const selection = selectionSchema.parse({
      tab: 'study',
      rowIds: ['PCGP', 'Cicero Benchmark', 'NOPE'],
      filters: { fileType: ['BAM'] },
    });
    const { answer, files } = index.resolveSelection(selection, none);
    expect(answer.files).toBe(2);
    expect(files).toHaveLength(2);
    expect(answer.unknownRowIds).toEqual(['NOPE']);
  });

  it('resolves sample names (a PeCan link) and reports the unknown ones', () => {
    const index = indexOf([
      file({ sampleName: 'SJOS000001_D1' }),
      file({ sampleName: 'SJOS000001_D1', fileType: 'gVCF' }),
      file({ sampleName: 'SJOS000001_G1', sampleType: 'Germline' }),
    ]);
    const { answer } = index.resolveSelection(
      selectionSchema.parse({ sampleNames: ['SJOS000001_D1', 'SJXX999999_D1'] }),
      none,
    );
    expect(answer).toMatchObject({ files: 2, unknownSampleNames: ['SJXX999999_D1'] });
    expect(answer.summary).toMatchObject({ samples: 1, subjects: 1 });
  });

  it('answers the empty filter with the whole catalog', () => {
    const index = indexOf([file(), file({ sequencingType: 'WES' }), file({ sampleType: 'Relapse' })]);
    const answer = index.click(query({ tab: 'diagnosis' }), none);
    expect(answer.summary.files).toBe(3);
    expect(answer.facets.sequencingType.map((facet) => facet.files)).toEqual([2, 1]);
  });

  it('gives the file back as it was indexed', () => {
    const original = file({ datasets: ['PCGP', 'CSTN'], indexFile: { fileName: 'a.bai', fileSizeBytes: 5 } });
    const index = indexOf([original]);
    expect(index.file(0)).toEqual(original);
  });
});
