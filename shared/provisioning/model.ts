/**
 * Vending (DESIGN §1 step 6, §8): what a vend copies, where it lands, and the record it leaves on the DAU.
 *
 * Layout of a requester's project space: one container per project in the vending storage account (named from
 * the wizard's project name and the owner, so two people's "My project" never share one), the wizard's folder
 * inside it, and under the folder each file at its catalog path (`restricted/bam/…`, `restricted/gvcf/…`,
 * `open/…`), its index file beside it, plus one `SAMPLE_INFO.txt` describing everything vended there.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { dauIdSchema, FILE_TYPES, type DauId } from '../catalog/model';

/** One blob to copy: a catalog file or its index file, with what SAMPLE_INFO.txt says about it. */
export const vendedFileSchema = z.object({
  /** The catalog file id (an index file carries the id of its file). */
  fileId: z.string().min(1),
  /** Path inside the source container and, under the folder, inside the project container. */
  path: z.string().min(1).max(1024),
  /** The catalog's size: the true size of the data, whatever the local synthetic blob holds. */
  bytes: z.number().int().min(0),
  /** The index file of `fileId` (a `.bai`, `.tbi`), not a data file. */
  index: z.boolean(),
  fileType: z.enum(FILE_TYPES),
  sampleName: z.string(),
  subjectName: z.string(),
  sampleType: z.string(),
  sequencingType: z.string(),
  tissuePairing: z.string(),
  diagnosis: z.string(),
});
export type VendedFile = z.infer<typeof vendedFileSchema>;

/** A batch of the copy plan: what one copy activity does. */
export const planBatchSchema = z.array(vendedFileSchema);

/** Where a request's files go: its project container and the folder in it. */
export const projectSpaceSchema = z.object({
  container: z.string().min(3).max(63),
  folder: z.string().min(1).max(100),
});
export type ProjectSpace = z.infer<typeof projectSpaceSchema>;

/**
 * The DAU's `vending` record (a stage record on the request): how far the copy is, where it goes, when it
 * ended. `files`/`bytes` count data files (index files travel with them and are not counted apart).
 */
export const vendingRecordSchema = z.looseObject({
  status: z.enum(['copying', 'vended', 'removed']),
  container: z.string(),
  folder: z.string(),
  files: z.number().int().min(0),
  bytes: z.number().int().min(0),
  filesDone: z.number().int().min(0),
  bytesDone: z.number().int().min(0),
  /** Batches of the plan (`vending-plans`), to find every vended file again when access ends. */
  batches: z.number().int().min(0).optional(),
  startedAt: z.iso.datetime(),
  vendedAt: z.iso.datetime().optional(),
  grantId: z.string().optional(),
  expiresAt: z.iso.datetime().optional(),
  /** Set by the grant's orchestration ~30 days before expiry: the request shows `expiring`. */
  expiringSoon: z.boolean().optional(),
  removedAt: z.iso.datetime().optional(),
});
export type VendingRecord = z.infer<typeof vendingRecordSchema>;

// --- names ---------------------------------------------------------------------------------------------

const MAX_CONTAINER = 63;
const HASH_CHARS = 10;

/**
 * The project's container: a readable slug of the project name and a hash of (owner, project name), so the
 * same owner's same project always lands in the same container and another owner's never does. Container
 * names are 3–63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit.
 */
export function projectContainerName(ownerId: string, projectName: string): string {
  const hash = createHash('sha256')
    .update(`${ownerId}\n${projectName.trim().toLowerCase()}`)
    .digest('hex')
    .slice(0, HASH_CHARS);
  const slug = projectName
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, MAX_CONTAINER - HASH_CHARS - 1 - 'prj-'.length)
    .replace(/-+$/, '');
  return `prj-${slug === '' ? '' : `${slug}-`}${hash}`;
}

/**
 * The folder as the wizard named it, made safe as a blob-name prefix: no slashes (one level), no dot
 * segments, no control characters; `data` when nothing is left.
 */
export function projectFolderName(folderName: string | null | undefined): string {
  const cleaned = (folderName ?? '')
    .normalize('NFC')
    // eslint-disable-next-line no-control-regex -- control characters are what this removes
    .replace(/[\u0000-\u001f\u007f\\/]+/g, '-')
    .trim()
    .replace(/^\.+$/, '')
    .slice(0, 100);
  return cleaned === '' ? 'data' : cleaned;
}

