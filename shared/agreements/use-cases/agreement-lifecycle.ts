/**
 * What the agreement step's activities do (shared/lifecycle/agreement-step.ts runs them): make the envelope
 * and record it before sending it, send it, read it when a webhook is late, end or sign the agreement on the
 * request, void it after a withdrawal, and start the wait for an upload. Every method is idempotent (an
 * activity runs at least once, and a host may die between any two lines): DocuSign is asked before a
 * second envelope is made, the request changes through `RequestProgress` changes that find their work done,
 * and timeline events carry keys derived from the request and envelope.
 */
import type { EnvelopeOutcome } from '../../lifecycle/request-lifecycle-contract';
import type { NotificationInput } from '../../notifications/model';
import type { NewEvent, RequestDocument } from '../../requests/model';
import type { RequestProgress } from '../../requests/progress';
import {
  agreementIdempotencyKey,
  buildEnvelopeDefinition,
  type EnvelopeOptions,
} from '../envelope-definition';
import { mergeSignerProgress, type AgreementUpload, type SignerProgress } from '../model';
import { outcomeOfState } from '../outcome';
import type { AgreementTemplateSource, AgreementUploadStore, EnvelopeIndex, EnvelopeService } from '../ports';
import {
  agreementEnded,
  agreementOf,
  agreementSigned,
  agreementSubjectOf,
  envelopeRecorded,
  envelopeSent,
  envelopeWithdrawn,
  initialSigners,
  signersProgressed,
  uploadAwaited,
} from '../request-agreement';

export interface AgreementLifecycleDependencies {
  readonly progress: Pick<RequestProgress, 'read' | 'apply'>;
  /** DocuSign, built on first use (the manual route never needs it). */
  readonly envelopes: () => EnvelopeService;
  readonly index: EnvelopeIndex;
  readonly template: AgreementTemplateSource;
  readonly uploads: AgreementUploadStore;
  readonly envelopeOptions: () => EnvelopeOptions;
  readonly pollMinutes: number;
  readonly now: () => Date;
}

const actor = { kind: 'system', id: 'requestLifecycle' } as const;
/** An envelope older than the request cannot be its own: look for it from a day before submit on. */
const lookBackMs = 24 * 60 * 60 * 1000;

export class AgreementLifecycle {
  constructor(private readonly dependencies: AgreementLifecycleDependencies) {}

  async prepareEnvelope(requestId: string): Promise<{ envelopeId: string; pollMinutes: number }> {
    const { progress, index, pollMinutes } = this.dependencies;
    const request = await progress.read(requestId);
    const subject = agreementSubjectOf(request);
    const signers = agreementOf(request)?.signers ?? initialSigners(subject);
    const envelopeId = agreementOf(request)?.envelopeId ?? (await this.findOrCreateDraft(request));
    await index.record({ envelopeId, requestId, ownerId: request.ownerId, signers });
    await progress.apply(requestId, envelopeRecorded(envelopeId, signers), [
      event(requestId, 'agreement.envelope-created', `${envelopeId}`, { envelopeId }),
    ]);
    return { envelopeId, pollMinutes };
  }

  async sendEnvelope(requestId: string, envelopeId: string): Promise<NotificationInput | undefined> {
    const envelopes = this.dependencies.envelopes();
    await envelopes.send(envelopeId);
    const state = await envelopes.get(envelopeId);
    await this.dependencies.index.updateSigners(envelopeId, (known) =>
      mergeSignerProgress(known, state.signers),
    );
    const request = await this.dependencies.progress.apply(
      requestId,
      envelopeSent(envelopeId, state.signers, this.now()),
      [event(requestId, 'agreement.envelope-sent', envelopeId, { envelopeId })],
    );
    const signatories = (agreementOf(request)?.signers ?? []).map((signer) => signer.name);
    return toRequester(request, { event: 'agreement_envelope_sent', signatories });
  }

  /** The envelope's outcome read through the API; signer progress is refreshed on the way. */
  async checkEnvelope(requestId: string, envelopeId: string): Promise<EnvelopeOutcome | undefined> {
    const state = await this.dependencies.envelopes().get(envelopeId);
    await this.recordSignerNews(requestId, envelopeId, state.signers);
    return outcomeOfState(state);
  }

