import { z } from 'zod';

/**
 * The catalog's domain model: one vendable file (after St. Jude Cloud's SAMPLE_INFO.txt, see
 * `catalog-file.schema.json`), the Data Access Units (DAUs) access is granted on, and the browsing query.
 * Types are derived from the zod schemas, so what is parsed at a boundary is what the code works with.
 */

export const SEQUENCING_TYPES = ['WGS', 'WES', 'RNA-Seq'] as const;
export const SAMPLE_TYPES = [
  'Diagnosis',
  'Relapse',
  'Germline',
  'Metastasis',
  'Xenograft',
  'Autopsy',
  'Cell line',
] as const;
export const FILE_TYPES = ['BAM', 'gVCF', 'Somatic VCF', 'CNV', 'Feature Counts'] as const;
export const TISSUE_TYPES = ['Paired Tumor-Normal', 'Germline Only', 'Tumor Only'] as const;
export const DAU_IDS = ['PCGP', 'SJLIFE', 'Clinical Genomics', 'SGP', 'CCSS', 'PanALL'] as const;
export const DATASET_CODES = [
  'PCGP',
  'SJLIFE',
  'CCSS',
  'SGP',
  'PanALL',
  'CSTN',
  'Cicero Benchmark',
  'Clinical Pilot',
  'G4K',
  'RTCG',
  'tMN',
  'PedAML',
  'BMF/MDS',
  'RPAML',
  'MBPRG',
  'MBPRP',
  'PBTP',
  'H3K27A_EVOLUTION',
] as const;
export const DIAGNOSIS_GROUPS = [
  'Hematologic Malignancy',
  'Solid Tumor',
  'Brain Tumor',
  'Germ Cell Tumor',
  'Non-Malignancy',
  'Normal',
  'Sickle Cell Disease',
  'Not Applicable',
] as const;
export const CATALOG_TABS = ['diagnosis', 'publication', 'study', 'sample'] as const;
export const ACCESS_TYPES = ['open', 'controlled'] as const;

export const sequencingTypeSchema = z.enum(SEQUENCING_TYPES);
export const sampleTypeSchema = z.enum(SAMPLE_TYPES);
export const fileTypeSchema = z.enum(FILE_TYPES);
export const tissueTypeSchema = z.enum(TISSUE_TYPES);
export const dauIdSchema = z.enum(DAU_IDS);
export const datasetCodeSchema = z.enum(DATASET_CODES);
export const diagnosisGroupSchema = z.enum(DIAGNOSIS_GROUPS);
export const catalogTabSchema = z.enum(CATALOG_TABS);
export const accessTypeSchema = z.enum(ACCESS_TYPES);

export type SequencingType = z.infer<typeof sequencingTypeSchema>;
export type SampleType = z.infer<typeof sampleTypeSchema>;
export type FileType = z.infer<typeof fileTypeSchema>;
export type TissueType = z.infer<typeof tissueTypeSchema>;
export type DauId = z.infer<typeof dauIdSchema>;
export type DatasetCode = z.infer<typeof datasetCodeSchema>;
export type CatalogTab = z.infer<typeof catalogTabSchema>;
export type AccessType = z.infer<typeof accessTypeSchema>;

const isoDate = z.iso.date();
const nullableText = z.string().nullable();

export const publicationRefSchema = z.strictObject({
  accession: z.string().regex(/^SJC-PB-[0-9]{4}$/),
  pmid: z
    .string()
    .regex(/^[0-9]{6,9}$/)
    .nullable()
    .optional(),
  title: nullableText.optional(),
});
export type PublicationRef = z.infer<typeof publicationRefSchema>;

export const diagnosisSchema = z.strictObject({
  code: z.string().min(1),
  name: z.string().min(1),
  group: diagnosisGroupSchema,
  oncotreeCode: nullableText.optional(),
});
export type Diagnosis = z.infer<typeof diagnosisSchema>;

export const indexFileSchema = z.strictObject({
  fileName: z.string().min(1),
  fileSizeBytes: z.number().int().min(0),
});

