/**
 * Access after a vend (DESIGN §1 step 7, §8): the vended files and their download links, the steps of a grant's
 * orchestration (reminder, end, extension, close-out check), and what requesters and admins ask of a grant
 * (close-out, extension, revocation, the extension decision). Time that decides something comes from the
 * orchestration (`at`); download links use real time, which the storage service checks them against.
 */
import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Dau, DauId } from '../catalog/model';
import { AppError, conflict, forbidden, problemKind, validationFailed } from '../http/errors';
import { requireOwner, requireRole, type Principal } from '../identity/principal';
import { grantId, isLive, type GrantDocument } from '../grants/model';
import type { GrantStore } from '../grants/ports';
import type { NotificationInput } from '../notifications/model';
import { StaleWriteError } from '../platform/stored';
import type { Actor, RequestDau, RequestDocument } from '../requests/model';
import { InvalidContinuationError } from '../requests/ports';
import { toDashboardItem, dashboardItemSchema } from '../requests/views';
import { withDau, type RequestProgress } from '../requests/progress';
import { parseSampleInfo, renderSampleInfo, type ProjectSpace, type VendingRecord } from './model';
import type { PlanStore, ProjectStorage, RequestDirectory, RequestDirectoryQuery } from './ports';
import { dauOf, event, mailTo, VendingService, vendingRecordOf } from './vending-service';

export const provisioningProblems = {
  downloadNotAllowed: problemKind('download-not-allowed', 403, 'Download is not allowed'),
  nothingToChange: problemKind('no-live-access', 409, 'No live access to act on'),
};

/** How lifecycle events reach a grant's orchestration (the durable client, in the function file). */
export interface GrantSignals {
  revoked(requestId: string, dauId: string, payload: { by: string; reason: string }): Promise<void>;
  extended(
    requestId: string,
    dauId: string,
    payload: { extensionId: string; approvedBy: string },
  ): Promise<void>;
  closedOut(requestId: string, dauId: string, payload: { at: string }): Promise<void>;
}

export interface AccessDependencies {
  readonly progress: RequestProgress;
  readonly grants: GrantStore;
  readonly plans: PlanStore;
  readonly storage: ProjectStorage;
  readonly daus: () => Promise<readonly Dau[]>;
  readonly directory: RequestDirectory;
  /** Real time (download links, the requester's and admins' actions). */
  readonly now: () => Date;
  readonly downloadLinkMinutes: number;
  /** Who is told of an overdue close-out (the admins' addresses; none: the timeline only). */
  readonly adminEmails: readonly string[];
}

export const vendedFileViewSchema = z
  .object({
    path: z.string(),
    dauId: z.string(),
    /** The catalog's size of the file. */
    bytes: z.number().int(),
    index: z.boolean(),
    /** A read-only link (SAS URL), present only when download is allowed and access is live. */
    downloadUrl: z.url().optional(),
  })
  .meta({ id: 'VendedFile' });

export const vendedFilesSchema = z
  .object({
    requestId: z.uuid(),
    container: z.string(),
    folder: z.string(),
    daus: z.array(
      z.object({
        id: z.string(),
        status: z.string(),
        downloadAllowed: z.boolean(),
        expiresAt: z.iso.datetime().nullable(),
        grantStatus: z.string().nullable(),
      }),
    ),
    files: z.array(vendedFileViewSchema),
    /** When the links in this page stop working; null without links. */
    linksExpireAt: z.iso.datetime().nullable(),
    continuation: z.string().nullable(),
  })
  .meta({ id: 'VendedFiles' });
export type VendedFiles = z.infer<typeof vendedFilesSchema>;

export const adminRequestListSchema = z
  .object({
    items: z.array(
      dashboardItemSchema.extend({
        owner: z.object({ subjectId: z.string(), email: z.string().nullable(), name: z.string().nullable() }),
      }),
    ),
    continuation: z.string().nullable(),
  })
  .meta({ id: 'AdminRequestList' });
export type AdminRequestList = z.infer<typeof adminRequestListSchema>;

