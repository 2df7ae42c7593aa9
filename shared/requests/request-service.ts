/**
 * The requests module's use cases: a draft from a catalog selection, the wizard's autosave (JSON merge patch
 * under If-Match), delete, copy, submit (re-resolve, freeze, once), the timeline and the dashboard — with the
 * authorization in each: a requester reaches only their own requests (anyone else's id answers 404 like a
 * missing one); admins read every request; committee members read submitted requests that touch their DAUs,
 * never drafts; only the owner changes anything.
 *
 * Every change records its events with the document (`pendingEvents`, an outbox) and then appends them to the
 * timeline; the next change or read appends any that a crash left behind, before anything newer.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { HeldDausLookup } from '../catalog/ports';
import {
  catalogTabSchema,
  fileTypeSchema,
  MAX_SELECTED_ROWS,
  MAX_SELECTED_SAMPLES,
  sampleTypeSchema,
  selectionSchema,
  sequencingTypeSchema,
  tissueTypeSchema,
  type Dau,
  type Selection,
  type SelectionAnswer,
} from '../catalog/model';
import { AppError, notFound, problems, validationFailed, type FieldError } from '../http/errors';
import { requireCurrentVersion, stale } from '../http/preconditions';
import { hasRole, type Principal } from '../identity/principal';
import { StaleWriteError, type Stored } from '../platform/stored';
import type { Profile } from '../users/model';
import { applyMergePatch, patchedPaths } from './merge-patch';
import {
  answersSchema,
  type Actor,
  type Answers,
  type NewEvent,
  type RequestDau,
  type RequestDocument,
  type RequestSelection,
  type RequestStatus,
  type Signatory,
} from './model';
import type { Viewer } from './next-action';
import {
  InvalidContinuationError,
  type CatalogResolver,
  type OnSubmitted,
  type OnWithdrawn,
  type RequestStore,
  type SelectionArchive,
  type TimelineStore,
} from './ports';
import { requestProblems } from './problems';
import { submitRefusal } from './rules';
import { canonicalJson, verifyChain, type Timeline } from './timeline';
import { assess, toDashboardItem, toRequestView, type DashboardItem, type RequestView } from './views';
import { defaultFolderName } from './wizard';

/** A request waiting for someone (signatories, the requester, a committee) can be withdrawn. */
const withdrawableStatuses: ReadonlySet<RequestStatus> = new Set([
  'submitted',
  'awaiting_signatures',
  'awaiting_agreement_upload',
  'in_review',
  'returned',
  'partially_approved',
]);

/** DAUs a withdrawal ends: those not yet decided. */
const waitingDauStatuses: ReadonlySet<RequestDau['status']> = new Set([
  'submitted',
  'awaiting_agreement',
  'in_review',
  'returned',
]);

export const DEFAULT_DASHBOARD_PAGE = 20;
export const MAX_DASHBOARD_PAGE = 100;

export interface ProfileLookup {
  profileOf(userId: string): Promise<Profile | undefined>;
}

export interface RequestServiceDependencies {
  readonly requests: RequestStore;
  readonly timeline: TimelineStore;
  readonly archive: SelectionArchive;
  readonly catalog: CatalogResolver;
  readonly held: HeldDausLookup;
  readonly profiles: ProfileLookup;
  readonly now: () => Date;
  readonly newId: () => string;
  readonly log: (line: string) => void;
}

/** A request as answered, with its version. */
export interface VersionedView {
  readonly view: RequestView;
  readonly etag: string;
}