/** The rules the reference schema states in its `allOf`; checked on every document we parse. */
function checkConsistency(file: CatalogFileShape, ctx: z.RefinementCtx): void {
  const problem = (message: string, path: string) => ctx.addIssue({ code: 'custom', message, path: [path] });
  if (file.fileType === 'Feature Counts' && file.sequencingType !== 'RNA-Seq') {
    problem('Feature Counts files come from RNA-Seq', 'sequencingType');
  }
  if (['gVCF', 'Somatic VCF', 'CNV'].includes(file.fileType) && file.sequencingType === 'RNA-Seq') {
    problem(`${file.fileType} files come from WGS or WES`, 'sequencingType');
  }
  if (file.fileType === 'CNV' && file.sequencingType !== 'WGS') {
    problem('CNV files come from WGS', 'sequencingType');
  }
  if (file.fileType === 'Somatic VCF' || file.fileType === 'CNV') {
    if (file.sampleType === 'Germline')
      problem(`${file.fileType} files describe a tumor sample`, 'sampleType');
    if (file.tissuePairing !== 'Paired Tumor-Normal') {
      problem(`${file.fileType} files need a tumor-normal pair`, 'tissuePairing');
    }
    if (file.pairedSampleName === undefined) {
      problem(`${file.fileType} files name their paired germline sample`, 'pairedSampleName');
    }
  }
  if (file.dau === 'SJLIFE' || file.dau === 'CCSS' || file.dau === 'SGP') {
    if (file.sampleType !== 'Germline') problem(`${file.dau} holds germline samples only`, 'sampleType');
    if (file.tissuePairing !== 'Germline Only') problem(`${file.dau} is Germline Only`, 'tissuePairing');
  }
  if (file.id !== file.fileId && file.fileId !== undefined) problem('id equals fileId', 'fileId');
}

const catalogFileObject = z.strictObject({
  id: z.string().regex(/^file-[0-9A-Za-z]{24}$/),
  pk: z.string().min(1),
  docType: z.literal('file'),
  schemaVersion: z.literal(1),
  fileId: z.string().optional(),
  fileName: z.string().min(1),
  filePath: z.string().min(1),
  fileType: fileTypeSchema,
  fileSizeBytes: z.number().int().min(0).max(999_999_999_999),
  indexFile: indexFileSchema.nullable().optional(),
  md5: z
    .string()
    .regex(/^[0-9a-f]{32}$/)
    .optional(),
  sequencingType: sequencingTypeSchema,
  sampleName: z.string().regex(/^SJ[A-Z0-9]+_[A-Z][0-9]*$/),
  sampleType: sampleTypeSchema,
  subjectName: z.string().min(1),
  tissuePairing: tissueTypeSchema,
  pairedSampleName: nullableText.optional(),
  dau: dauIdSchema,
  datasets: z
    .array(datasetCodeSchema)
    .min(1)
    .refine((codes) => new Set(codes).size === codes.length, 'datasets are unique'),
  datasetAccessions: z.array(z.string().regex(/^SJC-DS-[0-9]{4}$/)).optional(),
  diagnosis: diagnosisSchema,
  associatedDiagnoses: z.array(z.string()).optional(),
  attrDiagnosis: nullableText.optional(),
  subtypeBiomarkers: nullableText.optional(),
  publications: z.array(publicationRefSchema).optional(),
  egaAccessions: z.array(z.string().regex(/^EGA[DS][0-9]{11}$/)).optional(),
  embargoDate: isoDate,
  pipeline: z.strictObject({ name: z.string().optional(), version: nullableText.optional() }).optional(),
  genomeBuild: z.enum(['GRCh38_no_alt', 'hg19']).optional(),
  clinical: z
    .strictObject({
      ageAtDiagnosisYears: z.number().min(0).max(80).nullable().optional(),
      sex: z.enum(['Male', 'Female', 'Not Available']).nullable().optional(),
      race: z
        .enum([
          'White',
          'Black or African American',
          'Asian',
          'American Indian or Alaska Native',
          'Native Hawaiian or Other Pacific Islander',
          'Multiple Race',
          'Other',
          'Not Available',
        ])
        .nullable()
        .optional(),
      ethnicity: z
        .enum(['Hispanic or Latino', 'Not Hispanic or Latino', 'Not Available'])
        .nullable()
        .optional(),
    })
    .optional(),
  library: z
    .strictObject({
      selectionProtocol: z
        .enum(['PCR', 'PolyA', 'Total', 'Random', 'Not Available', 'Not Applicable'])
        .optional(),
      readLength: z.number().int().nullable().optional(),
      readType: nullableText.optional(),
      sequencingPlatform: nullableText.optional(),
      inferredStrandedness: nullableText.optional(),
      labStrandedness: nullableText.optional(),
      tissuePreservative: z.enum(['FFPE', 'Fresh/Frozen']).nullable().optional(),
    })
    .optional(),
  description: nullableText.optional(),
  dataAccessLevel: accessTypeSchema.optional(),
  vendable: z.boolean().optional(),
  released: z.boolean(),
  deleted: z.boolean().optional(),
  ttl: z.number().int().optional(),
  createdAt: z.iso.datetime().optional(),
  updatedAt: z.iso.datetime().optional(),
});
type CatalogFileShape = z.infer<typeof catalogFileObject>;

