import type {
  CatalogFile,
  DatasetCode,
  DauId,
  FileType,
  PublicationRef,
  SampleType,
  SequencingType,
  TissueType,
} from '../model';
import { diagnosisFor } from '../reference/disease-codes';
import { CATALOG_DAUS } from './daus';
import {
  CICERO_BENCHMARK,
  DATASET_SPECS,
  DAU_EMBARGO_DATES,
  DEFAULT_PRIMARY_FILES,
  FILE_SIZES,
  SAMPLE_LETTERS,
  type DatasetSpec,
} from './parameters';
import { PUBLICATIONS } from './publications';
import { SeededRandom } from './random';

export interface GenerateOptions {
  /** Same seed, same catalog. */
  seed?: number;
  /**
   * Scale to about this many primary files (whole subjects are generated, so the count ends a few files past
   * N). Unset: the published St. Jude Cloud sample counts (~53k primary files).
   */
  files?: number;
  /** Timestamp written to createdAt/updatedAt (kept fixed so output is deterministic). */
  createdAt?: string;
}

export const DEFAULT_SEED = 20_211_001;
export const MAX_GENERATED_FILES = 1_000_000;
const CREATED_AT = '2021-10-01T00:00:00.000Z';
const ID_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const ACCESS_BY_DAU = new Map(CATALOG_DAUS.map((dau) => [dau.id, dau.access]));
const SEQUENCING: readonly SequencingType[] = ['WGS', 'WES', 'RNA-Seq'];

interface PlannedSample {
  name: string;
  type: SampleType;
  sequencing: SequencingType[];
}

/**
 * Generates the catalog subject by subject: samples per subject, sequencing per sample, files per
 * experiment, all consistency rules of the reference schema. Data sets are interleaved in proportion to
 * their published sample counts, so any prefix of the stream has the catalog's shape.
 */
export function* generateCatalogFiles(options: GenerateOptions = {}): Generator<CatalogFile> {
  if (options.files !== undefined && (options.files < 1 || options.files > MAX_GENERATED_FILES)) {
    throw new RangeError(`files must be between 1 and ${MAX_GENERATED_FILES}`);
  }
  const random = new SeededRandom(options.seed ?? DEFAULT_SEED);
  const context = new GenerationContext(random, options.createdAt ?? CREATED_AT);
  const scale = options.files === undefined ? 1 : options.files / DEFAULT_PRIMARY_FILES;
  const targets = DATASET_SPECS.map((spec) => Math.max(1, Math.round(spec.samples * scale)));
  const produced = DATASET_SPECS.map(() => 0);
  let files = 0;
  for (;;) {
    if (options.files !== undefined ? files >= options.files : produced.every((n, i) => n >= targets[i]!))
      return;
    let next = 0;
    for (let i = 1; i < DATASET_SPECS.length; i += 1) {
      if (produced[i]! / targets[i]! < produced[next]! / targets[next]!) next = i;
    }
    const spec = DATASET_SPECS[next]!;
    const subject = context.subject(spec);
    produced[next]! += subject.samples;
    for (const file of subject.files) {
      files += 1;
      yield file;
    }
  }
}

/** Convenience for tests and small catalogs: the whole default-scale (or `files`) catalog as an array. */
export function generateCatalog(options: GenerateOptions = {}): CatalogFile[] {
  return [...generateCatalogFiles(options)];
}

class GenerationContext {
  private subjectNumber = 0;

  constructor(
    private readonly random: SeededRandom,
    private readonly createdAt: string,
  ) {}

