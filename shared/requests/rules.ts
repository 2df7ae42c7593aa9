/**
 * The eligibility rules (evaluated on every read and change of a request, and again at submit): each finding
 * is shaped like a problem+json document with a stable `type` and the reason; `blocking` ones stop a submit,
 * the others say what the requester should know (no agreement needed, embargo dates, names that matched
 * nothing).
 */
import { z } from 'zod';
import { dauIdSchema } from '../catalog/model';
import { AppError, problemTypeBase, problemTypeUri, type ProblemKind } from '../http/errors';
import type { Profile } from '../users/model';
import { UNITED_STATES } from '../users/countries';
import type { RequestDocument } from './model';
import { noticeCodes, requestProblems } from './problems';
import { wizardFieldIssueSchema, type WizardReport } from './wizard';

export const ruleFindingSchema = z
  .object({
    type: z.url(),
    title: z.string(),
    /** The HTTP status a submit answers with while this finding blocks it. */
    status: z.number().int().optional(),
    detail: z.string(),
    blocking: z.boolean(),
    /** The DAUs the finding is about. */
    daus: z.array(dauIdSchema).optional(),
    /** Embargo dates by DAU (the `embargo` notice). */
    embargoes: z.array(z.object({ dau: dauIdSchema, date: z.iso.date() })).optional(),
    /** The wizard's missing and invalid fields (`wizard-incomplete`). */
    fields: z.array(wizardFieldIssueSchema).optional(),
  })
  .meta({ id: 'RuleFinding', description: 'One eligibility rule that applies to the request' });
export type RuleFinding = z.infer<typeof ruleFindingSchema>;

export interface RuleContext {
  /** The owner's profile (undefined until they set one). */
  readonly profile: Profile | undefined;
  readonly wizard: WizardReport;
  readonly now: Date;
}

function blocker(kind: ProblemKind, detail: string, extra: Partial<RuleFinding> = {}): RuleFinding {
  return {
    type: problemTypeUri(kind),
    title: kind.title,
    status: kind.status,
    detail,
    blocking: true,
    ...extra,
  };
}

function notice(code: string, title: string, detail: string, extra: Partial<RuleFinding> = {}): RuleFinding {
  return { type: problemTypeBase + code, title, detail, blocking: false, ...extra };
}

const list = (ids: readonly string[]) => ids.join(', ');

/** Every rule that applies to the request now, blockers first (in the order a submit reports them). */
export function evaluateRules(request: RequestDocument, context: RuleContext): RuleFinding[] {
  const findings: RuleFinding[] = [];
  const { profile, wizard, now } = context;
  const controlled = request.daus.filter((dau) => dau.access === 'controlled').map((dau) => dau.id);
  const open = request.daus.filter((dau) => dau.access === 'open').map((dau) => dau.id);

  const organisationForProfit =
    profile?.organisationType === 'for-profit' ||
    request.answers.institution?.organisationType === 'for-profit';
  if (organisationForProfit && controlled.length > 0) {
    findings.push(
      blocker(
        requestProblems.forProfitRefused,
        `For-profit organisations are refused controlled-access data: remove ${list(controlled)} from the ` +
          `selection.${open.length > 0 ? ` The open DAUs (${list(open)}) stay available.` : ''}`,
        { daus: controlled },
      ),
    );
  }
  if (profile === undefined) {
    findings.push(
      blocker(
        requestProblems.profileRequired,
        'Set your name, institution, country and organisation type (PUT /api/me) before you submit.',
      ),
    );
  }
  if (request.selection.counts.files === 0) {
    findings.push(
      blocker(
        requestProblems.selectionEmpty,
        'The selection holds no file; choose rows or samples in the catalog before you submit.',
      ),
    );
  }
  const agreementNeeded = request.daus.some((dau) => dau.agreementRequired);
  const country = request.answers.institution?.country?.toUpperCase();
  if (
    agreementNeeded &&
    request.answers.agreementRoute === 'electronic' &&
    country !== undefined &&
    country !== UNITED_STATES
  ) {
    findings.push(
      blocker(
        requestProblems.electronicSigningUsOnly,
        `Electronic signing (DocuSign) is available to requesters in the United States only; your institution ` +
          `is in ${country}. Choose the manual route and upload the signed agreement.`,
      ),
    );
  }
  if (!wizard.complete) {
    const fields = [...wizard.missing, ...wizard.invalid];
    findings.push(
      blocker(
        requestProblems.wizardIncomplete,
        `Complete the set-up wizard: ${fields.map((field) => `${field.field} ${field.message}`).join('; ')}.`,
        { fields },
      ),
    );
  }

  const free = request.daus.filter((dau) => !dau.agreementRequired);
  if (free.length > 0) {
    const held = free.filter((dau) => dau.held && dau.access === 'controlled').map((dau) => dau.id);
    const reasons = [
      ...(open.length > 0 ? [`${list(open)} ${open.length === 1 ? 'is' : 'are'} open access`] : []),
      ...(held.length > 0 ? [`you already hold ${list(held)}`] : []),
    ];
    findings.push(
      notice(
        noticeCodes.noAgreementNeeded,
        'No agreement and no review needed',
        `${free.map((dau) => dau.id).join(', ')} need${free.length === 1 ? 's' : ''} no Data Access ` +
          `Agreement and no committee review (${reasons.join('; ')}).`,
        { daus: free.map((dau) => dau.id) },
      ),
    );
  }
  const embargoes = request.daus
    .filter((dau): dau is typeof dau & { embargoDate: string } => dau.embargoDate !== null)
    .map((dau) => ({ dau: dau.id, date: dau.embargoDate }));
  if (embargoes.length > 0) {
    const today = now.toISOString().slice(0, 10);
    const inEffect = embargoes.filter((embargo) => embargo.date > today);
    findings.push(
      notice(
        noticeCodes.embargo,
        'Publication embargo dates',
        inEffect.length > 0
          ? `Results from ${inEffect.map((embargo) => `${embargo.dau} may not be published before ${embargo.date}`).join(', ')}.`
          : `Every embargo has ended (${embargoes.map((embargo) => `${embargo.dau} on ${embargo.date}`).join(', ')}).`,
        { embargoes, daus: embargoes.map((embargo) => embargo.dau) },
      ),
    );
  }
  const unknown = [...request.selection.unknownSampleNames, ...request.selection.unknownRowIds];
  if (unknown.length > 0) {
    findings.push(
      notice(
        noticeCodes.unknownNames,
        'Names that matched nothing',
        `${unknown.length} name${unknown.length === 1 ? '' : 's'} of the selection matched nothing in the ` +
          `catalog: ${unknown.slice(0, 20).join(', ')}${unknown.length > 20 ? ` and ${unknown.length - 20} more` : ''}.`,
      ),
    );
  }
  return findings;
}

/** The refusal of a submit while any rule blocks it: the first blocker's problem, every blocker listed. */
export function submitRefusal(findings: readonly RuleFinding[]): AppError | undefined {
  const blockers = findings.filter((finding) => finding.blocking);
  const first = blockers[0];
  if (first === undefined) return undefined;
  const kind = Object.values(requestProblems).find((candidate) => problemTypeUri(candidate) === first.type)!;
  const detail =
    blockers.length === 1
      ? first.detail
      : `${blockers.length} rules block the submit: ${blockers.map((finding) => finding.detail).join(' ')}`;
  return new AppError(kind, detail, { extensions: { rules: blockers } });
}