/** The body of a PATCH: a JSON merge patch of the answers and (while a draft) of the selection's query. */
export const requestPatchSchema = z
  .strictObject({
    answers: answersSchema.nullish(),
    selection: z
      .strictObject({
        tab: catalogTabSchema.nullish(),
        rowIds: z.array(z.string().min(1).max(200)).min(1).max(MAX_SELECTED_ROWS).nullish(),
        sampleNames: z.array(z.string().min(1).max(200)).min(1).max(MAX_SELECTED_SAMPLES).nullish(),
        filters: z
          .strictObject({
            sequencingType: z.array(sequencingTypeSchema).nullish(),
            sampleType: z.array(sampleTypeSchema).nullish(),
            fileType: z.array(fileTypeSchema).nullish(),
            tissueType: z.array(tissueTypeSchema).nullish(),
          })
          .nullish(),
      })
      .optional(),
  })
  .meta({
    id: 'RequestPatch',
    description:
      'A JSON merge patch (RFC 7396) of the answers and the selection: members replace, null removes, ' +
      'objects merge, arrays replace whole',
  });
export type RequestPatch = z.infer<typeof requestPatchSchema>;

interface Access {
  readonly stored: Stored<RequestDocument>;
  readonly viewer: Viewer;
}

export class RequestService {
  constructor(private readonly dependencies: RequestServiceDependencies) {}

  // --- drafts ------------------------------------------------------------------------------------------

  /** A new draft from a catalog selection, resolved now, with the profile's institution filled in. */
  async create(principal: Principal, selection: Selection): Promise<VersionedView> {
    const { now, newId } = this.dependencies;
    const profile = await this.dependencies.profiles.profileOf(principal.subjectId);
    const createdAt = now().toISOString();
    return this.createDraft(principal, {
      id: newId(),
      createdAt,
      selection,
      answers: {
        destination: { kind: 'new', folderName: defaultFolderName(createdAt) },
        ...(profile === undefined
          ? {}
          : {
              institution: {
                name: profile.institution.name,
                rorId: profile.institution.rorId ?? null,
                country: profile.country,
                organisationType: profile.organisationType,
              },
            }),
      },
      copiedFrom: null,
      profile,
    });
  }

  async get(principal: Principal, id: string): Promise<VersionedView> {
    const access = await this.access(principal, id);
    await this.flushQuietly(access.stored.document);
    return this.versioned(access.stored, access.viewer);
  }

  /** The wizard's autosave: a JSON merge patch under If-Match; the selection may change while a draft. */
  async patch(
    principal: Principal,
    id: string,
    patch: RequestPatch,
    ifMatch: string | null,
  ): Promise<VersionedView> {
    const { stored } = await this.changeableDraft(principal, id, ifMatch);
    const current = stored.document;
    await this.flush(current);
    const changed = patchedPaths(patch);
    const answers = this.patchedAnswers(current, patch.answers);
    let selection = current.selection;
    let daus = current.daus;
    if (patch.selection !== undefined) {
      const query = parseOr400(
        selectionSchema,
        applyMergePatch(current.selection.query, patch.selection),
        'selection',
      );
      ({ selection, daus } = await this.resolve(query, current.ownerId));
    }
    // An autosave that changes nothing writes nothing (and records no event).
    if (patch.selection === undefined && canonicalJson(answers) === canonicalJson(current.answers)) {
      return this.versioned(stored, 'owner');
    }
    const next = this.nextRevision(current, principal, 'request.updated', { changed });
    return this.replaceDraft({ ...next, answers, selection, daus }, stored.etag, principal);
  }

  async remove(principal: Principal, id: string, ifMatch: string | null): Promise<void> {
    const { stored } = await this.changeableDraft(principal, id, ifMatch);
    await this.flush(stored.document);
    try {
      await this.dependencies.requests.delete(stored.document, stored.etag);
    } catch (error) {
      if (!(error instanceof StaleWriteError)) throw error;
      throw await this.staleError(principal, stored.document);
    }
    const revision = stored.document.revision + 1;
    await this.appendQuietly(stored.document.id, {
      type: 'request.deleted',
      actor: actorOf(principal),
      details: { revision },
      idempotencyKey: `request:${stored.document.id}:rev:${revision}:request.deleted`,
      at: this.dependencies.now().toISOString(),
    });
  }