  subject(spec: DatasetSpec): { samples: number; files: CatalogFile[] } {
    const random = this.random;
    this.subjectNumber += 1;
    const diagnosisCode = random.weighted(spec.diagnoses);
    const subjectName = this.subjectName(spec, diagnosisCode);
    const dau = spec.daus[random.integer(spec.daus.length)]!;
    const samples = this.planSamples(spec, subjectName);
    const germline = samples.find((sample) => sample.type === 'Germline');
    const hasTumor = samples.some((sample) => sample.type !== 'Germline');
    const tissue: TissueType =
      germline !== undefined && hasTumor ? 'Paired Tumor-Normal' : hasTumor ? 'Tumor Only' : 'Germline Only';
    const publications = this.subjectPublications(spec, diagnosisCode);
    const embargoDate = dau === 'Clinical Genomics' ? this.monthlyRelease() : undefined;
    const clinical = this.clinical(spec);
    const contamination = spec.contaminationNote
      ? `Estimated bacterial contamination rate: ${(random.lognormal(2, 0.8) % 60).toFixed(2)}%`
      : undefined;

    const files: CatalogFile[] = [];
    const base = {
      subjectName,
      tissuePairing: tissue,
      dau,
      diagnosis: diagnosisFor(diagnosisCode),
      embargoDate: embargoDate ?? DAU_EMBARGO_DATES[dau],
      clinical,
    };
    for (const sample of samples) {
      const ciceroTagged =
        sample.type !== 'Germline' &&
        sample.sequencing.includes('RNA-Seq') &&
        CICERO_BENCHMARK.sourceDatasets.includes(spec.code) &&
        random.chance(CICERO_BENCHMARK.tagShare);
      for (const sequencing of sample.sequencing) {
        const paired =
          spec.somatic &&
          sample.type !== 'Germline' &&
          germline !== undefined &&
          germline.sequencing.includes(sequencing) &&
          (sequencing === 'WGS' || (sequencing === 'WES' && !sample.sequencing.includes('WGS')));
        const fileTypes: FileType[] = sequencing === 'RNA-Seq' ? ['BAM', 'Feature Counts'] : ['BAM', 'gVCF'];
        if (paired && random.chance(0.9)) fileTypes.push('Somatic VCF');
        if (paired && sequencing === 'WGS' && random.chance(0.8)) fileTypes.push('CNV');
        for (const fileType of fileTypes) {
          const datasets: DatasetCode[] =
            ciceroTagged && sequencing === 'RNA-Seq' ? [spec.code, CICERO_BENCHMARK.code] : [spec.code];
          const filePublications =
            ciceroTagged && sequencing === 'RNA-Seq'
              ? [...publications, PUBLICATIONS.byDataset.get(CICERO_BENCHMARK.code)!]
              : publications;
          const pairedSampleName =
            fileType === 'Somatic VCF' || fileType === 'CNV' ? germline!.name : undefined;
          files.push(
            this.file(
              spec,
              base,
              sample,
              sequencing,
              fileType,
              datasets,
              filePublications,
              pairedSampleName,
              contamination,
            ),
          );
        }
      }
    }
    return { samples: samples.length, files };
  }

  private subjectName(spec: DatasetSpec, diagnosisCode: string): string {
    const digits = String(this.subjectNumber).padStart(6, '0');
    const prefix = spec.subjectPrefix ?? `SJ${diagnosisCode.replace(/[^A-Z0-9]/g, '').slice(0, 4)}`;
    return `${prefix}${digits}`;
  }

  /** Samples of one subject: germline (if the data set has germline) and enough tumor samples on average. */
  private planSamples(spec: DatasetSpec, subjectName: string): PlannedSample[] {
    const random = this.random;
    const perSubject = spec.samples / spec.subjects;
    const germlineShare = spec.sampleTypes.Germline ?? 0;
    const tumorTypes = Object.fromEntries(
      Object.entries(spec.sampleTypes).filter(([type]) => type !== 'Germline'),
    ) as Partial<Record<SampleType, number>>;
    const hasGermline = random.chance(germlineShare * perSubject);
    const tumorMean = (1 - germlineShare) * perSubject;
    let tumors = 0;
    if (tumorMean > 0)
      tumors = tumorMean >= 1 ? 1 + random.poisson(tumorMean - 1) : random.chance(tumorMean) ? 1 : 0;
    if (!hasGermline && tumors === 0) tumors = tumorMean > 0 ? 1 : 0;

    const types: SampleType[] = [];
    if (hasGermline || tumors === 0) types.push('Germline');
    for (let i = 0; i < tumors; i += 1) types.push(random.weighted(tumorTypes));
    const ordinals = new Map<SampleType, number>();
    return types.map((type) => {
      const ordinal = (ordinals.get(type) ?? 0) + 1;
      ordinals.set(type, ordinal);
      const probabilities = type === 'Germline' ? spec.seqPerSample.germline : spec.seqPerSample.tumor;
      let sequencing = SEQUENCING.filter((kind) => random.chance(probabilities[kind]));
      if (sequencing.length === 0) {
        // Every sample in the catalog has at least one experiment: take the likeliest one.
        const likeliest = [...SEQUENCING].sort((a, b) => probabilities[b] - probabilities[a])[0]!;
        sequencing = [likeliest];
      }
      return { name: `${subjectName}_${SAMPLE_LETTERS[type]}${ordinal}`, type, sequencing };
    });
  }

  private subjectPublications(spec: DatasetSpec, diagnosisCode: string): PublicationRef[] {
    const random = this.random;
    if (!random.chance(spec.publicationShare)) return [];
    if (spec.code === 'PCGP') {
      const tumorType = PUBLICATIONS.pcgpByDiagnosis.get(diagnosisCode);
      if (tumorType === undefined) return [PUBLICATIONS.pcgpPerspective];
      return random.chance(0.3) ? [tumorType, PUBLICATIONS.pcgpPerspective] : [tumorType];
    }
    const paper = PUBLICATIONS.byDataset.get(spec.code);
    return paper === undefined ? [] : [paper];
  }

  /** Clinical Genomics releases monthly: each subject's embargo ends on the first of a release month. */
  private monthlyRelease(): string {
    const month = this.random.integer(12 * 7);
    const year = 2019 + Math.floor(month / 12);
    return `${year}-${String((month % 12) + 1).padStart(2, '0')}-01`;
  }

