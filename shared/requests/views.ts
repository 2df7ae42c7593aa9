/**
 * What the API answers about a request: the whole request with its wizard report, rules and next action (a
 * read), and the dashboard's summary of one. Both are computed from the stored document on every answer, so
 * the report can never be out of date.
 */
import { z } from 'zod';
import { agreementSummary, agreementSummarySchema } from '../agreements/request-agreement';
import { countsSchema } from '../catalog/model';
import { reviewSummaryOf, reviewSummarySchema } from '../reviews/model';
import type { Profile } from '../users/model';
import { vendingSummaryOf, vendingSummarySchema } from '../provisioning/model';
import {
  answersSchema,
  requestDauSchema,
  requestDocumentSchema,
  requestStatusSchema,
  type RequestDocument,
} from './model';
import { nextAction, nextActionSchema, type Viewer } from './next-action';
import { evaluateRules, ruleFindingSchema, type RuleFinding } from './rules';
import { wizardReport, wizardReportSchema, type WizardReport } from './wizard';

export const viewerSchema = z.object({
  /** How the caller sees the request: its owner, an admin, or a committee member of one of its DAUs. */
  as: z.enum(['owner', 'admin', 'committee']),
  readOnly: z.boolean(),
});

export const requestViewSchema = requestDocumentSchema
  .pick({
    id: true,
    status: true,
    revision: true,
    owner: true,
    createdAt: true,
    updatedAt: true,
    submittedAt: true,
    copiedFrom: true,
    selection: true,
    agreementRoute: true,
    signatories: true,
  })
  .extend({
    agreement: agreementSummarySchema.nullable(),
    daus: z.array(requestDauSchema.extend({ embargoInEffect: z.boolean() })),
    answers: answersSchema,
    wizard: wizardReportSchema,
    rules: z.array(ruleFindingSchema),
    nextAction: nextActionSchema.nullable(),
    viewer: viewerSchema,
  })
  .meta({ id: 'Request', description: 'A data request with its wizard report, rules and next action' });
export type RequestView = z.infer<typeof requestViewSchema>;

export const dashboardItemSchema = z
  .object({
    id: z.uuid(),
    status: requestStatusSchema,
    projectName: z.string().nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    submittedAt: z.iso.datetime().nullable(),
    counts: countsSchema,
    daus: z.array(
      requestDauSchema
        .pick({ id: true, name: true, access: true, status: true, agreementRequired: true })
        /** The committee's round and expected decision date, once the DAU is in review. */
        .extend({ review: reviewSummarySchema.nullable() })
        /** Vending's progress (files and bytes done of total) and the access period, once vending began. */
        .extend({ vending: vendingSummarySchema.nullable() }),
    ),
    wizard: wizardReportSchema.pick({ complete: true, remainingSteps: true }),
    /** Signers' progress (who signed, who is next) or the uploads; why it ended. */
    agreement: agreementSummarySchema.nullable(),
    nextAction: nextActionSchema.nullable(),
  })
  .meta({ id: 'DashboardItem' });
export type DashboardItem = z.infer<typeof dashboardItemSchema>;

export const dashboardSchema = z
  .object({
    items: z.array(dashboardItemSchema),
    /** Give it back as `continuation` for the next page; null on the last page. */
    continuation: z.string().nullable(),
  })
  .meta({ id: 'Dashboard' });

export interface Assessment {
  readonly wizard: WizardReport;
  readonly rules: RuleFinding[];
}

/** The wizard report and the rules of a request as it stands. */
export function assess(request: RequestDocument, profile: Profile | undefined, now: Date): Assessment {
  const wizard = wizardReport(request.answers, {
    agreementNeeded: request.daus.some((dau) => dau.agreementRequired),
  });
  return { wizard, rules: evaluateRules(request, { profile, wizard, now }) };
}

export function toRequestView(
  request: RequestDocument,
  context: { readonly viewer: Viewer; readonly profile: Profile | undefined; readonly now: Date },
): RequestView {
  const { wizard, rules } = assess(request, context.profile, context.now);
  const today = context.now.toISOString().slice(0, 10);
  return {
    id: request.id,
    status: request.status,
    revision: request.revision,
    owner: request.owner,
    createdAt: request.createdAt,
    updatedAt: request.updatedAt,
    submittedAt: request.submittedAt,
    copiedFrom: request.copiedFrom,
    selection: request.selection,
    daus: request.daus.map((dau) => ({
      ...dau,
      embargoInEffect: dau.embargoDate !== null && dau.embargoDate > today,
    })),
    answers: request.answers,
    agreementRoute: request.agreementRoute,
    signatories: request.signatories,
    agreement: agreementSummary(request),
    wizard,
    rules,
    nextAction: nextAction(request, wizard, rules, context.viewer),
    viewer: { as: context.viewer, readOnly: context.viewer !== 'owner' || request.status !== 'draft' },
  };
}

export function toDashboardItem(
  request: RequestDocument,
  profile: Profile | undefined,
  now: Date,
): DashboardItem {
  const { wizard, rules } = assess(request, profile, now);
  return {
    id: request.id,
    status: request.status,
    projectName: request.answers.destination?.projectName ?? null,
    createdAt: request.createdAt,
    updatedAt: request.updatedAt,
    submittedAt: request.submittedAt,
    counts: request.selection.counts,
    daus: request.daus.map(({ id, name, access, status, agreementRequired, review, vending }) => ({
      id,
      name,
      access,
      status,
      agreementRequired,
      review: reviewSummaryOf(review),
      vending: vendingSummaryOf(vending),
    })),
    wizard: { complete: wizard.complete, remainingSteps: wizard.remainingSteps },
    agreement: agreementSummary(request),
    nextAction: nextAction(request, wizard, rules, 'owner'),
  };
}
