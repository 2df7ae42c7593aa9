import type { DatasetCode, PublicationRef } from '../model';
import { diagnosisFor } from '../reference/disease-codes';
import { DATASET_SPECS } from './parameters';

/**
 * Publications cited by the catalog's files. PMIDs given in the published material are used as they are;
 * the PCGP tumor-type papers (about 25, one per tumor type) are synthetic stand-ins with synthetic PMIDs.
 */
export interface PublicationCatalog {
  /** Papers every cited subject of a data set gets. */
  byDataset: ReadonlyMap<DatasetCode, PublicationRef>;
  /** PCGP's tumor-type papers by disease code. */
  pcgpByDiagnosis: ReadonlyMap<string, PublicationRef>;
  /** The PCGP perspective paper, cited in addition by some PCGP subjects. */
  pcgpPerspective: PublicationRef;
  all: readonly PublicationRef[];
}

const PCGP_TUMOR_TYPE_PAPERS = 25;

function buildPublications(): PublicationCatalog {
  const all: PublicationRef[] = [];
  const add = (pmid: string, title: string): PublicationRef => {
    const publication = { accession: `SJC-PB-${1001 + all.length}`, pmid, title };
    all.push(publication);
    return publication;
  };
  const pcgpPerspective = add(
    '22641210',
    'The Pediatric Cancer Genome Project (perspective): sequencing the genomes of childhood cancer',
  );
  const byDataset = new Map<DatasetCode, PublicationRef>([
    [
      'SJLIFE',
      add(
        '29847298',
        'Genetic risk of subsequent neoplasms in survivors of childhood cancer (St. Jude LIFE)',
      ),
    ],
    [
      'CCSS',
      add('11920786', 'Study design and cohort characteristics of the Childhood Cancer Survivor Study'),
    ],
    [
      'Clinical Pilot',
      add('30262806', 'Clinical genomics of pediatric cancer: a prospective tumor-normal pilot'),
    ],
    [
      'G4K',
      add('34301788', 'Genomes for Kids: comprehensive germline and somatic sequencing of pediatric cancer'),
    ],
    ['tMN', add('33579957', 'Genomic landscape of therapy-related myeloid neoplasms in children')],
    ['RTCG', add('35022413', 'Real-time clinical genomic profiling of pediatric cancer')],
    ['CSTN', add('28854171', 'Orthotopic patient-derived xenografts of paediatric solid tumours')],
    [
      'Cicero Benchmark',
      add('32466770', 'CICERO: detection of complex driver fusions from cancer RNA sequencing'),
    ],
  ]);
  const pcgp = DATASET_SPECS.find((spec) => spec.code === 'PCGP');
  const pcgpCodes = Object.entries(pcgp?.diagnoses ?? {})
    .sort(([codeA, a], [codeB, b]) => (b ?? 0) - (a ?? 0) || codeA.localeCompare(codeB))
    .slice(0, PCGP_TUMOR_TYPE_PAPERS)
    .map(([code]) => code);
  const pcgpByDiagnosis = new Map(
    pcgpCodes.map((code, index) => [
      code,
      add(String(23000000 + index * 7919), `The genomic landscape of pediatric ${diagnosisFor(code).name}`),
    ]),
  );
  return { byDataset, pcgpByDiagnosis, pcgpPerspective, all };
}

export const PUBLICATIONS: PublicationCatalog = buildPublications();