export const closeoutBodySchema = z.strictObject({
  /** The requester attests that every downloaded copy of the data is destroyed. */
  attestation: z.literal(true, 'must be true: you attest that downloaded copies are destroyed'),
  statement: z.string().trim().min(1).max(2000).default('All downloaded copies have been destroyed.'),
});
export const revokeBodySchema = z.strictObject({ reason: z.string().trim().min(1).max(2000) });
export const extensionBodySchema = z.strictObject({ reason: z.string().trim().min(1).max(2000).optional() });
export const extensionDecisionBodySchema = z.strictObject({
  decision: z.enum(['approved', 'rejected']),
  reason: z.string().trim().min(1).max(2000).optional(),
});

const dayMs = 24 * 3600_000;

export class AccessService {
  constructor(private readonly dependencies: AccessDependencies) {}

  // --- the requester's view -------------------------------------------------------------------------

  /** The vended files of a request; links where download was granted and access is live. */
  async files(
    principal: Principal,
    requestId: string,
    options: { links: boolean | undefined; pageSize: number; continuation?: string },
  ): Promise<VendedFiles> {
    const request = await this.readable(principal, requestId);
    const space = VendingService.spaceOf(request);
    const vended = request.daus.filter((dau) => vendingRecordOf(dau) !== undefined);
    const grants = new Map(
      await Promise.all(vended.map(async (dau) => [dau.id, await this.grantOf(request, dau.id)] as const)),
    );
    const now = this.dependencies.now();
    const downloadable = new Set<string>(
      vended
        .filter((dau) => {
          const grant = grants.get(dau.id);
          return grant !== undefined && grant.downloadAllowed && isLive(grant, now);
        })
        .map((dau) => dau.id),
    );
    if (options.links === true && (vended.length === 0 || downloadable.size < vended.length)) {
      throw new AppError(
        provisioningProblems.downloadNotAllowed,
        'Download links are issued only for data whose agreement granted download, while access lasts.',
      );
    }
    const wantLinks = options.links !== false;
    const listed = new Set<string>(vended.map((dau) => dau.id));
    const page = await this.dependencies.storage.list(space, {
      pageSize: options.pageSize,
      continuation: options.continuation,
    });
    const linksExpire = new Date(now.getTime() + this.dependencies.downloadLinkMinutes * 60_000);
    let linked = false;
    const files = await Promise.all(
      page.files
        .filter((file) => listed.has(file.dauId))
        .map(async (file) => {
          const view = { path: file.path, dauId: file.dauId, bytes: file.bytes, index: file.index };
          if (!wantLinks || !downloadable.has(file.dauId)) return view;
          linked = true;
          return {
            ...view,
            downloadUrl: await this.dependencies.storage.downloadUrl(space, file.path, linksExpire),
          };
        }),
    );
    return {
      requestId,
      ...space,
      daus: vended.map((dau) => {
        const grant = grants.get(dau.id);
        return {
          id: dau.id,
          status: dau.status,
          downloadAllowed: downloadable.has(dau.id),
          expiresAt: grant?.expiresAt ?? null,
          grantStatus: grant?.status ?? null,
        };
      }),
      files,
      linksExpireAt: linked ? linksExpire.toISOString() : null,
      continuation: page.continuation ?? null,
    };
  }

  /** The requester attests that downloaded copies are destroyed; recorded once per grant. */
  async closeOut(
    principal: Principal,
    requestId: string,
    statement: string,
    signals: GrantSignals,
  ): Promise<{ closedOut: { dauId: string; at: string }[] }> {
    const request = await this.owned(principal, requestId);
    const at = this.dependencies.now().toISOString();
    const closedOut: { dauId: string; at: string }[] = [];
    for (const dau of request.daus) {
      const stored = await this.dependencies.grants.read(grantId(requestId, dau.id), request.ownerId);
      if (stored === undefined) continue;
      const recorded = await this.updateGrant(request, dau.id, (grant) =>
        grant.closeout !== undefined
          ? grant
          : { ...grant, closeout: { at, by: principal.subjectId, statement }, updatedAt: at },
      );
      closedOut.push({ dauId: dau.id, at: recorded.closeout!.at });
      await signals.closedOut(requestId, dau.id, { at: recorded.closeout!.at });
    }
    if (closedOut.length === 0)
      throw new AppError(provisioningProblems.nothingToChange, 'Nothing was vended for this request.');
    await this.dependencies.progress.apply(requestId, () => undefined, [
      {
        type: 'access.closed-out',
        actor: actorOf(principal, 'requester'),
        at: closedOut[0]!.at,
        details: { daus: closedOut.map((entry) => entry.dauId), statement },
        idempotencyKey: `request:${requestId}:access.closed-out`,
      },
    ]);
    return { closedOut };
  }

