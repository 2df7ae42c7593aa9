import type { DatasetCode, DauId, SampleType, SequencingType } from '../model';

/**
 * The shape of St. Jude Cloud's catalog as published (2021 snapshot and dataset pages), with our estimates
 * where nothing is published. Source: `synthetic-distributions.json` (fields `_src` are published, `_est`
 * estimates). Totals land near 12,104 WGS / 7,697 WES / 2,202 RNA-Seq experiments and ~50k primary files.
 */

export type Weights<K extends string> = Partial<Record<K, number>>;

export interface DatasetSpec {
  code: DatasetCode;
  name: string;
  accession: string;
  /** Subjects are split evenly across these DAUs (Clinical Pilot and CSTN sit in PCGP and Clinical Genomics). */
  daus: readonly DauId[];
  /** Published sample count (`samples_src`). */
  samples: number;
  subjects: number;
  sampleTypes: Weights<SampleType>;
  seqPerSample: { tumor: Record<SequencingType, number>; germline: Record<SequencingType, number> };
  /** Disease codes with weights; the subject's diagnosis is drawn from these. */
  diagnoses: Weights<string>;
  clinicalWgs: boolean;
  /** Somatic VCF and CNV are built for tumor-normal pairs of this data set. */
  somatic: boolean;
  /** Share of subjects whose files cite the data set's publications. */
  publicationShare: number;
  /** Subject name prefix; `undefined` derives it from the disease code (SJOS030441). */
  subjectPrefix?: string;
  /** CCSS files carry the estimated bacterial contamination rate in `description`. */
  contaminationNote?: boolean;
}

const HEME: Weights<string> = {
  BALLETV6RUNX1: 8,
  BALLHYPER: 8,
  BALLTCF3PBX1: 3,
  BALLBCRABL1: 3,
  BALLKMT2A: 3,
  BALLDUX4IGH: 2,
  BALLPAX5: 1,
  BALLZNF384: 1,
  TALL: 6,
  AML: 5,
  CBF: 3,
  AMKL: 2,
  MDS: 1,
};
const BRAIN: Weights<string> = {
  MBLSHH: 3,
  MBLG3: 2,
  MBLG4: 3,
  MBLWNT: 1,
  HGGNOS: 4,
  LGGNOS: 4,
  EPMT: 3,
  ATRT: 1,
  CPC: 1,
};
const SOLID: Weights<string> = {
  OS: 5,
  NBL: 6,
  RMS: 2,
  ERMS: 2,
  ARMS: 2,
  EWS: 3,
  RBL: 3,
  WT: 3,
  ACC: 1,
  MEL: 1,
  HB: 1,
};
const GERM_CELL: Weights<string> = { GCT: 2, YSTNOS: 1 };

/** Mixes per-group code weights so each group gets the given share. */
function byGroup(shares: [Weights<string>, number][]): Weights<string> {
  const mixed: Record<string, number> = {};
  for (const [codes, share] of shares) {
    const weights = Object.entries(codes) as [string, number][];
    const total = weights.reduce((sum, [, weight]) => sum + weight, 0);
    for (const [code, weight] of weights) mixed[code] = (mixed[code] ?? 0) + (share * weight) / total;
  }
  return mixed;
}

const PEDIATRIC_CANCER = byGroup([
  [HEME, 0.48],
  [BRAIN, 0.22],
  [SOLID, 0.28],
  [GERM_CELL, 0.02],
]);
const CLINICAL_CANCER = byGroup([
  [HEME, 0.4],
  [BRAIN, 0.25],
  [SOLID, 0.32],
  [GERM_CELL, 0.03],
]);
/** SJLIFE WGS participants (sjlife.stjude.org), plus ~9% non-cancer controls coded SJNORM. */
const SURVIVORS: Weights<string> = {
  ALL: 32.1,
  HL: 12.3,
  MBLG4: 3.7,
  EPMT: 3.7,
  LGGNOS: 3.7,
  NHL: 7.2,
  WT: 7,
  NBL: 4.7,
  OS: 3.8,
  RMS: 3.4,
  RBL: 3.3,
  EWS: 3,
  STSNOS: 2.8,
  AML: 2.7,
  GCT: 2.5,
  CNOS: 1.4,
  LCH: 2.5,
  SJNORM: 9,
};
const SURVIVORS_CCSS: Weights<string> = { ...SURVIVORS, SJNORM: 0, OS: 7, EWS: 5, WT: 9, NBL: 6 };

const PAIRED_SEQ = {
  germline: { WGS: 0.45, WES: 0.35, 'RNA-Seq': 0 },
  tumor: { WGS: 0.45, WES: 0.35, 'RNA-Seq': 0.35 },
};
const CLINICAL_SEQ = {
  germline: { WGS: 0.8, WES: 0.6, 'RNA-Seq': 0 },
  tumor: { WGS: 0.8, WES: 0.6, 'RNA-Seq': 0.6 },
};
const NONE = { WGS: 0, WES: 0, 'RNA-Seq': 0 };