  /** A new draft with the answers and the selection of a request the caller owns (e.g. after a declined signature). */
  async copy(principal: Principal, id: string): Promise<VersionedView> {
    const { stored } = await this.owned(principal, id);
    const source = stored.document;
    const { now, newId } = this.dependencies;
    const createdAt = now().toISOString();
    const copyId = newId();
    const copied = await this.createDraft(principal, {
      id: copyId,
      createdAt,
      selection: source.selection.query,
      answers: source.answers,
      copiedFrom: source.id,
      profile: await this.dependencies.profiles.profileOf(principal.subjectId),
    });
    await this.appendQuietly(source.id, {
      type: 'request.copied',
      actor: actorOf(principal),
      details: { copy: copyId },
      idempotencyKey: `request:${source.id}:copied-to:${copyId}`,
      at: createdAt,
    });
    return copied;
  }

  // --- submit ------------------------------------------------------------------------------------------

  /**
   * Re-resolves the selection, checks every rule, freezes the resolved file ids as a gzip manifest (SHA-256
   * on the request) and moves the draft to `submitted`. A request already submitted is answered as it is:
   * submitting twice changes nothing the second time (the lifecycle hook is called again, idempotently).
   */
  async submit(
    principal: Principal,
    id: string,
    ifMatch: string | null,
    /** What a submit starts (also on a repeated submit, so a start lost to a crash happens then). */
    onSubmitted: OnSubmitted,
  ): Promise<VersionedView> {
    const { stored } = await this.owned(principal, id);
    const current = stored.document;
    if (current.status !== 'draft') {
      if (ifMatch === null || ifMatch.trim() === '') {
        requireCurrentVersion(ifMatch, await this.currentVersion(stored), 'request');
      }
      await this.flushQuietly(current);
      await onSubmitted(current);
      return this.versioned(stored, 'owner');
    }
    requireCurrentVersion(ifMatch, await this.currentVersion(stored), 'request');
    await this.flush(current);
    const { now } = this.dependencies;
    const held = await this.dependencies.held.heldDauIds(current.ownerId);
    const { answer, fileIds } = await this.dependencies.catalog.resolveFileIds(current.selection.query, held);
    const daus = dausOf(answer, (await this.dependencies.catalog.daus()).body, held);
    const resolvedAt = now().toISOString();
    const resolved: RequestDocument = {
      ...current,
      selection: selectionOf(current.selection.query, answer, resolvedAt),
      daus,
    };
    const profile = await this.dependencies.profiles.profileOf(current.ownerId);
    const refusal = submitRefusal(assess(resolved, profile, now()).rules);
    if (refusal !== undefined) throw refusal;

    const frozen = await this.dependencies.archive.freeze(current.id, fileIds);
    const agreementNeeded = daus.some((dau) => dau.agreementRequired);
    const submittedAt = now().toISOString();
    const base = this.nextRevision(resolved, principal, 'request.submitted', {
      files: frozen.files,
      sha256: frozen.sha256,
      blobName: frozen.blobName,
      indexVersion: answer.indexVersion,
      daus: daus.map((dau) => ({ id: dau.id, agreementRequired: dau.agreementRequired })),
    });
    const submitted: RequestDocument = {
      ...base,
      status: 'submitted',
      submittedAt,
      selection: {
        ...resolved.selection,
        frozen: { ...frozen, indexVersion: answer.indexVersion, frozenAt: submittedAt },
      },
      daus: daus.map((dau) => ({
        ...dau,
        status: dau.agreementRequired ? 'awaiting_agreement' : 'submitted',
      })),
      agreementRoute: agreementNeeded ? (current.answers.agreementRoute ?? 'manual') : 'none',
      signatories: agreementNeeded ? signatoriesOf(current) : [],
    };
    let written: Stored<RequestDocument>;
    try {
      written = await this.dependencies.requests.replace(submitted, stored.etag);
    } catch (error) {
      if (!(error instanceof StaleWriteError)) throw error;
      // A concurrent submit won (its own frozen manifest stands); anything else changed it under us.
      const now = await this.dependencies.requests.read(current);
      if (now !== undefined && now.document.status !== 'draft') {
        await onSubmitted(now.document);
        return this.versioned(now, 'owner');
      }
      throw await this.staleError(principal, current);
    }
    await this.flushQuietly(written.document);
    await onSubmitted(written.document);
    return this.versioned(written, 'owner');
  }