  /** The requester asks for another access period before expiry; an admin decides. */
  async requestExtension(
    principal: Principal,
    requestId: string,
    reason: string | undefined,
  ): Promise<{ extensionId: string; daus: string[] }> {
    const request = await this.owned(principal, requestId);
    const live = await this.liveDaus(request);
    if (live.length === 0) {
      throw new AppError(
        provisioningProblems.nothingToChange,
        'Only live access can be extended, before it expires.',
      );
    }
    const pending = live
      .map((dau) => extensionOf(dau))
      .find((extension) => extension?.status === 'requested');
    if (pending !== undefined) return { extensionId: pending.id, daus: live.map((dau) => dau.id) };
    const extensionId = randomUUID();
    const at = this.dependencies.now().toISOString();
    await this.dependencies.progress.apply(
      requestId,
      (current) =>
        live.reduce<RequestDocument>(
          (document, dau) =>
            withDau(document, dau.id, (entry) => ({
              ...entry,
              vending: {
                ...entry.vending!,
                extension: { id: extensionId, status: 'requested', requestedAt: at },
              },
            })) ?? document,
          current,
        ),
      [
        {
          type: 'access.extension-requested',
          actor: actorOf(principal, 'requester'),
          at,
          details: {
            extensionId,
            daus: live.map((dau) => dau.id),
            ...(reason === undefined ? {} : { reason }),
          },
          idempotencyKey: `request:${requestId}:access.extension-requested:${extensionId}`,
        },
      ],
    );
    return { extensionId, daus: live.map((dau) => dau.id) };
  }

  /** Every owner's submitted requests, newest first, filtered by status and DAU (admins only). */
  async adminList(principal: Principal, query: RequestDirectoryQuery): Promise<AdminRequestList> {
    requireRole(principal, 'admin');
    const filter = JSON.stringify([[...query.statuses].sort(), [...query.dauIds].sort()]);
    let page;
    try {
      const continuation =
        query.continuation === undefined ? undefined : unwrapContinuation(filter, query.continuation);
      page = await this.dependencies.directory.list({ ...query, continuation });
    } catch (error) {
      if (!(error instanceof InvalidContinuationError)) throw error;
      throw validationFailed([
        {
          in: 'query',
          name: 'continuation',
          message: 'is not a token this listing gave (it belongs to other filters, or was altered)',
        },
      ]);
    }
    const now = this.dependencies.now();
    return {
      items: page.items.map((request) => ({
        ...toDashboardItem(request, undefined, now),
        owner: request.owner,
      })),
      continuation: page.continuation === undefined ? null : wrapContinuation(filter, page.continuation),
    };
  }

  /** An admin approves (the grants' expiry moves) or rejects the requested extension. */
  async decideExtension(
    principal: Principal,
    requestId: string,
    decision: { decision: 'approved' | 'rejected'; reason?: string },
    signals: GrantSignals,
  ): Promise<{ extensionId: string; decision: string; daus: string[] }> {
    requireRole(principal, 'admin');
    const request = await this.dependencies.progress.read(requestId);
    const waiting = request.daus.filter((dau) => extensionOf(dau)?.status === 'requested');
    const extensionId = waiting.map((dau) => extensionOf(dau)!.id)[0];
    if (extensionId === undefined) throw conflict('No extension of this request waits for a decision.');
    const at = this.dependencies.now().toISOString();
    await this.dependencies.progress.apply(
      requestId,
      (current) =>
        waiting.reduce<RequestDocument>(
          (document, dau) =>
            withDau(document, dau.id, (entry) => ({
              ...entry,
              vending: {
                ...entry.vending!,
                extension: { ...extensionOf(entry)!, status: decision.decision, decidedAt: at },
              },
            })) ?? document,
          current,
        ),
      [
        {
          type: `access.extension-${decision.decision}`,
          actor: actorOf(principal, 'admin'),
          at,
          details: {
            extensionId,
            daus: waiting.map((dau) => dau.id),
            ...(decision.reason === undefined ? {} : { reason: decision.reason }),
          },
          idempotencyKey: `request:${requestId}:access.extension-decided:${extensionId}`,
        },
      ],
    );
    if (decision.decision === 'approved') {
      for (const dau of waiting)
        await signals.extended(requestId, dau.id, { extensionId, approvedBy: principal.subjectId });
    }
    return { extensionId, decision: decision.decision, daus: waiting.map((dau) => dau.id) };
  }