export const DATASET_SPECS: readonly DatasetSpec[] = [
  {
    code: 'PCGP',
    name: 'Pediatric Cancer Genome Project',
    accession: 'SJC-DS-1001',
    daus: ['PCGP'],
    samples: 3031,
    subjects: 1300,
    sampleTypes: {
      Germline: 0.42,
      Diagnosis: 0.44,
      Relapse: 0.09,
      Metastasis: 0.02,
      Xenograft: 0.015,
      Autopsy: 0.01,
      'Cell line': 0.005,
    },
    seqPerSample: PAIRED_SEQ,
    diagnoses: PEDIATRIC_CANCER,
    clinicalWgs: false,
    somatic: true,
    publicationShare: 0.85,
  },
  {
    code: 'SJLIFE',
    name: 'St. Jude LIFE',
    accession: 'SJC-DS-1002',
    daus: ['SJLIFE'],
    samples: 4838,
    subjects: 4838,
    sampleTypes: { Germline: 1 },
    seqPerSample: { germline: { WGS: 0.99, WES: 0.99, 'RNA-Seq': 0 }, tumor: NONE },
    diagnoses: SURVIVORS,
    clinicalWgs: false,
    somatic: false,
    publicationShare: 0.6,
    subjectPrefix: 'SJL',
  },
  {
    code: 'CCSS',
    name: 'Childhood Cancer Survivor Study',
    accession: 'SJC-DS-1005',
    daus: ['CCSS'],
    samples: 2912,
    subjects: 2912,
    sampleTypes: { Germline: 1 },
    seqPerSample: { germline: { WGS: 1, WES: 0, 'RNA-Seq': 0 }, tumor: NONE },
    diagnoses: SURVIVORS_CCSS,
    clinicalWgs: false,
    somatic: false,
    publicationShare: 0.3,
    subjectPrefix: 'SJCCSS',
    contaminationNote: true,
  },
  {
    code: 'SGP',
    name: 'Sickle Cell Genome Project',
    accession: 'SJC-DS-1006',
    daus: ['SGP'],
    samples: 807,
    subjects: 807,
    sampleTypes: { Germline: 1 },
    seqPerSample: { germline: { WGS: 1, WES: 0, 'RNA-Seq': 0 }, tumor: NONE },
    diagnoses: { SJSCD: 1 },
    clinicalWgs: false,
    somatic: false,
    publicationShare: 0,
    subjectPrefix: 'SJSCD',
  },
  {
    code: 'PanALL',
    name: 'Pan-Acute Lymphoblastic Leukemia',
    accession: 'SJC-DS-1009',
    daus: ['PanALL'],
    samples: 735,
    subjects: 720,
    sampleTypes: { Diagnosis: 0.95, Relapse: 0.05 },
    seqPerSample: { germline: NONE, tumor: { WGS: 0, WES: 0, 'RNA-Seq': 1 } },
    diagnoses: byGroup([
      [
        {
          BALLETV6RUNX1: 5,
          BALLHYPER: 5,
          BALLDUX4IGH: 2,
          BALLBCRABL1: 2,
          BALLBCRABL1L: 3,
          BALLKMT2A: 2,
          BALLZNF384: 1,
          BALLPAX5: 1,
          BALLTCF3PBX1: 1,
          BALLMEF2D: 1,
          BALLNOS: 1,
        },
        0.85,
      ],
      [{ TALL: 1 }, 0.15],
    ]),
    clinicalWgs: false,
    somatic: false,
    publicationShare: 0,
  },
  {
    code: 'RTCG',
    name: 'Real-Time Clinical Genomics',
    accession: 'SJC-DS-1003',
    daus: ['Clinical Genomics'],
    samples: 2371,
    subjects: 1050,
    sampleTypes: { Germline: 0.45, Diagnosis: 0.43, Relapse: 0.08, Metastasis: 0.03, Autopsy: 0.01 },
    seqPerSample: CLINICAL_SEQ,
    diagnoses: CLINICAL_CANCER,
    clinicalWgs: true,
    somatic: true,
    publicationShare: 0.05,
  },
  {
    code: 'G4K',
    name: 'Genomes for Kids',
    accession: 'SJC-DS-1007',
    daus: ['Clinical Genomics'],
    samples: 571,
    subjects: 300,
    sampleTypes: { Germline: 0.52, Diagnosis: 0.4, Relapse: 0.06, Metastasis: 0.02 },
    seqPerSample: {
      germline: { WGS: 0.95, WES: 0.95, 'RNA-Seq': 0 },
      tumor: { WGS: 0.95, WES: 0.95, 'RNA-Seq': 0.85 },
    },
    diagnoses: CLINICAL_CANCER,
    clinicalWgs: true,
    somatic: true,
    publicationShare: 0.9,
  },
  {
    code: 'Clinical Pilot',
    name: 'Clinical Pilot',
    accession: 'SJC-DS-1004',
    daus: ['PCGP', 'Clinical Genomics'],
    samples: 155,
    subjects: 78,
    sampleTypes: { Germline: 0.5, Diagnosis: 0.45, Relapse: 0.05 },
    seqPerSample: { germline: { WGS: 1, WES: 1, 'RNA-Seq': 0 }, tumor: { WGS: 1, WES: 1, 'RNA-Seq': 0.85 } },
    diagnoses: CLINICAL_CANCER,
    clinicalWgs: true,
    somatic: true,
    publicationShare: 1,
  },
  {
    code: 'CSTN',
    name: 'Childhood Solid Tumor Network',
    accession: 'SJC-DS-1008',
    daus: ['PCGP', 'Clinical Genomics'],
    samples: 143,
    subjects: 60,
    sampleTypes: { Xenograft: 0.45, Diagnosis: 0.2, Germline: 0.2, Relapse: 0.08, Metastasis: 0.07 },
    seqPerSample: PAIRED_SEQ,
    diagnoses: { NBL: 3, OS: 3, RMS: 2, EWS: 2, RBL: 2, WT: 1 },
    clinicalWgs: false,
    somatic: true,
    publicationShare: 0.5,
  },
  {
    code: 'tMN',
    name: 'Therapy-Related Myeloid Neoplasms',
    accession: 'SJC-DS-1010',
    daus: ['PCGP'],
    samples: 206,
    subjects: 90,
    sampleTypes: { Germline: 0.42, Diagnosis: 0.53, Relapse: 0.05 },
    seqPerSample: PAIRED_SEQ,
    diagnoses: { AML: 5, MDS: 3, AMKL: 1 },
    clinicalWgs: false,
    somatic: true,
    publicationShare: 1,
  },
];