/** Where a vended file lives in the project container. */
export function destinationPath(space: ProjectSpace, file: Pick<VendedFile, 'path'>): string {
  return `${space.folder}/${file.path.replace(/^\/+/, '')}`;
}

/** The manifest of what was vended into a folder. */
export function sampleInfoPath(space: ProjectSpace): string {
  return `${space.folder}/SAMPLE_INFO.txt`;
}

// --- SAMPLE_INFO.txt ----------------------------------------------------------------------------------

/** Columns after St. Jude Cloud's SAMPLE_INFO.txt, plus the DAU a file was granted under. */
const SAMPLE_INFO_COLUMNS = [
  'file_path',
  'file_type',
  'file_size',
  'sample_name',
  'subject_name',
  'sample_type',
  'sequencing_type',
  'tissue_pairing',
  'diagnosis',
  'dau',
] as const;

export interface SampleInfoRow {
  readonly path: string;
  readonly dau: DauId;
  readonly cells: readonly string[];
}

const tsvCell = (value: string): string => value.replace(/[\t\r\n]+/g, ' ');

/** The SAMPLE_INFO rows of a DAU's vended data files (index files travel with them and have no row). */
export function sampleInfoRows(dau: DauId, files: readonly VendedFile[]): SampleInfoRow[] {
  return files
    .filter((file) => !file.index)
    .map((file) => ({
      path: file.path,
      dau,
      cells: [
        file.path,
        file.fileType,
        String(file.bytes),
        file.sampleName,
        file.subjectName,
        file.sampleType,
        file.sequencingType,
        file.tissuePairing,
        file.diagnosis,
        dau,
      ].map(tsvCell),
    }));
}

/** Reads a SAMPLE_INFO.txt this module wrote (unknown lines are dropped). */
export function parseSampleInfo(text: string): SampleInfoRow[] {
  const rows: SampleInfoRow[] = [];
  for (const line of text.split('\n').slice(1)) {
    const cells = line.split('\t');
    const dau = dauIdSchema.safeParse(cells[SAMPLE_INFO_COLUMNS.length - 1]);
    if (cells.length !== SAMPLE_INFO_COLUMNS.length || !dau.success) continue;
    rows.push({ path: cells[0]!, dau: dau.data, cells });
  }
  return rows;
}

/**
 * SAMPLE_INFO.txt after a change: `existing`'s rows without those of `dau`, plus `added` (a vend replaces its
 * DAU's rows; a removal passes none), sorted by path so equal contents give equal bytes.
 */
export function renderSampleInfo(
  existing: readonly SampleInfoRow[],
  dau: DauId,
  added: readonly SampleInfoRow[],
): string {
  const rows = [...existing.filter((row) => row.dau !== dau), ...added].sort((a, b) =>
    a.path < b.path ? -1 : a.path > b.path ? 1 : 0,
  );
  return [SAMPLE_INFO_COLUMNS.join('\t'), ...rows.map((row) => row.cells.join('\t'))].join('\n') + '\n';
}

// --- batching ------------------------------------------------------------------------------------------

/** Blobs per copy activity: small enough that a retried batch repeats little, large enough to be few. */
export const FILES_PER_BATCH = 100;
/** Copy activities running at once for one DAU (each copies several blobs concurrently itself). */
export const BATCHES_IN_FLIGHT = 8;

/** What the dashboard shows of a DAU's vend: how far the copy is, and until when access lasts. */
export const vendingSummarySchema = z
  .object({
    status: z.string(),
    files: z.number().int(),
    bytes: z.number().int(),
    filesDone: z.number().int(),
    bytesDone: z.number().int(),
    expiresAt: z.iso.datetime().nullable(),
    expiringSoon: z.boolean(),
  })
  .meta({ id: 'VendingSummary' });
export type VendingSummary = z.infer<typeof vendingSummarySchema>;

export function vendingSummaryOf(vending: unknown): VendingSummary | null {
  const parsed = vendingRecordSchema.safeParse(vending);
  if (!parsed.success) return null;
  const { status, files, bytes, filesDone, bytesDone, expiresAt, expiringSoon } = parsed.data;
  return {
    status,
    files,
    bytes,
    filesDone,
    bytesDone,
    expiresAt: expiresAt ?? null,
    expiringSoon: expiringSoon === true,
  };
}