  /** An admin removes access now: every live grant of the request is revoked by its orchestration. */
  async revoke(
    principal: Principal,
    requestId: string,
    reason: string,
    signals: GrantSignals,
  ): Promise<{ daus: string[] }> {
    requireRole(principal, 'admin');
    const request = await this.dependencies.progress.read(requestId);
    const live = await this.liveDaus(request);
    if (live.length === 0)
      throw new AppError(provisioningProblems.nothingToChange, 'This request holds no live access.');
    const at = this.dependencies.now().toISOString();
    await this.dependencies.progress.apply(requestId, () => undefined, [
      {
        type: 'access.revocation-requested',
        actor: actorOf(principal, 'admin'),
        at,
        details: { daus: live.map((dau) => dau.id), reason },
        idempotencyKey: `request:${requestId}:access.revocation-requested:${live.map((dau) => dau.id).join(',')}`,
      },
    ]);
    for (const dau of live) await signals.revoked(requestId, dau.id, { by: principal.subjectId, reason });
    return { daus: live.map((dau) => dau.id) };
  }

  // --- a grant's orchestration ---------------------------------------------------------------------

  /** ~30 days before expiry: the DAU shows `expiring`, the requester gets the reminder. */
  async remindExpiry(
    requestId: string,
    dauId: DauId,
    expiresAt: string,
  ): Promise<NotificationInput | undefined> {
    const request = await this.dependencies.progress.apply(
      requestId,
      (current) =>
        withDau(current, dauId, (entry) => {
          const record = vendingRecordOf(entry);
          if (record === undefined || record.expiringSoon === true || entry.status !== 'active') return entry;
          return { ...entry, vending: { ...record, expiringSoon: true } };
        }),
      [
        event(
          'access.expiring',
          requestId,
          dauId,
          expiresAt,
          new Date(Date.parse(expiresAt) - 30 * dayMs).toISOString(),
          { expiresAt },
          lifecycleActor,
        ),
      ],
    );
    const dau = dauOf(request, dauId);
    return mailTo(request, {
      event: 'access_expiring',
      dau: { id: dau.id, name: dau.name },
      expiresAt,
      occurrence: expiresAt,
    });
  }

  /**
   * Access ends (expired or revoked): the DAU's vended copy is deleted from the project space and its rows
   * from SAMPLE_INFO.txt, the grant ends, the DAU shows the end. Idempotent.
   */
  async endAccess(input: {
    requestId: string;
    dauId: DauId;
    at: string;
    ending: { kind: 'expired' } | { kind: 'revoked'; by: string; reason: string };
  }): Promise<{
    downloadAllowed: boolean;
    removedFiles: number;
    notification: NotificationInput | undefined;
  }> {
    const { requestId, dauId, at, ending } = input;
    const { progress } = this.dependencies;
    const request = await progress.read(requestId);
    const space = VendingService.spaceOf(request);
    const record = vendingRecordOf(dauOf(request, dauId));
    const removedFiles =
      record === undefined ? 0 : await this.removeVendedCopy(requestId, dauId, space, record.batches ?? 0);
    const status = ending.kind;
    const grant = await this.updateGrant(request, dauId, (current) =>
      current.status !== 'active'
        ? current
        : {
            ...current,
            status,
            endedAt: at,
            ...(ending.kind === 'revoked' ? { revocation: { by: ending.by, reason: ending.reason } } : {}),
            updatedAt: at,
          },
    );
    const updated = await progress.apply(
      requestId,
      (current) =>
        withDau(current, dauId, (entry) => {
          if (entry.status === status) return entry;
          const vending: VendingRecord | undefined = vendingRecordOf(entry);
          return {
            ...entry,
            status,
            vending:
              vending === undefined
                ? entry.vending
                : { ...vending, status: 'removed', removedAt: at, expiringSoon: false },
          };
        }),
      [
        event(
          `access.${status}`,
          requestId,
          dauId,
          'ended',
          at,
          {
            removedFiles,
            ...(ending.kind === 'revoked' ? { reason: ending.reason, by: ending.by } : {}),
          },
          lifecycleActor,
        ),
      ],
    );
    const dau = dauOf(updated, dauId);
    const ref = { id: dau.id, name: dau.name };
    const notification =
      ending.kind === 'expired'
        ? mailTo(updated, { event: 'access_expired', dau: ref, expiredAt: at })
        : mailTo(updated, { event: 'access_revoked', dau: ref, reason: ending.reason });
    return { downloadAllowed: grant.downloadAllowed, removedFiles, notification };
  }

