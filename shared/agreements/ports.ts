/**
 * What the agreements use cases need from the outside world; adapters under `adapters/` implement these
 * with `docusign-esign`, Blob Storage and Cosmos DB.
 */
import type { EnvelopeOutcome } from '../lifecycle/request-lifecycle-contract';
import type { EnvelopeDefinition } from './envelope-definition';
import type { AgreementUpload, EnvelopeStatus, SignerProgress } from './model';

/** An envelope as DocuSign reports it. */
export interface EnvelopeState {
  readonly envelopeId: string;
  readonly status: EnvelopeStatus | string;
  readonly signers: readonly Pick<SignerProgress, 'recipientId' | 'status' | 'at'>[];
  /** The signer's reason when a recipient declined. */
  readonly declinedReason?: string;
  readonly declinedBy?: string;
  /** DocuSign's reason when voided (an expired envelope is voided with a reason saying so). */
  readonly voidedReason?: string;
}

/** DocuSign eSignature: envelopes of the app's account. */
export interface EnvelopeService {
  /** The envelope created earlier under `idempotencyKey` (custom field), if one exists. */
  findByIdempotencyKey(idempotencyKey: string, createdSince: Date): Promise<string | undefined>;
  /** Creates the envelope as a draft (`created`): nothing is sent yet. Returns its id. */
  createDraft(definition: EnvelopeDefinition): Promise<string>;
  /** Sends a draft; an envelope already sent (or further) is left alone, so calling twice sends once. */
  send(envelopeId: string): Promise<void>;
  get(envelopeId: string): Promise<EnvelopeState>;
  /**
   * Ends an envelope still open: voids one sent, discards a draft never sent (DocuSign deletes drafts, it does
   * not void them); one already completed, declined, voided or deleted is left alone.
   */
  void(envelopeId: string, reason: string): Promise<void>;
}

/** The agreement template PDF (the one `GET /api/agreements/template` serves). */
export interface AgreementTemplateSource {
  readTemplate(): Promise<Uint8Array>;
}

/** Uploaded agreements: every version kept, in the private documents container. */
export interface AgreementUploadStore {
  /** Stores the next version for the request (1, 2, …) under a server-chosen name; returns it. */
  add(requestId: string, pdf: Uint8Array, uploadedBy: string): Promise<AgreementUpload>;
  list(requestId: string): Promise<AgreementUpload[]>;
  /** The bytes of one version, or undefined if there is none. */
  read(requestId: string, version: number): Promise<{ upload: AgreementUpload; pdf: Buffer } | undefined>;
}

/** Which request an envelope belongs to, and the progress Connect has told us about. */
export interface EnvelopeRecord {
  readonly envelopeId: string;
  readonly requestId: string;
  readonly ownerId: string;
  readonly signers: readonly SignerProgress[];
}

export interface EnvelopeIndex {
  /** Records (or re-records, unchanged) the envelope of a request; idempotent. */
  record(entry: EnvelopeRecord): Promise<void>;
  find(envelopeId: string): Promise<EnvelopeRecord | undefined>;
  /**
   * Applies signer news with `merge` under optimistic concurrency (retried on a concurrent change); returns
   * the progress stored afterwards and whether it changed.
   */
  updateSigners(
    envelopeId: string,
    merge: (known: readonly SignerProgress[]) => readonly SignerProgress[],
  ): Promise<{ readonly signers: readonly SignerProgress[]; readonly changed: boolean } | undefined>;
  /** Whether a Connect delivery was recorded under `key` (a point read). */
  hasDelivery(envelopeId: string, key: string): Promise<boolean>;
  /** Records a Connect delivery by key; `false` when the same delivery was recorded before. */
  recordDelivery(envelopeId: string, key: string): Promise<boolean>;
}

/** The request's orchestration, as the agreements use cases reach it (the durable client in production). */
export interface RequestLifecycleEvents {
  /**
   * Raises the envelope's outcome to the orchestration of `requestId`. `no-instance` when there is no such
   * orchestration (not started, or purged); any other failure throws.
   */
  raiseEnvelopeOutcome(requestId: string, outcome: EnvelopeOutcome): Promise<'raised' | 'no-instance'>;
}

/** The request's copy of its signers' progress (so the dashboard reads it with the request). */
export interface RequestSignerProgress {
  /** Merges `signers` into the request's agreement (forward only); a request that is gone is skipped. */
  record(requestId: string, envelopeId: string, signers: readonly SignerProgress[]): Promise<void>;
}
