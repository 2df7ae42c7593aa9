import type { Dau, DauId } from '../model';
import { DAU_EMBARGO_DATES } from './parameters';

/**
 * The six Data Access Units of St. Jude Cloud. St. Jude keeps all six controlled; this catalog makes PanALL
 * open because it holds tumor-only RNA-Seq without germline sequence (the lowest re-identification risk of
 * the six, and its expression data is already public on ProteinPaint), so the open-data path of the process
 * has real data behind it. Everything germline (SJLIFE, CCSS, SGP) and all paired tumor-normal DAUs stay
 * controlled. Committee members are invented (example.org). Decision rules vary so that each one has data
 * behind it: SJLIFE decides by majority, CCSS unanimously, the others by the first decision.
 */
const HEALTH_RESEARCH = { code: 'DUO:0000006', label: 'health or medical or biomedical research' };
const NOT_FOR_PROFIT = { code: 'DUO:0000046', label: 'non-commercial use only' };
const PUBLICATION_REQUIRED = { code: 'DUO:0000019', label: 'publication required' };
const GENERAL_RESEARCH = { code: 'DUO:0000042', label: 'general research use' };
const DISEASE_SPECIFIC = { code: 'DUO:0000007', label: 'disease specific research (sickle cell disease)' };

function committee(dau: string, count: number): Dau['committeeMembers'] {
  const slug = dau.toLowerCase().replace(/[^a-z]/g, '');
  return Array.from({ length: count }, (_, index) => ({
    name: `${dau} committee member ${index + 1}`,
    email: `dac-${slug}-${index + 1}@example.org`,
  }));
}

function dau(
  id: DauId,
  name: string,
  description: string,
  access: Dau['access'],
  datasets: Dau['datasets'],
  useLimitations: Dau['useLimitations'],
  decisionRule: Dau['decisionRule'] = 'first',
): Dau {
  return {
    id,
    docType: 'dau',
    name,
    description,
    access,
    committeeMembers: access === 'controlled' ? committee(id, 3) : [],
    accessDurationDays: 365,
    decisionRule,
    embargoDate: DAU_EMBARGO_DATES[id],
    datasets,
    useLimitations,
  };
}

export const CATALOG_DAUS: readonly Dau[] = [
  dau(
    'PCGP',
    'Pediatric Cancer Genome Project',
    'Whole-genome, whole-exome and transcriptome sequencing of paired tumor-normal samples from the St. Jude – Washington University Pediatric Cancer Genome Project.',
    'controlled',
    ['PCGP', 'Clinical Pilot', 'CSTN', 'tMN', 'Cicero Benchmark'],
    [HEALTH_RESEARCH, NOT_FOR_PROFIT, PUBLICATION_REQUIRED],
  ),
  dau(
    'SJLIFE',
    'St. Jude LIFE',
    'Germline whole-genome and whole-exome sequencing of long-term survivors of childhood cancer followed by St. Jude LIFE.',
    'controlled',
    ['SJLIFE'],
    [HEALTH_RESEARCH, NOT_FOR_PROFIT],
    'majority',
  ),
  dau(
    'Clinical Genomics',
    'Clinical Genomics (incl. G4K)',
    'Clinical tumor-normal sequencing from St. Jude’s Real-Time Clinical Genomics program and Genomes for Kids, released in monthly batches.',
    'controlled',
    ['RTCG', 'G4K', 'Clinical Pilot', 'CSTN', 'Cicero Benchmark'],
    [HEALTH_RESEARCH, NOT_FOR_PROFIT],
  ),
  dau(
    'SGP',
    'Sickle Cell Genome Project',
    'Germline whole-genome sequencing of patients with sickle cell disease.',
    'controlled',
    ['SGP'],
    [DISEASE_SPECIFIC, NOT_FOR_PROFIT],
  ),
  dau(
    'CCSS',
    'Childhood Cancer Survivor Study',
    'Germline whole-genome sequencing (buccal samples) of childhood cancer survivors in the Childhood Cancer Survivor Study.',
    'controlled',
    ['CCSS'],
    [HEALTH_RESEARCH, NOT_FOR_PROFIT],
    'unanimous',
  ),
  dau(
    'PanALL',
    'Pan-Acute Lymphoblastic Leukemia',
    'Tumor RNA-Seq of B- and T-lineage acute lymphoblastic leukemia across ages, used to define ALL subtypes. Open access in this catalog.',
    'open',
    ['PanALL'],
    [GENERAL_RESEARCH],
  ),
];
