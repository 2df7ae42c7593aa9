import { problemKind } from '../http/errors';

/**
 * The requests module's problem kinds. The codes are published (the last segment of each problem `type`) and
 * never change; clients may branch on them.
 */
export const requestProblems = {
  /** Rules that block a submit (also listed, non-fatally, on every read). */
  forProfitRefused: problemKind(
    'for-profit-refused',
    403,
    'For-profit organisations cannot receive controlled-access data',
  ),
  profileRequired: problemKind('profile-required', 422, 'Complete your profile first'),
  selectionEmpty: problemKind('selection-empty', 422, 'The selection holds no file'),
  electronicSigningUsOnly: problemKind(
    'electronic-signing-us-only',
    422,
    'Electronic signing is for requesters in the United States',
  ),
  wizardIncomplete: problemKind('wizard-incomplete', 422, 'The set-up wizard is not complete'),
  /** Only a draft changes through PATCH, DELETE and the selection. */
  notDraft: problemKind('request-not-draft', 409, 'Only a draft can be changed'),
  /** Withdraw is for a submitted request still waiting for something; a draft is deleted instead. */
  notWithdrawable: problemKind('request-not-withdrawable', 409, 'The request cannot be withdrawn now'),
} as const;

/** Codes of informational findings: a type URI like the problems', never an error. */
export const noticeCodes = {
  noAgreementNeeded: 'no-agreement-needed',
  embargo: 'embargo',
  unknownNames: 'unknown-names',
} as const;