export const catalogFileSchema = catalogFileObject.superRefine(checkConsistency);
export type CatalogFile = z.infer<typeof catalogFileSchema>;

/** Cosmos adds system properties (`_rid`, `_etag`, `_ts`, ...) to every item; they are not part of the file. */
export function withoutSystemProperties(document: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(document).filter(([key]) => !key.startsWith('_')));
}

export const committeeMemberSchema = z.strictObject({
  name: z.string().min(1),
  email: z.email(),
});

/** A DUO (Data Use Ontology) term restricting what the data may be used for. */
export const useLimitationSchema = z.strictObject({
  code: z.string().regex(/^DUO:[0-9]{7}$/),
  label: z.string().min(1),
});

/**
 * How a DAU's committee reaches its decision on a request: the first member's decision; a majority of the
 * committee; or every member (one rejection ends it at once). Returning an agreement for revision is open to
 * any member whatever the rule.
 */
export const DECISION_RULES = ['first', 'majority', 'unanimous'] as const;
export const decisionRuleSchema = z.enum(DECISION_RULES);
export type DecisionRule = z.infer<typeof decisionRuleSchema>;

export const dauSchema = z.strictObject({
  id: dauIdSchema,
  docType: z.literal('dau'),
  name: z.string().min(1),
  description: z.string().min(1),
  access: accessTypeSchema,
  committeeMembers: z.array(committeeMemberSchema),
  accessDurationDays: z.number().int().positive().default(365),
  decisionRule: decisionRuleSchema.default('first'),
  embargoDate: isoDate.nullable(),
  datasets: z.array(datasetCodeSchema),
  useLimitations: z.array(useLimitationSchema),
});
export type Dau = z.infer<typeof dauSchema>;

// ---------------------------------------------------------------------------------------------------------
// Browsing queries

/** The four filter categories: OR inside one, AND across them; an empty list means "no filter". */
export const catalogFiltersSchema = z.strictObject({
  sequencingType: z.array(sequencingTypeSchema).default([]),
  sampleType: z.array(sampleTypeSchema).default([]),
  fileType: z.array(fileTypeSchema).default([]),
  tissueType: z.array(tissueTypeSchema).default([]),
});
export type CatalogFilters = z.infer<typeof catalogFiltersSchema>;
export const FILTER_CATEGORIES = ['sequencingType', 'sampleType', 'fileType', 'tissueType'] as const;
export type FilterCategory = (typeof FILTER_CATEGORIES)[number];
export const CATEGORY_VALUES: { readonly [C in FilterCategory]: readonly CatalogFilters[C][number][] } = {
  sequencingType: SEQUENCING_TYPES,
  sampleType: SAMPLE_TYPES,
  fileType: FILE_TYPES,
  tissueType: TISSUE_TYPES,
};

export const MAX_PAGE_SIZE = 500;
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_SEARCH_LENGTH = 100;

export const catalogQuerySchema = z.strictObject({
  tab: catalogTabSchema,
  filters: catalogFiltersSchema,
  pageSize: z.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
  continuation: z.string().max(1000).optional(),
  search: z.string().trim().min(1).max(MAX_SEARCH_LENGTH).optional(),
});
export type CatalogQuery = z.infer<typeof catalogQuerySchema>;

