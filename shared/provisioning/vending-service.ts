/**
 * Vending's use cases (DESIGN §8): the steps the `dauVending` orchestration runs as activities — plan, copy a
 * batch, record progress, complete (SAMPLE_INFO.txt, the grant, the DAU active) — each idempotent, since
 * activities run at least once and the host may die anywhere.
 */
import type { Dau, DauId } from '../catalog/model';
import { grantId as grantIdOf, type GrantDocument } from '../grants/model';
import type { GrantStore } from '../grants/ports';
import type { NotificationInput } from '../notifications/model';
import type { NewEvent, RequestDau, RequestDocument } from '../requests/model';
import type { SelectionArchive } from '../requests/ports';
import { withDau, type RequestProgress } from '../requests/progress';
import { defaultFolderName } from '../requests/wizard';
import {
  FILES_PER_BATCH,
  projectContainerName,
  projectFolderName,
  renderSampleInfo,
  parseSampleInfo,
  sampleInfoRows,
  vendingRecordSchema,
  type ProjectSpace,
  type VendedFile,
  type VendingRecord,
} from './model';
import type { CatalogFileSource, CopyOutcome, PlanStore, ProjectStorage } from './ports';

export interface VendingDependencies {
  readonly progress: RequestProgress;
  readonly archive: Pick<SelectionArchive, 'read'>;
  readonly catalogFiles: CatalogFileSource;
  /** The catalog's DAUs (their access duration). */
  readonly daus: () => Promise<readonly Dau[]>;
  readonly plans: PlanStore;
  readonly storage: ProjectStorage;
  readonly grants: GrantStore;
}

export type PlannedVend =
  | {
      readonly kind: 'copy';
      readonly space: ProjectSpace;
      readonly batches: { files: number; bytes: number }[];
      readonly files: number;
      readonly bytes: number;
    }
  | { readonly kind: 'ended'; readonly status: string };

/** DAU statuses a vend may (re)run in: it never brings back access that ended. */
const vendableStatuses: ReadonlySet<RequestDau['status']> = new Set([
  'submitted',
  'approved',
  'provisioning',
  'active',
]);

export const vendingActor = { kind: 'system', id: 'dauVending' } as const;

export class VendingService {
  constructor(private readonly dependencies: VendingDependencies) {}

  /** The project space of a request: its container and folder, as the wizard named them. */
  static spaceOf(request: RequestDocument): ProjectSpace {
    const destination = request.answers.destination;
    const projectName = destination?.projectName?.trim() || request.id;
    return {
      container: projectContainerName(request.ownerId, projectName),
      folder: projectFolderName(destination?.folderName ?? defaultFolderName(request.createdAt)),
    };
  }

  /**
   * Plans the DAU's vend: its files of the frozen selection, in batches (stored beside, not in the history),
   * the project space created, and the DAU `provisioning` with its totals.
   */
  async plan(requestId: string, dauId: DauId, now: string): Promise<PlannedVend> {
    const { progress, archive, catalogFiles, plans, storage } = this.dependencies;
    const request = await progress.read(requestId);
    const dau = dauOf(request, dauId);
    if (!vendableStatuses.has(dau.status)) return { kind: 'ended', status: dau.status };
    const frozen = request.selection.frozen;
    if (frozen === null) throw new Error(`Request ${requestId} has no frozen selection`);
    const ids = new Set<string>();
    for await (const id of archive.read(frozen.blobName)) ids.add(id);
    const files = (await catalogFiles.vendableFiles(dauId, ids)).sort((a, b) =>
      a.path < b.path ? -1 : a.path > b.path ? 1 : 0,
    );
    const batches = chunks(files, FILES_PER_BATCH);
    const space = VendingService.spaceOf(request);
    await plans.write(requestId, dauId, batches);
    await storage.ensureSpace(space);
    const sizes = batches.map((batch) => dataTotals(batch));
    const totals = dataTotals(files);
    await progress.apply(
      requestId,
      (current) =>
        withDau(current, dauId, (entry) => {
          const record = vendingRecordOf(entry);
          if (entry.status === 'provisioning' && record?.status === 'copying') return entry;
          const started: VendingRecord = {
            ...(record ?? {}),
            status: 'copying',
            ...space,
            ...totals,
            filesDone: 0,
            bytesDone: 0,
            batches: batches.length,
            startedAt: now,
          };
          return { ...entry, status: 'provisioning', vending: started };
        }),
      [
        event('vending.started', requestId, dauId, `started:${now}`, now, {
          ...space,
          ...totals,
          batches: batches.length,
        }),
      ],
    );
    return { kind: 'copy', space, batches: sizes, ...totals };
  }

  async copyBatch(requestId: string, dauId: DauId, space: ProjectSpace, batch: number): Promise<CopyOutcome> {
    const files = await this.dependencies.plans.read(requestId, dauId, batch);
    return this.dependencies.storage.copy(space, dauId, files);
  }

  /** Files and bytes copied so far (only ever forward: a late retry of an earlier window changes nothing). */
  async recordProgress(requestId: string, dauId: DauId, filesDone: number, bytesDone: number): Promise<void> {
    await this.dependencies.progress.apply(requestId, (current) =>
      withDau(current, dauId, (entry) => {
        const record = vendingRecordOf(entry);
        if (record?.status !== 'copying' || record.filesDone >= filesDone) return entry;
        return { ...entry, vending: { ...record, filesDone, bytesDone } };
      }),
    );
  }

