/** Names and the manifest of a project space, alone. */
import { describe, expect, it } from 'vitest';
import {
  parseSampleInfo,
  projectContainerName,
  projectFolderName,
  renderSampleInfo,
  sampleInfoRows,
  type VendedFile,
} from '../../shared/provisioning/model';
import { indexPath } from '../../shared/provisioning/adapters/cosmos-catalog-files';

const file = (path: string, index = false): VendedFile => ({
  fileId: `file-${path}`,
  path,
  bytes: 1000,
  index,
  fileType: 'BAM',
  sampleName: 'SJOS001_D1',
  subjectName: 'SJOS001',
  sampleType: 'Diagnosis',
  sequencingType: 'WGS',
  tissuePairing: 'Paired Tumor-Normal',
  diagnosis: 'Osteosarcoma\twith a tab',
});

describe('project container names', () => {
  it('are valid, stable, and differ between owners of the same project name', () => {
    const names = [
      projectContainerName('owner-a', 'My Project'),
      projectContainerName('owner-a', '  my project '),
      projectContainerName('owner-b', 'My Project'),
      projectContainerName('owner-a', 'Ünïcödé & -- symbols!!'),
      projectContainerName('owner-a', '!!!'),
      projectContainerName('owner-a', 'x'.repeat(300)),
    ];
    for (const name of names) {
      expect(name).toMatch(/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/);
    }
    expect(names[0]).toBe(names[1]);
    expect(names[0]).not.toBe(names[2]);
    expect(names[0]).toMatch(/^prj-my-project-[0-9a-f]{10}$/);
  });

  it('make folders one safe level', () => {
    expect(projectFolderName('Data Requested (2026-12-03)')).toBe('Data Requested (2026-12-03)');
    expect(projectFolderName('a/b\\c\u0000d')).toBe('a-b-c-d');
    expect(projectFolderName('..')).toBe('data');
    expect(projectFolderName(undefined)).toBe('data');
  });

  it('put index files beside their file', () => {
    expect(indexPath('/restricted/bam/x.bam', 'x.bam.bai')).toBe('restricted/bam/x.bam.bai');
  });
});

describe('SAMPLE_INFO.txt', () => {
  it('lists data files (not index files) per DAU, and a DAU replaces or removes only its own rows', () => {
    const pcgp = sampleInfoRows('PCGP', [
      file('restricted/bam/b.bam'),
      file('restricted/bam/b.bam.bai', true),
    ]);
    const sjlife = sampleInfoRows('SJLIFE', [file('restricted/bam/a.bam')]);
    const both = renderSampleInfo(parseSampleInfo(renderSampleInfo([], 'PCGP', pcgp)), 'SJLIFE', sjlife);
    const lines = both.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(/^restricted\/bam\/a\.bam\tBAM\t1000\t/);
    expect(lines[2]).toContain('Osteosarcoma with a tab\tPCGP');
    const withoutPcgp = renderSampleInfo(parseSampleInfo(both), 'PCGP', []);
    expect(parseSampleInfo(withoutPcgp).map((row) => row.dau)).toEqual(['SJLIFE']);
    // The same content renders the same bytes.
    expect(renderSampleInfo(parseSampleInfo(both), 'SJLIFE', sjlife)).toBe(both);
  });
});