  private clinical(spec: DatasetSpec): CatalogFile['clinical'] {
    const random = this.random;
    const sex = random.weighted({ Male: 0.54, Female: 0.45, 'Not Available': 0.01 } as const);
    const age =
      spec.code === 'SGP' || random.chance(0.08)
        ? null
        : Math.round(Math.min(25, random.lognormal(6, 0.7)) * 10) / 10;
    return { sex, ageAtDiagnosisYears: age };
  }

  private file(
    spec: DatasetSpec,
    base: Pick<
      CatalogFile,
      'subjectName' | 'tissuePairing' | 'dau' | 'diagnosis' | 'embargoDate' | 'clinical'
    >,
    sample: PlannedSample,
    sequencing: SequencingType,
    fileType: FileType,
    datasets: DatasetCode[],
    publications: PublicationRef[],
    pairedSampleName: string | undefined,
    description: string | undefined,
  ): CatalogFile {
    const random = this.random;
    const id = `file-${random.text(ID_ALPHABET, 24)}`;
    const pairSuffix = pairedSampleName?.slice(pairedSampleName.indexOf('_') + 1);
    const fileName = nameOf(sample.name, sequencing, fileType, pairSuffix);
    const sizeKey =
      fileType === 'BAM' && sequencing === 'WGS'
        ? `BAM|WGS|${spec.clinicalWgs ? 'clinical' : 'research'}`
        : fileType === 'BAM' || fileType === 'gVCF'
          ? `${fileType}|${sequencing}`
          : fileType;
    const size = FILE_SIZES[sizeKey]!;
    const indexSuffix = fileType === 'BAM' ? '.bai' : '.tbi';
    const access = ACCESS_BY_DAU.get(base.dau as DauId) ?? 'controlled';
    const folder = fileType.toLowerCase().replace(/ /g, '-');
    return {
      id,
      pk: base.dau,
      docType: 'file',
      schemaVersion: 1,
      fileId: id,
      fileName,
      filePath: `/${access === 'open' ? 'open' : 'restricted'}/${folder}/${fileName}`,
      fileType,
      fileSizeBytes: Math.min(999_999_999_999, Math.round(random.lognormal(size.medianGb, size.sigma) * 1e9)),
      indexFile:
        size.indexMb === undefined
          ? null
          : {
              fileName: `${fileName}${indexSuffix}`,
              fileSizeBytes: Math.round(random.lognormal(size.indexMb, 0.1) * 1e6),
            },
      md5: random.text('0123456789abcdef', 32),
      sequencingType: sequencing,
      sampleName: sample.name,
      sampleType: sample.type,
      subjectName: base.subjectName,
      tissuePairing: base.tissuePairing,
      ...(pairedSampleName === undefined ? {} : { pairedSampleName }),
      dau: base.dau,
      datasets,
      datasetAccessions: datasets.map((code) =>
        code === CICERO_BENCHMARK.code ? CICERO_BENCHMARK.accession : spec.accession,
      ),
      diagnosis: base.diagnosis,
      publications,
      embargoDate: base.embargoDate,
      pipeline: PIPELINES[fileType === 'BAM' && sequencing === 'RNA-Seq' ? 'RNA BAM' : fileType],
      genomeBuild: 'GRCh38_no_alt',
      clinical: base.clinical,
      description: description ?? null,
      dataAccessLevel: access,
      vendable: true,
      released: true,
      createdAt: this.createdAt,
      updatedAt: this.createdAt,
    };
  }
}

function nameOf(sample: string, sequencing: SequencingType, fileType: FileType, pairSuffix?: string): string {
  switch (fileType) {
    case 'BAM':
      return `${sample}.${sequencing}.bam`;
    case 'gVCF':
      return `${sample}.${sequencing}.gvcf.gz`;
    case 'Somatic VCF':
      return `${sample}_${pairSuffix}.${sequencing}.somatic.vcf.gz`;
    case 'CNV':
      return `${sample}_${pairSuffix}.CONSERTING.CNV.txt`;
    case 'Feature Counts':
      return `${sample}.RNA-Seq.feature-counts.txt`;
  }
}

const PIPELINES: Readonly<Record<FileType | 'RNA BAM', { name: string; version: string }>> = {
  BAM: { name: 'Microsoft Genomics Service', version: '1.0' },
  'RNA BAM': { name: 'STAR 2-pass (RNA-Seq v2)', version: '2.7.1a' },
  gVCF: { name: 'Microsoft Genomics Service', version: '1.0' },
  'Somatic VCF': { name: 'St. Jude somatic pipeline', version: '2.1' },
  CNV: { name: 'CONSERTING', version: '1.0' },
  'Feature Counts': { name: 'HTSeq', version: '0.11.2' },
};