export const MAX_SELECTED_ROWS = 10_000;
export const MAX_SELECTED_SAMPLES = 50_000;

const noFilters = { sequencingType: [], sampleType: [], fileType: [], tissueType: [] };

/**
 * A selection: rows of a tab under filters, or sample names handed over by another app (a PeCan link).
 * One object with a refinement rather than a union, so a bad field is reported by its own name.
 */
export const selectionSchema = z
  .strictObject({
    tab: catalogTabSchema.optional(),
    rowIds: z.array(z.string().min(1).max(200)).min(1).max(MAX_SELECTED_ROWS).optional(),
    sampleNames: z.array(z.string().min(1).max(200)).min(1).max(MAX_SELECTED_SAMPLES).optional(),
    filters: catalogFiltersSchema.default(noFilters),
  })
  .superRefine((selection, context) => {
    if ((selection.sampleNames === undefined) === (selection.rowIds === undefined)) {
      context.addIssue({
        code: 'custom',
        path: ['rowIds'],
        message: 'give either rowIds (with tab) or sampleNames',
      });
    } else if (selection.rowIds !== undefined && selection.tab === undefined) {
      context.addIssue({ code: 'custom', path: ['tab'], message: 'is required with rowIds' });
    } else if (selection.sampleNames !== undefined && selection.tab !== undefined) {
      context.addIssue({ code: 'custom', path: ['tab'], message: 'is not allowed with sampleNames' });
    }
  })
  .transform(
    (
      selection,
    ):
      | { tab: CatalogTab; rowIds: string[]; filters: CatalogFilters }
      | { sampleNames: string[]; filters: CatalogFilters } =>
      selection.sampleNames !== undefined
        ? { sampleNames: selection.sampleNames, filters: selection.filters }
        : { tab: selection.tab!, rowIds: selection.rowIds!, filters: selection.filters },
  );
export type Selection = z.output<typeof selectionSchema>;

// ---------------------------------------------------------------------------------------------------------
// Answers

export const countsSchema = z.object({
  files: z.number().int(),
  samples: z.number().int(),
  subjects: z.number().int(),
  /** Primary files plus their index files (an index always travels with its file). */
  bytes: z.number(),
});
export type Counts = z.infer<typeof countsSchema>;

export const catalogRowSchema = z.object({ id: z.string(), label: z.string(), counts: countsSchema });
export type CatalogRow = z.infer<typeof catalogRowSchema>;

export const facetValueSchema = z.object({
  value: z.string(),
  files: z.number().int(),
  selected: z.boolean(),
});
export const facetsSchema = z.object({
  sequencingType: z.array(facetValueSchema),
  sampleType: z.array(facetValueSchema),
  fileType: z.array(facetValueSchema),
  tissueType: z.array(facetValueSchema),
});
export type Facets = z.infer<typeof facetsSchema>;

export const touchedDauSchema = z.object({
  id: dauIdSchema,
  name: z.string(),
  access: accessTypeSchema,
  files: z.number().int(),
  /** The caller holds a live grant on this DAU, so a request for it skips the agreement and the committee. */
  held: z.boolean(),
});
export type TouchedDau = z.infer<typeof touchedDauSchema>;

export const summarySchema = countsSchema.extend({ daus: z.array(touchedDauSchema) });
export type Summary = z.infer<typeof summarySchema>;

export const clickAnswerSchema = z.object({
  tab: catalogTabSchema,
  rows: z.array(catalogRowSchema),
  totalRows: z.number().int(),
  continuation: z.string().nullable(),
  facets: facetsSchema,
  summary: summarySchema,
  indexVersion: z.string(),
});
export type ClickAnswer = z.infer<typeof clickAnswerSchema>;

export const selectionAnswerSchema = z.object({
  files: z.number().int(),
  summary: summarySchema,
  unknownSampleNames: z.array(z.string()),
  unknownRowIds: z.array(z.string()),
  indexVersion: z.string(),
});
export type SelectionAnswer = z.infer<typeof selectionAnswerSchema>;