  // --- withdraw ----------------------------------------------------------------------------------------

  /**
   * The owner ends a submitted request that still waits (for signatures, an upload, a committee or a
   * revision): it becomes `withdrawn` at once (review links stop working with it) and the lifecycle is told
   * to end what still waits (voiding an open envelope, ending reviews). DAUs already approved or vended keep
   * their state; their access is the grant's. Withdrawing again answers the request as it is.
   */
  async withdraw(
    principal: Principal,
    id: string,
    ifMatch: string | null,
    reason: string,
    onWithdrawn: OnWithdrawn,
  ): Promise<VersionedView> {
    const { stored } = await this.owned(principal, id);
    const current = stored.document;
    const withdrawal = { by: principal.subjectId, reason };
    if (current.status === 'withdrawn') {
      if (ifMatch === null || ifMatch.trim() === '') {
        requireCurrentVersion(ifMatch, await this.currentVersion(stored), 'request');
      }
      await this.flushQuietly(current);
      await onWithdrawn(current, withdrawal);
      return this.versioned(stored, 'owner');
    }
    requireCurrentVersion(ifMatch, await this.currentVersion(stored), 'request');
    if (!withdrawableStatuses.has(current.status)) {
      throw new AppError(
        requestProblems.notWithdrawable,
        current.status === 'draft'
          ? 'A draft is not submitted: delete it instead.'
          : `The request is ${current.status}; only a request still waiting can be withdrawn.`,
      );
    }
    await this.flush(current);
    const next = this.nextRevision(current, principal, 'request.withdrawn', reason === '' ? {} : { reason });
    const withdrawn: RequestDocument = {
      ...next,
      status: 'withdrawn',
      daus: next.daus.map((dau) =>
        waitingDauStatuses.has(dau.status) ? { ...dau, status: 'withdrawn' } : dau,
      ),
    };
    let written: Stored<RequestDocument>;
    try {
      written = await this.dependencies.requests.replace(withdrawn, stored.etag);
    } catch (error) {
      if (!(error instanceof StaleWriteError)) throw error;
      throw await this.staleError(principal, current);
    }
    await this.flushQuietly(written.document);
    await onWithdrawn(written.document, withdrawal);
    return this.versioned(written, 'owner');
  }

  // --- timeline and dashboard ---------------------------------------------------------------------------

  async events(principal: Principal, id: string): Promise<Timeline> {
    const { stored } = await this.access(principal, id);
    await this.flush(stored.document);
    return verifyChain(await this.dependencies.timeline.read(id));
  }

  /** The caller's requests, newest first, a page at a time (optionally only some statuses). */
  async dashboard(
    principal: Principal,
    options: { statuses: readonly RequestStatus[]; pageSize: number; continuation: string | undefined },
  ): Promise<{ items: DashboardItem[]; continuation: string | null }> {
    const statuses = [...new Set(options.statuses)].sort();
    const owner = principal.subjectId;
    const token =
      options.continuation === undefined
        ? undefined
        : decodeContinuation(owner, statuses, options.continuation);
    let page;
    try {
      page = await this.dependencies.requests.listByOwner(owner, {
        statuses,
        pageSize: options.pageSize,
        continuation: token,
      });
    } catch (error) {
      if (error instanceof InvalidContinuationError) throw badContinuation();
      throw error;
    }
    const profile = await this.dependencies.profiles.profileOf(principal.subjectId);
    const now = this.dependencies.now();
    return {
      items: page.items.map((stored) => toDashboardItem(stored.document, profile, now)),
      continuation:
        page.continuation === undefined ? null : encodeContinuation(owner, statuses, page.continuation),
    };
  }

  // --- authorization -----------------------------------------------------------------------------------