  /** Signer news onto the envelope index and the request (both only move forward). */
  async recordSignerNews(
    requestId: string,
    envelopeId: string,
    news: readonly Pick<SignerProgress, 'recipientId' | 'status' | 'at'>[],
  ): Promise<void> {
    if (news.length === 0) return;
    await this.dependencies.index.updateSigners(envelopeId, (known) => mergeSignerProgress(known, news));
    await this.dependencies.progress.apply(requestId, signersProgressed(envelopeId, news));
  }

  async recordSigned(
    requestId: string,
    how: { readonly envelopeId: string } | { readonly upload: Pick<AgreementUpload, 'version' | 'sha256'> },
  ): Promise<void> {
    const route = 'envelopeId' in how ? 'electronic' : 'manual';
    const details = 'envelopeId' in how ? { envelopeId: how.envelopeId } : { ...how.upload };
    await this.dependencies.progress.apply(requestId, agreementSigned(route, this.now()), [
      event(requestId, 'agreement.signed', route, { route, ...details }),
    ]);
  }

  async recordEnded(requestId: string, outcome: EnvelopeOutcome): Promise<NotificationInput | undefined> {
    const type = outcome.status === 'declined' ? 'agreement.declined' : 'agreement.voided';
    const request = await this.dependencies.progress.apply(requestId, agreementEnded(outcome, this.now()), [
      event(requestId, type, outcome.envelopeId, {
        envelopeId: outcome.envelopeId,
        reason: outcome.reason,
        expired: outcome.expired,
        source: outcome.source,
        ...(outcome.declinedBy === undefined ? {} : { declinedBy: outcome.declinedBy }),
      }),
    ]);
    if (outcome.status !== 'declined') return undefined;
    return toRequester(request, {
      event: 'signature_declined',
      ...(outcome.declinedBy === undefined ? {} : { declinedBy: outcome.declinedBy.slice(0, 200) }),
      ...(outcome.reason === '' ? {} : { reason: outcome.reason }),
    });
  }

  /** After a withdrawal: voids the envelope (DocuSign discards a draft that was never sent instead). */
  async withdrawEnvelope(requestId: string, envelopeId: string): Promise<void> {
    const reason = 'The request was withdrawn.';
    await this.dependencies.envelopes().void(envelopeId, reason);
    await this.dependencies.progress.apply(requestId, envelopeWithdrawn(envelopeId, reason, this.now()), [
      event(requestId, 'agreement.envelope-voided', envelopeId, { envelopeId, reason }),
    ]);
  }

  /** The manual route starts waiting; an upload made before the lifecycle got here counts at once. */
  async awaitUpload(requestId: string): Promise<AgreementUpload | undefined> {
    await this.dependencies.progress.apply(requestId, uploadAwaited);
    return (await this.dependencies.uploads.list(requestId)).at(-1);
  }

  private async findOrCreateDraft(request: RequestDocument): Promise<string> {
    const { envelopes, template, envelopeOptions } = this.dependencies;
    const key = agreementIdempotencyKey(request.id);
    const since = new Date(Date.parse(request.submittedAt ?? request.createdAt) - lookBackMs);
    const found = await envelopes().findByIdempotencyKey(key, since);
    if (found !== undefined) return found;
    const definition = buildEnvelopeDefinition(
      agreementSubjectOf(request),
      await template.readTemplate(),
      envelopeOptions(),
    );
    return envelopes().createDraft(definition);
  }

  private now(): string {
    return this.dependencies.now().toISOString();
  }
}

function event(requestId: string, type: string, discriminator: string, details: Record<string, unknown>) {
  return {
    type,
    actor,
    details,
    idempotencyKey: `${type}:${requestId}:${discriminator}`,
  } satisfies NewEvent;
}

type RequesterMail =
  | { event: 'agreement_envelope_sent'; signatories: string[] }
  | { event: 'signature_declined'; declinedBy?: string; reason?: string };

/** A mail to the requester about `request`; none when the requester has no address. */
function toRequester(request: RequestDocument, mail: RequesterMail): NotificationInput | undefined {
  if (request.owner.email === null) return undefined;
  return {
    ...mail,
    requestId: request.id,
    projectName: request.answers.destination?.projectName?.trim() || 'Untitled request',
    recipients: [
      {
        address: request.owner.email,
        ...(request.owner.name === null ? {} : { displayName: request.owner.name }),
      },
    ],
  };
}
