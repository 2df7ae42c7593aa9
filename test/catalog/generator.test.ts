import { beforeAll, describe, expect, it } from 'vitest';
import { CATALOG_DAUS } from '../../shared/catalog/generator/daus';
import { generateCatalog, generateCatalogFiles } from '../../shared/catalog/generator/generate';
import { DATASET_SPECS } from '../../shared/catalog/generator/parameters';
import { catalogFileSchema, dauSchema, type CatalogFile } from '../../shared/catalog/model';

let catalog: CatalogFile[];

beforeAll(() => {
  catalog = generateCatalog();
});

function take(count: number, seed: number): CatalogFile[] {
  const files: CatalogFile[] = [];
  for (const file of generateCatalogFiles({ seed, files: count })) files.push(file);
  return files;
}

describe('catalog generator', () => {
  it('produces about the real catalog at default scale, every file valid by the schema', () => {
    expect(catalog.length).toBeGreaterThan(45_000);
    expect(catalog.length).toBeLessThan(60_000);
    const invalid = catalog.filter((file) => !catalogFileSchema.safeParse(file).success);
    expect(invalid).toEqual([]);
  });

  it('lands every data set within 3% of its published sample count', () => {
    const samples = new Map<string, Set<string>>();
    for (const file of catalog) {
      for (const dataset of file.datasets) {
        const set = samples.get(dataset) ?? new Set<string>();
        set.add(file.sampleName);
        samples.set(dataset, set);
      }
    }
    for (const spec of DATASET_SPECS) {
      const produced = samples.get(spec.code)?.size ?? 0;
      expect(Math.abs(produced - spec.samples) / spec.samples, spec.code).toBeLessThan(0.03);
    }
    expect(samples.get('Cicero Benchmark')?.size).toBeGreaterThan(80);
  });

  it('derives tissue pairing per subject from its samples', () => {
    const bySubject = new Map<string, CatalogFile[]>();
    for (const file of catalog)
      bySubject.set(file.subjectName, [...(bySubject.get(file.subjectName) ?? []), file]);
    for (const files of bySubject.values()) {
      const germline = files.some((file) => file.sampleType === 'Germline');
      const tumor = files.some((file) => file.sampleType !== 'Germline');
      const expected = germline && tumor ? 'Paired Tumor-Normal' : tumor ? 'Tumor Only' : 'Germline Only';
      expect(new Set(files.map((file) => file.tissuePairing))).toEqual(new Set([expected]));
    }
  });

  it('keeps index files with their primary file and ids unique', () => {
    for (const file of catalog) {
      const indexed = file.fileType === 'BAM' || file.fileType === 'gVCF' || file.fileType === 'Somatic VCF';
      expect(file.indexFile != null, file.fileName).toBe(indexed);
      if (file.indexFile) expect(file.indexFile.fileName.startsWith(file.fileName)).toBe(true);
    }
    expect(new Set(catalog.map((file) => file.id)).size).toBe(catalog.length);
  });

  it('pairs somatic files with a germline sample of the same subject', () => {
    const samples = new Set(catalog.map((file) => file.sampleName));
    const somatic = catalog.filter((file) => file.fileType === 'Somatic VCF' || file.fileType === 'CNV');
    expect(somatic.length).toBeGreaterThan(1000);
    for (const file of somatic) {
      expect(samples.has(file.pairedSampleName!)).toBe(true);
      expect(file.pairedSampleName!.startsWith(`${file.subjectName}_G`)).toBe(true);
    }
  });

  it('is deterministic by seed', () => {
    expect(take(500, 7)).toEqual(take(500, 7));
    expect(take(500, 8).map((file) => file.id)).not.toEqual(take(500, 7).map((file) => file.id));
  });

  it('scales to a requested number of files, with every data set represented', () => {
    const files = take(5000, 3);
    expect(files.length).toBeGreaterThanOrEqual(5000);
    expect(files.length).toBeLessThan(5100);
    const datasets = new Set(files.flatMap((file) => file.datasets));
    for (const spec of DATASET_SPECS) expect(datasets.has(spec.code), spec.code).toBe(true);
    expect(() => take(1_000_001, 1)).toThrow(RangeError);
  });

  it('defines the six DAUs, at least one open, committees for the controlled ones', () => {
    expect(CATALOG_DAUS.map((dau) => dauSchema.parse(dau).id).sort()).toEqual(
      ['CCSS', 'Clinical Genomics', 'PCGP', 'PanALL', 'SGP', 'SJLIFE'].sort(),
    );
    expect(CATALOG_DAUS.some((dau) => dau.access === 'open')).toBe(true);
    for (const dau of CATALOG_DAUS.filter((candidate) => candidate.access === 'controlled')) {
      expect(dau.committeeMembers.length).toBeGreaterThan(0);
      expect(dau.accessDurationDays).toBe(365);
    }
  });
});