  /** The request as the caller may see it, or 404 (also for what exists but is not theirs to see). */
  private async access(principal: Principal, id: string): Promise<Access> {
    const { requests } = this.dependencies;
    const own = await requests.read({ id, ownerId: principal.subjectId });
    if (own !== undefined) return { stored: own, viewer: 'owner' };
    const admin = hasRole(principal, 'admin');
    const committeeOf = await this.committeeDausOf(principal);
    if (!admin && committeeOf.size === 0) throw notFoundRequest();
    const found = await requests.find(id);
    if (found === undefined) throw notFoundRequest();
    if (admin) return { stored: found, viewer: 'admin' };
    const touches = found.document.daus.some((dau) => committeeOf.has(dau.id));
    if (found.document.status !== 'draft' && touches) return { stored: found, viewer: 'committee' };
    throw notFoundRequest();
  }

  /** The caller's own request; others who may see it are told it is read-only for them (403). */
  private async owned(principal: Principal, id: string): Promise<Access> {
    const access = await this.access(principal, id);
    if (access.viewer !== 'owner') {
      throw new AppError(
        problems.forbidden,
        `You may read this request as ${access.viewer === 'admin' ? 'an admin' : 'a committee member'}; only its owner changes it.`,
      );
    }
    return access;
  }

  /** The caller's own draft at the version the client names (428 without one, 412 when stale). */
  private async changeableDraft(principal: Principal, id: string, ifMatch: string | null): Promise<Access> {
    const access = await this.owned(principal, id);
    if (access.stored.document.status !== 'draft') {
      throw new AppError(
        requestProblems.notDraft,
        `The request is ${access.stored.document.status}; only a draft changes. Copy it to start a new draft.`,
      );
    }
    requireCurrentVersion(ifMatch, await this.currentVersion(access.stored), 'request');
    return access;
  }

  private async committeeDausOf(principal: Principal): Promise<ReadonlySet<string>> {
    const email = principal.email?.toLowerCase();
    if (email === undefined) return new Set();
    const { body: daus } = await this.dependencies.catalog.daus();
    return new Set(
      daus
        .filter((dau) => dau.committeeMembers.some((member) => member.email.toLowerCase() === email))
        .map((dau) => dau.id),
    );
  }

  // --- helpers -------------------------------------------------------------------------------------------

  private async createDraft(
    principal: Principal,
    draft: {
      id: string;
      createdAt: string;
      selection: Selection;
      answers: Answers;
      copiedFrom: string | null;
      profile: Profile | undefined;
    },
  ): Promise<VersionedView> {
    const { selection, daus } = await this.resolve(draft.selection, principal.subjectId);
    const document: RequestDocument = {
      id: draft.id,
      ownerId: principal.subjectId,
      docType: 'request',
      schemaVersion: 1,
      revision: 1,
      owner: {
        subjectId: principal.subjectId,
        email: principal.email ?? null,
        name: principal.name ?? draft.profile?.name ?? null,
      },
      status: 'draft',
      createdAt: draft.createdAt,
      updatedAt: draft.createdAt,
      submittedAt: null,
      copiedFrom: draft.copiedFrom,
      selection,
      daus,
      answers: withDefaults(draft.answers, draft.createdAt),
      agreementRoute: null,
      signatories: [],
      agreement: null,
      pendingEvents: [
        {
          type: 'request.created',
          actor: actorOf(principal),
          details: {
            files: selection.counts.files,
            daus: daus.map((dau) => dau.id),
            ...(draft.copiedFrom === null ? {} : { copiedFrom: draft.copiedFrom }),
          },
          idempotencyKey: `request:${draft.id}:rev:1:request.created`,
          at: draft.createdAt,
        },
      ],
    };
    const created = await this.dependencies.requests.create(document);
    await this.flushQuietly(created.document);
    return { view: this.viewOf(created.document, 'owner', draft.profile), etag: created.etag };
  }

