/**
 * Shared pieces of the agreements tests: an agreement subject, an in-memory envelope index (the port's
 * contract, for in-process use-case tests), a lifecycle that records what was raised, Connect messages signed
 * as DocuSign signs them, and signing as a recipient on the DocuSign stand-in's pages.
 */
import { connectSignature } from '../../shared/agreements/connect';
import type { AgreementSubject, SignerProgress } from '../../shared/agreements/model';
import type { EnvelopeIndex, EnvelopeRecord, RequestLifecycleEvents } from '../../shared/agreements/ports';
import type { EnvelopeOutcome } from '../../shared/lifecycle/request-lifecycle-contract';

export function agreementSubject(overrides: Partial<AgreementSubject> = {}): AgreementSubject {
  return {
    requestId: '0b8a2f5e-7a53-4b3f-9d0e-3f1f3c2b9a10',
    projectName: 'Osteosarcoma relapse',
    institution: 'Example University',
    contemplatedUse: 'Compare relapse and diagnosis samples of paired tumor-normal WGS.',
    downloadRequested: true,
    requester: { name: 'Ada Requester', email: 'ada@example.org' },
    principalInvestigator: { name: 'Pat Investigator', email: 'pat@example.org' },
    additionalApplicants: [
      { name: 'Ann Applicant', email: 'ann@example.org' },
      { name: 'Bob Applicant', email: 'bob@example.org' },
    ],
    institutionalAuthority: { name: 'Ines Authority', email: 'ines@example.org' },
    informationSecurityOfficer: { name: 'Iso Officer', email: 'iso@example.org' },
    daus: [
      { id: 'dau-pcgp', name: 'Pediatric Cancer Genome Project' },
      { id: 'dau-sjlife', name: 'St. Jude Lifetime' },
    ],
    ...overrides,
  };
}

/** The `EnvelopeIndex` contract in memory, with a snapshot to compare before and after. */
export class InMemoryEnvelopeIndex implements EnvelopeIndex {
  readonly records = new Map<string, EnvelopeRecord>();
  readonly deliveries = new Map<string, Set<string>>();
  /** Every call, in order (a refused delivery must leave this empty). */
  readonly calls: string[] = [];

  async record(entry: EnvelopeRecord): Promise<void> {
    this.calls.push(`record ${entry.envelopeId}`);
    if (!this.records.has(entry.envelopeId)) this.records.set(entry.envelopeId, entry);
  }

  async find(envelopeId: string): Promise<EnvelopeRecord | undefined> {
    this.calls.push(`find ${envelopeId}`);
    return this.records.get(envelopeId);
  }

  async updateSigners(
    envelopeId: string,
    merge: (known: readonly SignerProgress[]) => readonly SignerProgress[],
  ): Promise<{ readonly signers: readonly SignerProgress[]; readonly changed: boolean } | undefined> {
    this.calls.push(`updateSigners ${envelopeId}`);
    const record = this.records.get(envelopeId);
    if (record === undefined) return undefined;
    const signers = merge(record.signers);
    if (signers === record.signers) return { signers, changed: false };
    this.records.set(envelopeId, { ...record, signers });
    return { signers, changed: true };
  }

  async hasDelivery(envelopeId: string, key: string): Promise<boolean> {
    this.calls.push(`hasDelivery ${envelopeId}`);
    return this.deliveries.get(envelopeId)?.has(key) ?? false;
  }

  async recordDelivery(envelopeId: string, key: string): Promise<boolean> {
    this.calls.push(`recordDelivery ${envelopeId}`);
    const keys = this.deliveries.get(envelopeId) ?? new Set<string>();
    this.deliveries.set(envelopeId, keys);
    if (keys.has(key)) return false;
    keys.add(key);
    return true;
  }

  snapshot(): string {
    return JSON.stringify({
      records: [...this.records.entries()],
      deliveries: [...this.deliveries.entries()].map(([id, keys]) => [id, [...keys].sort()]),
    });
  }
}

/** Records every outcome raised; `instances` says which requests have an orchestration. */
export class RecordingLifecycle implements RequestLifecycleEvents {
  readonly raised: { requestId: string; outcome: EnvelopeOutcome }[] = [];
  constructor(private readonly instances: (requestId: string) => boolean = () => true) {}

  async raiseEnvelopeOutcome(requestId: string, outcome: EnvelopeOutcome): Promise<'raised' | 'no-instance'> {
    if (!this.instances(requestId)) return 'no-instance';
    this.raised.push({ requestId, outcome });
    return 'raised';
  }
}

export function signersOf(count: number): SignerProgress[] {
  return Array.from({ length: count }, (_, index) => ({
    recipientId: String(index + 1),
    name: `Signer ${index + 1}`,
    email: `signer${index + 1}@example.org`,
    routingOrder: index + 1,
    status: 'pending' as const,
  }));
}

export interface ConnectMessageOptions {
  readonly envelopeId: string;
  readonly event: string;
  readonly recipientId?: string;
  readonly generatedDateTime?: string;
  readonly retryCount?: number;
  readonly signers?: readonly {
    recipientId: string;
    status: string;
    name?: string;
    declinedReason?: string;
  }[];
  readonly envelopeStatus?: string;
  readonly voidedReason?: string;
}

/** A JSON SIM message as the stand-in (and DocuSign) sends it, serialized once: these are the signed bytes. */
export function connectMessage(options: ConnectMessageOptions): Buffer {
  const { envelopeId } = options;
  return Buffer.from(
    JSON.stringify({
      event: options.event,
      apiVersion: 'v2.1',
      uri: `/restapi/v2.1/accounts/acc-1/envelopes/${envelopeId}`,
      retryCount: options.retryCount ?? 0,
      configurationId: 10418347,
      generatedDateTime: options.generatedDateTime ?? '2030-01-01T12:00:00.0000000Z',
      data: {
        accountId: 'acc-1',
        userId: 'user-1',
        envelopeId,
        ...(options.recipientId === undefined ? {} : { recipientId: options.recipientId }),
        envelopeSummary: {
          status: options.envelopeStatus ?? 'sent',
          envelopeId,
          ...(options.voidedReason === undefined ? {} : { voidedReason: options.voidedReason }),
          recipients: { signers: options.signers ?? [] },
        },
      },
    }),
  );
}

/** The headers DocuSign sends with `body`: one signature per secret. */
export function signedHeaders(body: Uint8Array, secrets: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    'x-authorization-digest': 'HMACSHA256',
  };
  secrets.forEach((secret, index) => {
    headers[`x-docusign-signature-${index + 1}`] = connectSignature(body, secret);
  });
  return headers;
}

export { actAsRecipient } from '../docusign-standin/signing';
