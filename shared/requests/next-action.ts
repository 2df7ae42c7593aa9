/**
 * What the caller should do next about a request (the dashboard's "next action"), from its status, its
 * wizard and its rules. Null when nothing is expected of anyone the caller can prompt.
 */
import { z } from 'zod';
import { dauReviewRecordSchema } from '../reviews/model';
import type { RequestDocument } from './model';
import type { RuleFinding } from './rules';
import type { WizardReport } from './wizard';

export const NEXT_ACTIONS = [
  'complete-steps',
  'resolve-blocker',
  'submit',
  'wait-for-processing',
  'sign-agreement',
  'upload-agreement',
  'upload-revised-agreement',
  'wait-for-committee',
  'wait-for-data',
  'use-data',
  'request-extension',
  'copy-request',
  'review',
] as const;

export const nextActionSchema = z
  .object({
    code: z.enum(NEXT_ACTIONS),
    /** For people: "Complete 3 steps", "Sign the agreement", ... */
    label: z.string(),
    /** Who acts: the requester, or someone they wait for. */
    actor: z.enum(['requester', 'signatories', 'committee', 'system']),
  })
  .meta({ id: 'NextAction' });
export type NextAction = z.infer<typeof nextActionSchema>;

export type Viewer = 'owner' | 'admin' | 'committee';

export function nextAction(
  request: RequestDocument,
  wizard: WizardReport,
  rules: readonly RuleFinding[],
  viewer: Viewer,
): NextAction | null {
  const action = (code: NextAction['code'], label: string, actor: NextAction['actor'] = 'requester') => ({
    code,
    label,
    actor,
  });
  switch (request.status) {
    case 'draft': {
      const blocker = rules.find(
        (rule) => rule.blocking && rule.type.split('/').pop() !== 'wizard-incomplete',
      );
      if (blocker !== undefined) return action('resolve-blocker', blocker.title);
      if (!wizard.complete) {
        const steps = wizard.remainingSteps;
        return action('complete-steps', `Complete ${steps} step${steps === 1 ? '' : 's'}`);
      }
      return action('submit', 'Submit the request');
    }
    case 'submitted':
      return action('wait-for-processing', 'Waiting for the request to be processed', 'system');
    case 'awaiting_signatures':
      return action('sign-agreement', 'Sign the agreement (DocuSign sent it by e-mail)', 'signatories');
    case 'awaiting_agreement_upload':
      return action('upload-agreement', 'Upload the signed agreement');
    case 'returned': {
      const reasons = request.daus.flatMap((dau) =>
        dau.status === 'returned' ? (reviewRecordOf(dau.review)?.returnReasons ?? []) : [],
      );
      const toFix = reasons.length === 0 ? '' : `: ${reasons.join('; ')}`;
      return action('upload-revised-agreement', `Upload a revised agreement (Add a Form)${toFix}`);
    }
    case 'in_review':
      return viewer === 'committee'
        ? action('review', 'Review the request', 'committee')
        : action('wait-for-committee', 'Waiting for the committee', 'committee');
    case 'approved':
    case 'partially_approved':
    case 'provisioning':
      return action('wait-for-data', 'Waiting for the data to be copied to your project', 'system');
    case 'active':
      return action('use-data', 'Work with your data');
    case 'expiring':
      return action('request-extension', 'Access ends soon: request an extension');
    case 'signature_declined':
      return action('copy-request', 'A signatory declined: copy the request to start again');
    case 'agreement_voided':
      return action('copy-request', 'The agreement was voided: copy the request to start again');
    case 'rejected':
    case 'expired':
    case 'withdrawn':
    case 'revoked':
      return null;
  }
}

/** A DAU's review record as the reviews module writes it, if it is one. */
function reviewRecordOf(review: unknown) {
  const parsed = dauReviewRecordSchema.safeParse(review);
  return parsed.success ? parsed.data : undefined;
}