  /** An approved extension: the expiry moves by the DAU's access duration, once per extension. */
  async extend(input: {
    requestId: string;
    dauId: DauId;
    extensionId: string;
    approvedBy: string;
    at: string;
  }): Promise<{ expiresAt: string }> {
    const { requestId, dauId, extensionId, approvedBy, at } = input;
    const request = await this.dependencies.progress.read(requestId);
    const durationDays =
      (await this.dependencies.daus()).find((dau) => dau.id === dauId)?.accessDurationDays ?? 365;
    const grant = await this.updateGrant(request, dauId, (current) => {
      if (current.status !== 'active' || current.extensions?.some((entry) => entry.id === extensionId))
        return current;
      const to = new Date(Date.parse(current.expiresAt) + durationDays * dayMs).toISOString();
      return {
        ...current,
        expiresAt: to,
        extensions: [
          ...(current.extensions ?? []),
          { id: extensionId, from: current.expiresAt, to, approvedBy },
        ],
        updatedAt: at,
      };
    });
    await this.dependencies.progress.apply(
      requestId,
      (current) =>
        withDau(current, dauId, (entry) => {
          const record = vendingRecordOf(entry);
          if (record === undefined || record.expiresAt === grant.expiresAt) return entry;
          const extension = extensionOf(entry);
          return {
            ...entry,
            vending: {
              ...record,
              expiresAt: grant.expiresAt,
              expiringSoon: false,
              ...(extension === undefined ? {} : { extension: { ...extension, status: 'applied' } }),
            },
          };
        }),
      [
        event(
          'access.extended',
          requestId,
          dauId,
          extensionId,
          at,
          { extensionId, expiresAt: grant.expiresAt },
          lifecycleActor,
        ),
      ],
    );
    return { expiresAt: grant.expiresAt };
  }

  /**
   * 30 days after access with downloads ended: without a close-out, recorded on the timeline and the admins'
   * mail answered (none without admin addresses).
   */
  async checkCloseout(requestId: string, dauId: DauId, at: string): Promise<NotificationInput | undefined> {
    const request = await this.dependencies.progress.read(requestId);
    const stored = await this.dependencies.grants.read(grantId(requestId, dauId), request.ownerId);
    const grant = stored?.document;
    if (grant === undefined || !grant.downloadAllowed || grant.closeout !== undefined) return undefined;
    const endedAt = grant.endedAt ?? grant.expiresAt;
    await this.dependencies.progress.apply(requestId, () => undefined, [
      event('access.closeout-overdue', requestId, dauId, 'overdue', at, { endedAt }, lifecycleActor),
    ]);
    const admins = this.dependencies.adminEmails;
    if (admins.length === 0) return undefined;
    const dau = dauOf(request, dauId);
    return {
      event: 'closeout_overdue',
      requestId,
      projectName: request.answers.destination?.projectName?.trim() || 'Untitled request',
      recipients: admins.map((address) => ({ address })),
      dau: { id: dau.id, name: dau.name },
      endedAt,
    };
  }

