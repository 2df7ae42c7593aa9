import { z } from 'zod';
import {
  catalogFileSchema,
  DATASET_CODES,
  dauIdSchema,
  diagnosisSchema,
  FILE_TYPES,
  indexFileSchema,
  publicationRefSchema,
  SAMPLE_TYPES,
  SEQUENCING_TYPES,
  TISSUE_TYPES,
  type CatalogFile,
} from '../model';

/** The part of a catalog file the in-memory index keeps: what browsing, selection and the manifest need. */
export const indexedFileSchema = z.object({
  id: z.string(),
  fileName: z.string(),
  filePath: z.string(),
  fileType: z.enum(FILE_TYPES),
  fileSizeBytes: z.number().int().min(0),
  indexFile: indexFileSchema.nullable().optional(),
  sequencingType: z.enum(SEQUENCING_TYPES),
  sampleName: z.string(),
  sampleType: z.enum(SAMPLE_TYPES),
  subjectName: z.string(),
  tissuePairing: z.enum(TISSUE_TYPES),
  pairedSampleName: z.string().nullable().optional(),
  dau: dauIdSchema,
  datasets: z.array(z.enum(DATASET_CODES)),
  diagnosis: diagnosisSchema,
  publications: z.array(publicationRefSchema).optional(),
  embargoDate: z.string(),
});
export type IndexedFile = z.infer<typeof indexedFileSchema>;

export function toIndexedFile(file: CatalogFile): IndexedFile {
  return {
    id: file.id,
    fileName: file.fileName,
    filePath: file.filePath,
    fileType: file.fileType,
    fileSizeBytes: file.fileSizeBytes,
    indexFile: file.indexFile ?? null,
    sequencingType: file.sequencingType,
    sampleName: file.sampleName,
    sampleType: file.sampleType,
    subjectName: file.subjectName,
    tissuePairing: file.tissuePairing,
    pairedSampleName: file.pairedSampleName ?? null,
    dau: file.dau,
    datasets: file.datasets,
    diagnosis: file.diagnosis,
    publications: file.publications ?? [],
    embargoDate: file.embargoDate,
  };
}

/** Parses a stored catalog document (system properties already removed) into what the index keeps. */
export function parseIndexedFile(document: unknown): IndexedFile {
  return toIndexedFile(catalogFileSchema.parse(document));
}
