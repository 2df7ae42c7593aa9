/**
 * Where an envelope ended, as the request's orchestration hears it (`EnvelopeOutcome`), from either source:
 * a Connect delivery of an envelope-level event, or the envelope's status read through the API (the poll
 * that covers a lost webhook). Both give the same outcome for the same envelope.
 */
import { isExpiryReason, type EnvelopeOutcome } from '../lifecycle/request-lifecycle-contract';
import type { ConnectPayload } from './connect';
import type { EnvelopeState } from './ports';

const outcomeEvents: Readonly<Record<string, EnvelopeOutcome['status']>> = {
  'envelope-completed': 'completed',
  'envelope-declined': 'declined',
  'envelope-voided': 'voided',
};

const maxReasonLength = 2000;

/** The outcome an envelope-level Connect event reports; undefined for every other event. */
export function outcomeOfDelivery(payload: ConnectPayload): EnvelopeOutcome | undefined {
  const status = outcomeEvents[payload.event];
  if (status === undefined) return undefined;
  const summary = payload.data.envelopeSummary;
  const decliner = summary?.recipients?.signers?.find(
    (signer) => signer.status?.toLowerCase() === 'declined',
  );
  return build({
    envelopeId: payload.data.envelopeId,
    status,
    reason: status === 'declined' ? decliner?.declinedReason : summary?.voidedReason,
    declinedBy: status === 'declined' ? (decliner?.name ?? decliner?.email) : undefined,
    at: payload.generatedDateTime,
    source: 'connect',
  });
}

/** The outcome of an envelope read through the API; undefined while it is still in flight. */
export function outcomeOfState(state: EnvelopeState): EnvelopeOutcome | undefined {
  const status = state.status;
  if (status !== 'completed' && status !== 'declined' && status !== 'voided') return undefined;
  return build({
    envelopeId: state.envelopeId,
    status,
    reason:
      status === 'declined' ? state.declinedReason : status === 'voided' ? state.voidedReason : undefined,
    declinedBy: status === 'declined' ? state.declinedBy : undefined,
    at: undefined,
    source: 'poll',
  });
}

function build(parts: {
  envelopeId: string;
  status: EnvelopeOutcome['status'];
  reason: string | undefined;
  declinedBy: string | undefined;
  at: string | undefined;
  source: EnvelopeOutcome['source'];
}): EnvelopeOutcome {
  const reason = (parts.reason ?? '').trim().slice(0, maxReasonLength);
  return {
    envelopeId: parts.envelopeId,
    status: parts.status,
    reason,
    ...(parts.declinedBy === undefined || parts.declinedBy === ''
      ? {}
      : { declinedBy: parts.declinedBy.slice(0, 400) }),
    expired: parts.status === 'voided' && isExpiryReason(reason),
    ...(parts.at === undefined ? {} : { at: parts.at.slice(0, 64) }),
    source: parts.source,
  };
}