  // --- helpers --------------------------------------------------------------------------------------

  /** Deletes every file of the DAU's plan from the space and its rows from SAMPLE_INFO.txt. */
  private async removeVendedCopy(
    requestId: string,
    dauId: DauId,
    space: ProjectSpace,
    batches: number,
  ): Promise<number> {
    const { plans, storage } = this.dependencies;
    let removed = 0;
    for (let batch = 0; batch < batches; batch += 1) {
      const files = await plans.read(requestId, dauId, batch);
      removed += await storage.remove(
        space,
        files.filter((file) => !file.index).map((file) => file.path),
      );
      await storage.remove(
        space,
        files.filter((file) => file.index).map((file) => file.path),
      );
    }
    await storage.updateSampleInfo(space, (current) => renderSampleInfo(parseSampleInfo(current), dauId, []));
    return removed;
  }

  private async readable(principal: Principal, requestId: string): Promise<RequestDocument> {
    const request = await this.dependencies.progress.read(requestId);
    requireOwner(principal, request.ownerId, 'request', { allowAdmin: true });
    return request;
  }

  private async owned(principal: Principal, requestId: string): Promise<RequestDocument> {
    const request = await this.readable(principal, requestId);
    if (request.ownerId !== principal.subjectId) throw forbidden('Only the requester does this.');
    return request;
  }

  private async grantOf(request: RequestDocument, dauId: string): Promise<GrantDocument | undefined> {
    return (await this.dependencies.grants.read(grantId(request.id, dauId), request.ownerId))?.document;
  }

  private async liveDaus(request: RequestDocument): Promise<RequestDau[]> {
    const now = this.dependencies.now();
    const live: RequestDau[] = [];
    for (const dau of request.daus) {
      const grant = await this.grantOf(request, dau.id);
      if (grant !== undefined && isLive(grant, now)) live.push(dau);
    }
    return live;
  }

  /** A conditional change of the request's grant for `dauId`, retried when another writer won. */
  private async updateGrant(
    request: RequestDocument,
    dauId: string,
    change: (grant: GrantDocument) => GrantDocument,
  ): Promise<GrantDocument> {
    const { grants } = this.dependencies;
    for (let attempt = 1; ; attempt += 1) {
      const stored = await grants.read(grantId(request.id, dauId), request.ownerId);
      if (stored === undefined) throw new Error(`Request ${request.id} has no grant for ${dauId}`);
      const changed = change(stored.document);
      if (changed === stored.document) return changed;
      try {
        return (await grants.replace(changed, stored.etag)).document;
      } catch (error) {
        if (!(error instanceof StaleWriteError) || attempt >= 8) throw error;
      }
    }
  }
}

/**
 * The store's continuation token wrapped with a checksum of the filters it continues: a token altered, or
 * given with other filters, is refused instead of reaching the store.
 */
function wrapContinuation(filter: string, token: string): string {
  return Buffer.from(JSON.stringify({ t: token, c: checksum(filter, token) })).toString('base64url');
}

function unwrapContinuation(filter: string, text: string): string {
  const parsed = z
    .object({ t: z.string(), c: z.string() })
    .safeParse(safeJson(Buffer.from(text, 'base64url').toString('utf8')));
  if (!parsed.success || parsed.data.c !== checksum(filter, parsed.data.t))
    throw new InvalidContinuationError();
  return parsed.data.t;
}

function checksum(filter: string, token: string): string {
  return createHash('sha256').update(`${filter}\n${token}`).digest('base64url').slice(0, 22);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const lifecycleActor = { kind: 'system', id: 'grantAccess' } as const;

const extensionRecordSchema = z.looseObject({ id: z.string(), status: z.string() });

function extensionOf(dau: RequestDau): z.infer<typeof extensionRecordSchema> | undefined {
  const parsed = extensionRecordSchema.safeParse((dau.vending as Record<string, unknown> | null)?.extension);
  return parsed.success ? parsed.data : undefined;
}

function actorOf(principal: Principal, kind: 'requester' | 'admin'): Actor {
  return { kind, id: principal.subjectId, email: principal.email ?? null };
}
