import { z } from 'zod';
import { Dictionary } from './engine/build-index';
import type { IndexedFile } from './engine/indexed-file';
import {
  DATASET_CODES,
  dauIdSchema,
  diagnosisSchema,
  fileTypeSchema,
  publicationRefSchema,
  sampleTypeSchema,
  sequencingTypeSchema,
  tissueTypeSchema,
  type Diagnosis,
  type PublicationRef,
} from './model';

/**
 * A compact snapshot of the catalog for cold starts: one row (a tuple) per file with repeated values
 * (diagnoses, data set lists, publication lists, embargo dates) in dictionaries, cut into parts small enough
 * for one Cosmos document each, plus the change-feed position the snapshot is valid at. A new instance reads
 * a handful of documents instead of every file, then only the changes after that position.
 */
export const SNAPSHOT_FORMAT = 1;
/** Characters of rows per part; a Cosmos document may hold 2 MB. */
export const SNAPSHOT_PART_CHARS = 1_500_000;

const nullableString = z.string().nullable();
export const snapshotRowSchema = z.tuple([
  z.string(), // id
  z.string(), // fileName
  z.string(), // filePath
  fileTypeSchema,
  z.number().int().min(0), // fileSizeBytes
  nullableString, // index file name
  z.number().int().min(0).nullable(), // index file size
  sequencingTypeSchema,
  z.string(), // sampleName
  sampleTypeSchema,
  z.string(), // subjectName
  tissueTypeSchema,
  nullableString, // pairedSampleName
  dauIdSchema,
  z.number().int().min(0), // data set list
  z.number().int().min(0), // diagnosis
  z.number().int().min(0), // publication list
  z.number().int().min(0), // embargo date
]);
type SnapshotRow = z.infer<typeof snapshotRowSchema>;

export const snapshotHeadSchema = z.object({
  format: z.literal(SNAPSHOT_FORMAT),
  snapshotId: z.string().min(1),
  continuation: z.string().min(1),
  fileCount: z.number().int().min(0),
  partCount: z.number().int().min(0),
  indexVersion: z.string(),
  takenAt: z.iso.datetime(),
  dictionaries: z.object({
    datasetLists: z.array(z.array(z.enum(DATASET_CODES))),
    diagnoses: z.array(diagnosisSchema),
    publicationLists: z.array(z.array(publicationRefSchema)),
    embargoDates: z.array(z.string()),
  }),
});
export type SnapshotHead = z.infer<typeof snapshotHeadSchema>;

export const snapshotPartSchema = z.object({
  part: z.number().int().min(0),
  rows: z.array(snapshotRowSchema),
});

/** Interns a structured value by its JSON text. */
function internJson<T>(dictionary: Dictionary<T>, value: T): number {
  return dictionary.idOf(JSON.stringify(value), value);
}

export function encodeSnapshot(
  files: Iterable<IndexedFile>,
  info: { snapshotId: string; continuation: string; indexVersion: string; takenAt: string },
  partChars = SNAPSHOT_PART_CHARS,
): { head: SnapshotHead; parts: SnapshotRow[][] } {
  const datasetLists = new Dictionary<(typeof DATASET_CODES)[number][]>();
  const diagnoses = new Dictionary<Diagnosis>();
  const publicationLists = new Dictionary<PublicationRef[]>();
  const embargoDates = new Dictionary<string>();
  const parts: SnapshotRow[][] = [];
  let part: SnapshotRow[] = [];
  let usedChars = 0;
  let fileCount = 0;
  for (const file of files) {
    const row: SnapshotRow = [
      file.id,
      file.fileName,
      file.filePath,
      file.fileType,
      file.fileSizeBytes,
      file.indexFile?.fileName ?? null,
      file.indexFile?.fileSizeBytes ?? null,
      file.sequencingType,
      file.sampleName,
      file.sampleType,
      file.subjectName,
      file.tissuePairing,
      file.pairedSampleName ?? null,
      file.dau,
      internJson(datasetLists, file.datasets),
      internJson(diagnoses, file.diagnosis),
      internJson(publicationLists, file.publications ?? []),
      embargoDates.idOf(file.embargoDate, file.embargoDate),
    ];
    const chars = JSON.stringify(row).length + 1;
    if (usedChars + chars > partChars && part.length > 0) {
      parts.push(part);
      part = [];
      usedChars = 0;
    }
    part.push(row);
    usedChars += chars;
    fileCount += 1;
  }
  if (part.length > 0) parts.push(part);
  return {
    head: {
      format: SNAPSHOT_FORMAT,
      ...info,
      fileCount,
      partCount: parts.length,
      dictionaries: {
        datasetLists: datasetLists.values,
        diagnoses: diagnoses.values,
        publicationLists: publicationLists.values,
        embargoDates: embargoDates.values,
      },
    },
    parts,
  };
}

/** The files of a snapshot; throws if a part is missing or a row does not fit the dictionaries. */
export function* decodeSnapshot(head: SnapshotHead, parts: readonly z.infer<typeof snapshotPartSchema>[]) {
  if (parts.length !== head.partCount || parts.some((part, index) => part.part !== index)) {
    throw new Error(`Snapshot ${head.snapshotId} is incomplete`);
  }
  const { datasetLists, diagnoses, publicationLists, embargoDates } = head.dictionaries;
  const lookup = <T>(values: readonly T[], index: number): T => {
    const value = values[index];
    if (value === undefined)
      throw new Error(`Snapshot ${head.snapshotId} refers to a missing dictionary entry`);
    return value;
  };
  for (const part of parts) {
    for (const row of part.rows) {
      const file: IndexedFile = {
        id: row[0],
        fileName: row[1],
        filePath: row[2],
        fileType: row[3],
        fileSizeBytes: row[4],
        indexFile: row[5] === null ? null : { fileName: row[5], fileSizeBytes: row[6] ?? 0 },
        sequencingType: row[7],
        sampleName: row[8],
        sampleType: row[9],
        subjectName: row[10],
        tissuePairing: row[11],
        pairedSampleName: row[12],
        dau: row[13],
        datasets: lookup(datasetLists, row[14]),
        diagnosis: lookup(diagnoses, row[15]),
        publications: lookup(publicationLists, row[16]),
        embargoDate: lookup(embargoDates, row[17]),
      };
      yield file;
    }
  }
}