/** Cicero Benchmark re-uses existing RNA-Seq files (a second data set tag, no new files). */
export const CICERO_BENCHMARK = {
  code: 'Cicero Benchmark' as const,
  accession: 'SJC-DS-1011',
  samples: 124,
  sourceDatasets: ['PCGP', 'Clinical Pilot', 'G4K'] as readonly DatasetCode[],
  /** Chance that an RNA-Seq tumor sample of a source data set is tagged; ~124 of ~910 eligible samples. */
  tagShare: 0.136,
};

export const DATASET_NAMES: Readonly<Partial<Record<DatasetCode, string>>> = {
  ...Object.fromEntries(DATASET_SPECS.map((spec) => [spec.code, spec.name])),
  'Cicero Benchmark': 'CICERO Fusion Detection Benchmark',
};

/** Lognormal sizes: median in GB, sigma in log space, index size in MB (files without an index have none). */
export interface SizeSpec {
  medianGb: number;
  sigma: number;
  indexMb?: number;
}
export const FILE_SIZES: Readonly<Record<string, SizeSpec>> = {
  'BAM|WGS|research': { medianGb: 70, sigma: 0.25, indexMb: 9 },
  'BAM|WGS|clinical': { medianGb: 115, sigma: 0.25, indexMb: 10 },
  'BAM|WES': { medianGb: 12, sigma: 0.35, indexMb: 6 },
  'BAM|RNA-Seq': { medianGb: 9, sigma: 0.45, indexMb: 5 },
  'gVCF|WGS': { medianGb: 6, sigma: 0.3, indexMb: 3 },
  'gVCF|WES': { medianGb: 0.35, sigma: 0.4, indexMb: 1.5 },
  'Somatic VCF': { medianGb: 0.0008, sigma: 1.2, indexMb: 0.05 },
  CNV: { medianGb: 0.0002, sigma: 0.8 },
  'Feature Counts': { medianGb: 0.0009, sigma: 0.1 },
};

/** Sample name letters (D and G are documented, the others are our convention). */
export const SAMPLE_LETTERS: Readonly<Record<SampleType, string>> = {
  Diagnosis: 'D',
  Germline: 'G',
  Relapse: 'R',
  Metastasis: 'M',
  Autopsy: 'A',
  Xenograft: 'X',
  'Cell line': 'C',
};

export const DAU_EMBARGO_DATES: Readonly<Record<DauId, string>> = {
  PCGP: '2018-07-23',
  SJLIFE: '2019-01-15',
  'Clinical Genomics': '2019-01-01',
  SGP: '2019-09-01',
  CCSS: '2019-11-01',
  PanALL: '2019-01-14',
};

/** Primary files, index files not counted, of a default (`files` unset) catalog; used to scale `files: N`. */
export const DEFAULT_PRIMARY_FILES = 52_800;