  /**
   * Ends the vend: SAMPLE_INFO.txt lists the DAU's files, the grant is written by id (expiry = approval + the
   * DAU's access duration), the DAU is `active`. Answers the grant and the requester's mail.
   */
  async complete(input: {
    requestId: string;
    dauId: DauId;
    space: ProjectSpace;
    batches: number;
    approvedAt: string;
    now: string;
  }): Promise<{ grant: GrantDocument; notification: NotificationInput | undefined }> {
    const { requestId, dauId, space, now } = input;
    const { progress, storage, grants } = this.dependencies;
    const files = await this.plannedFiles(requestId, dauId, input.batches);
    const rows = sampleInfoRows(dauId, files);
    await storage.updateSampleInfo(space, (current) =>
      renderSampleInfo(parseSampleInfo(current), dauId, rows),
    );

    const request = await progress.read(requestId);
    const dau = dauOf(request, dauId);
    const catalogDau = (await this.dependencies.daus()).find((candidate) => candidate.id === dauId);
    const durationDays = catalogDau?.accessDurationDays ?? 365;
    const grant = await grants.put({
      id: grantIdOf(requestId, dauId),
      userId: request.ownerId,
      docType: 'grant',
      dauId,
      requestId,
      grantedAt: input.approvedAt,
      expiresAt: new Date(Date.parse(input.approvedAt) + durationDays * 24 * 3600_000).toISOString(),
      // Open data may always be downloaded; controlled data only when the agreement asked for it.
      downloadAllowed: dau.access === 'open' || request.answers.download?.wanted === true,
      status: 'active',
      updatedAt: now,
    });
    const totals = dataTotals(files);
    await progress.apply(
      requestId,
      (current) =>
        withDau(current, dauId, (entry) => {
          const record = vendingRecordOf(entry);
          if (record?.status === 'vended' || !vendableStatuses.has(entry.status)) return entry;
          const vended: VendingRecord = {
            ...(record ?? { ...space, startedAt: now }),
            status: 'vended',
            ...totals,
            filesDone: totals.files,
            bytesDone: totals.bytes,
            vendedAt: now,
            grantId: grant.id,
            expiresAt: grant.expiresAt,
          };
          return { ...entry, status: 'active', vending: vended };
        }),
      [
        event('vending.dau-vended', requestId, dauId, 'vended', now, {
          ...space,
          ...totals,
          grantId: grant.id,
          expiresAt: grant.expiresAt,
          downloadAllowed: grant.downloadAllowed,
        }),
      ],
    );
    const notification = mailTo(request, {
      event: 'data_vended',
      daus: [{ id: dau.id, name: dau.name }],
      fileCount: totals.files,
      // One mail per DAU vended: the DAU tells them apart.
      occurrence: dauId,
    });
    return { grant, notification };
  }

  /** Every file of the DAU's plan (its batches in order). */
  async plannedFiles(requestId: string, dauId: DauId, batches: number): Promise<VendedFile[]> {
    const files: VendedFile[] = [];
    for (let batch = 0; batch < batches; batch += 1) {
      files.push(...(await this.dependencies.plans.read(requestId, dauId, batch)));
    }
    return files;
  }
}

export function dauOf(request: RequestDocument, dauId: string): RequestDau {
  const dau = request.daus.find((candidate) => candidate.id === dauId);
  if (dau === undefined) throw new Error(`Request ${request.id} has no DAU ${dauId}`);
  return dau;
}

export function vendingRecordOf(dau: RequestDau): VendingRecord | undefined {
  const parsed = vendingRecordSchema.safeParse(dau.vending);
  return parsed.success ? parsed.data : undefined;
}

type WithoutRequestFields<T> = T extends unknown
  ? Omit<T, 'requestId' | 'projectName' | 'recipients'>
  : never;

/** A notification to the request's owner (undefined when their token carried no e-mail). */
export function mailTo(
  request: RequestDocument,
  fields: WithoutRequestFields<NotificationInput>,
): NotificationInput | undefined {
  if (request.owner.email === null) return undefined;
  return {
    ...fields,
    requestId: request.id,
    projectName: request.answers.destination?.projectName?.trim() || 'Untitled request',
    recipients: [
      {
        address: request.owner.email,
        ...(request.owner.name === null ? {} : { displayName: request.owner.name }),
      },
    ],
  } as NotificationInput;
}

export function event(
  type: string,
  requestId: string,
  dauId: string,
  key: string,
  at: string,
  details: Record<string, unknown>,
  actor: NewEvent['actor'] = vendingActor,
): NewEvent {
  return {
    type,
    actor,
    at,
    details: { dauId, ...details },
    idempotencyKey: `request:${requestId}:${type}:${dauId}:${key}`,
  };
}

/** Data files and their bytes (index files travel with their file and are not counted apart). */
function dataTotals(files: readonly VendedFile[]): { files: number; bytes: number } {
  let count = 0;
  let bytes = 0;
  for (const file of files) {
    if (file.index) continue;
    count += 1;
    bytes += file.bytes;
  }
  return { files: count, bytes };
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
}