  private async replaceDraft(
    next: RequestDocument,
    etag: string,
    principal: Principal,
  ): Promise<VersionedView> {
    let written: Stored<RequestDocument>;
    try {
      written = await this.dependencies.requests.replace(next, etag);
    } catch (error) {
      if (!(error instanceof StaleWriteError)) throw error;
      throw await this.staleError(principal, next);
    }
    await this.flushQuietly(written.document);
    return this.versioned(written, 'owner');
  }

  private patchedAnswers(current: RequestDocument, patch: Answers | null | undefined): Answers {
    if (patch === undefined) return current.answers;
    const merged = patch === null ? {} : applyMergePatch(current.answers, patch);
    return withDefaults(parseOr400(answersSchema, merged, 'answers'), current.createdAt);
  }

  /** The selection resolved against the catalog now, with the owner's held DAUs. */
  private async resolve(
    query: Selection,
    ownerId: string,
  ): Promise<{ selection: RequestSelection; daus: RequestDau[] }> {
    const held = await this.dependencies.held.heldDauIds(ownerId);
    const [answer, { body: catalogDaus }] = await Promise.all([
      this.dependencies.catalog.select(query, held),
      this.dependencies.catalog.daus(),
    ]);
    return {
      selection: selectionOf(query, answer, this.dependencies.now().toISOString()),
      daus: dausOf(answer, catalogDaus, held),
    };
  }

  private nextRevision(
    current: RequestDocument,
    principal: Principal,
    type: string,
    details: Record<string, unknown>,
  ): RequestDocument {
    const revision = current.revision + 1;
    const at = this.dependencies.now().toISOString();
    return {
      ...current,
      revision,
      updatedAt: at,
      pendingEvents: [
        {
          type,
          actor: actorOf(principal),
          details: { revision, ...details },
          idempotencyKey: `request:${current.id}:rev:${revision}:${type}`,
          at,
        },
      ],
    };
  }

  private async flush(document: RequestDocument): Promise<void> {
    for (const event of document.pendingEvents) await this.dependencies.timeline.append(document.id, event);
  }

  /** After a write that succeeded: a failure here leaves the events for the next change or read to append. */
  private async flushQuietly(document: RequestDocument): Promise<void> {
    try {
      await this.flush(document);
    } catch (error) {
      this.dependencies.log(`requests: timeline of ${document.id} not appended yet: ${String(error)}`);
    }
  }

  private async appendQuietly(requestId: string, event: NewEvent): Promise<void> {
    try {
      await this.dependencies.timeline.append(requestId, event);
    } catch (error) {
      this.dependencies.log(`requests: event ${event.type} of ${requestId} not recorded: ${String(error)}`);
    }
  }

  private async versioned(stored: Stored<RequestDocument>, viewer: Viewer): Promise<VersionedView> {
    const profile = await this.dependencies.profiles.profileOf(stored.document.ownerId);
    return { view: this.viewOf(stored.document, viewer, profile), etag: stored.etag };
  }

  private viewOf(document: RequestDocument, viewer: Viewer, profile: Profile | undefined): RequestView {
    return toRequestView(document, { viewer, profile, now: this.dependencies.now() });
  }

  private async currentVersion(stored: Stored<RequestDocument>) {
    return { etag: stored.etag, representation: (await this.versioned(stored, 'owner')).view };
  }

  /** 412 with what is stored now (404 when it is gone). */
  private async staleError(principal: Principal, document: RequestDocument): Promise<AppError> {
    const now = await this.dependencies.requests.read({ id: document.id, ownerId: principal.subjectId });
    if (now === undefined) return notFoundRequest();
    return stale(await this.currentVersion(now), 'request');
  }
}

function notFoundRequest(): AppError {
  return notFound('No such request.');
}

function actorOf(principal: Principal): Actor {
  return { kind: 'requester', id: principal.subjectId, email: principal.email ?? null };
}

/** The folder name defaults to "Data Requested (YYYY-MM-DD)" of the draft's creation date. */
function withDefaults(answers: Answers, createdAt: string): Answers {
  const destination = answers.destination ?? {};
  const folderName = destination.folderName?.trim() ? destination.folderName : defaultFolderName(createdAt);
  return { ...answers, destination: { ...destination, folderName } };
}

function selectionOf(query: Selection, answer: SelectionAnswer, resolvedAt: string): RequestSelection {
  const { files, samples, subjects, bytes } = answer.summary;
  return {
    query,
    counts: { files, samples, subjects, bytes },
    unknownSampleNames: answer.unknownSampleNames,
    unknownRowIds: answer.unknownRowIds,
    indexVersion: answer.indexVersion,
    resolvedAt,
    frozen: null,
  };
}

function dausOf(
  answer: SelectionAnswer,
  catalogDaus: readonly Dau[],
  held: ReadonlySet<string>,
): RequestDau[] {
  const definitions = new Map(catalogDaus.map((dau) => [dau.id, dau]));
  return answer.summary.daus.map((touched) => ({
    id: touched.id,
    name: touched.name,
    access: touched.access,
    files: touched.files,
    held: held.has(touched.id),
    embargoDate: definitions.get(touched.id)?.embargoDate ?? null,
    agreementRequired: touched.access === 'controlled' && !held.has(touched.id),
    status: 'draft',
    agreement: null,
    review: null,
    vending: null,
  }));
}

/** Who signs the agreement: the requester and the people the wizard names. */
function signatoriesOf(request: RequestDocument): Signatory[] {
  const { answers, owner } = request;
  const person = (
    role: Signatory['role'],
    draft: { name?: string | null; email?: string | null; title?: string | null } | null | undefined,
  ): Signatory[] =>
    draft?.name && draft.email
      ? [
          {
            role,
            name: draft.name.trim(),
            email: draft.email.trim().toLowerCase(),
            title: draft.title?.trim() ?? null,
          },
        ]
      : [];
  return [
    ...(owner.email === null
      ? []
      : [{ role: 'requester' as const, name: owner.name ?? owner.email, email: owner.email, title: null }]),
    ...person('principal_investigator', answers.principalInvestigator),
    ...(answers.additionalApplicants ?? []).flatMap((applicant) => person('additional_applicant', applicant)),
    ...person('institutional_authority', answers.institutionalAuthority),
    ...(answers.download?.wanted === true
      ? person('information_security_officer', answers.download.informationSecurityOfficer)
      : []),
  ];
}

/** Parses a merged value, naming each bad field under `prefix` (400). */
function parseOr400<T extends z.ZodType>(schema: T, value: unknown, prefix: string): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors: FieldError[] = result.error.issues.map((issue) => ({
    in: 'body',
    name: [prefix, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
  throw validationFailed(errors);
}

/**
 * The dashboard's continuation: the store's token, bound to the list it continues (owner and status filter)
 * by a checksum, so a token from another list or an altered one is refused (400) before it reaches the store.
 */
const continuationSchema = z.object({ v: z.literal(1), t: z.string().min(1), c: z.string() });

function continuationChecksum(ownerId: string, statuses: readonly string[], token: string): string {
  return createHash('sha256')
    .update(JSON.stringify([ownerId, statuses, token]))
    .digest('base64url')
    .slice(0, 22);
}

function encodeContinuation(ownerId: string, statuses: readonly string[], token: string): string {
  const c = continuationChecksum(ownerId, statuses, token);
  return Buffer.from(JSON.stringify({ v: 1, t: token, c })).toString('base64url');
}

function decodeContinuation(ownerId: string, statuses: readonly string[], text: string): string {
  let parsed: z.infer<typeof continuationSchema>;
  try {
    parsed = continuationSchema.parse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
  } catch {
    throw badContinuation();
  }
  if (parsed.c !== continuationChecksum(ownerId, statuses, parsed.t)) throw badContinuation();
  return parsed.t;
}

function badContinuation(): AppError {
  return validationFailed([
    {
      in: 'query',
      name: 'continuation',
      message: 'is not a token this list gave (it belongs to another status filter, or was altered)',
    },
  ]);
}
