/**
 * The set-up wizard (DESIGN §1 step 3): one zod schema per step with a message per field, and the
 * completeness report every read of a request carries. Answers are stored as typed (any shape-correct value,
 * so an autosave never loses what was typed); this is where they are judged: a field is *missing* when it is
 * absent or blank, *invalid* when a value is there but not acceptable.
 */
import { z } from 'zod';
import { countryCodeSchema, UNITED_STATES } from '../users/countries';
import {
  emailSchema,
  lineSchema,
  organisationTypeSchema,
  personNameSchema,
  rorIdSchema,
} from '../users/model';
import {
  agreementRouteSchema,
  MAX_ADDITIONAL_APPLICANTS,
  MAX_ADDITIONAL_APPLICANTS_ELECTRONIC,
  MAX_CONTEMPLATED_USE,
  type Answers,
} from './model';

export const MIN_CONTEMPLATED_USE = 50;

export const WIZARD_STEPS = [
  'destination',
  'principalInvestigator',
  'institution',
  'additionalApplicants',
  'institutionalAuthority',
  'contemplatedUse',
  'download',
  'agreementRoute',
] as const;
export type WizardStep = (typeof WIZARD_STEPS)[number];

export const STEP_TITLES: Readonly<Record<WizardStep, string>> = {
  destination: 'Project destination',
  principalInvestigator: 'Principal investigator',
  institution: 'Institution',
  additionalApplicants: 'Additional applicants',
  institutionalAuthority: 'Institutional authority',
  contemplatedUse: 'Contemplated use',
  download: 'Download',
  agreementRoute: 'Data Access Agreement route',
};

/** A project or folder name: one line, no characters that storage paths refuse. */
const storageName = (max: number) =>
  lineSchema(max).regex(/^[^/\\:*?"<>|]+$/, 'must not contain / \\ : * ? " < > |');

export const personSchema = z.object({
  name: personNameSchema,
  email: emailSchema,
  title: lineSchema(200),
});

/** The folder the data lands in unless the requester names one. */
export function defaultFolderName(createdAt: string): string {
  return `Data Requested (${createdAt.slice(0, 10)})`;
}

export const stepSchemas = {
  destination: z.object({
    kind: z.enum(['new', 'existing'], 'must be new or existing'),
    projectName: storageName(100),
    folderName: storageName(100),
  }),
  principalInvestigator: personSchema,
  institution: z.object({
    name: lineSchema(300),
    rorId: rorIdSchema.optional(),
    country: countryCodeSchema,
    organisationType: organisationTypeSchema,
  }),
  additionalApplicants: z.array(personSchema).max(MAX_ADDITIONAL_APPLICANTS),
  institutionalAuthority: personSchema,
  contemplatedUse: z
    .string()
    .trim()
    .min(MIN_CONTEMPLATED_USE, `must be at least ${MIN_CONTEMPLATED_USE} characters`)
    .max(MAX_CONTEMPLATED_USE, `must be at most ${MAX_CONTEMPLATED_USE} characters`),
  download: z.object({
    wanted: z.boolean('must be true or false'),
    informationSecurityOfficer: personSchema.optional(),
  }),
  agreementRoute: agreementRouteSchema,
} satisfies Record<WizardStep, z.ZodType>;

export const wizardFieldIssueSchema = z.object({
  /** Dotted path into the answers, e.g. `principalInvestigator.email` or `additionalApplicants.2.name`. */
  field: z.string(),
  step: z.enum(WIZARD_STEPS),
  message: z.string(),
});
export type WizardFieldIssue = z.infer<typeof wizardFieldIssueSchema>;

export const wizardReportSchema = z
  .object({
    complete: z.boolean(),
    steps: z.array(
      z.object({
        id: z.enum(WIZARD_STEPS),
        title: z.string(),
        /** False for a step this request does not need (the agreement route when no DAU needs an agreement). */
        applicable: z.boolean(),
        complete: z.boolean(),
      }),
    ),
    /** Applicable steps not complete yet. */
    remainingSteps: z.number().int(),
    missing: z.array(wizardFieldIssueSchema),
    invalid: z.array(wizardFieldIssueSchema),
  })
  .meta({ id: 'WizardReport', description: 'What the wizard still needs, step by step' });
export type WizardReport = z.infer<typeof wizardReportSchema>;

export interface WizardContext {
  /** Some DAU of the selection needs the agreement (controlled and not held). */
  readonly agreementNeeded: boolean;
}

/** Judges the answers: every step, every field, the rules between steps. */
export function wizardReport(answers: Answers, context: WizardContext): WizardReport {
  const missing: WizardFieldIssue[] = [];
  const invalid: WizardFieldIssue[] = [];
  const values = withoutBlanks(answers) as Record<WizardStep, unknown>;
  const add = (step: WizardStep, path: readonly PropertyKey[], message: string, value: unknown) => {
    const field = [step, ...path.map(String)].join('.');
    (isBlank(value) ? missing : invalid).push({
      field,
      step,
      message: isBlank(value) ? 'is required' : message,
    });
  };
  const applicable = (step: WizardStep) => step !== 'agreementRoute' || context.agreementNeeded;

  for (const step of WIZARD_STEPS) {
    if (!applicable(step)) continue;
    const value = step === 'additionalApplicants' ? (values[step] ?? []) : values[step];
    const result = stepSchemas[step].safeParse(value);
    if (!result.success) {
      for (const issue of result.error.issues)
        add(step, issue.path, issue.message, valueAt(value, issue.path));
    }
  }

  // Between fields and steps.
  const pi = values.principalInvestigator as { email?: string; name?: string } | undefined;
  const authority = values.institutionalAuthority as { email?: string; name?: string } | undefined;
  if (samePerson(pi, authority)) {
    invalid.push({
      field: 'institutionalAuthority.email',
      step: 'institutionalAuthority',
      message: 'must be someone other than the principal investigator',
    });
  }
  const download = values.download as { wanted?: boolean; informationSecurityOfficer?: unknown } | undefined;
  if (download?.wanted === true && download.informationSecurityOfficer === undefined) {
    missing.push({
      field: 'download.informationSecurityOfficer',
      step: 'download',
      message: 'is required when the data is to be downloaded (the officer signs the agreement too)',
    });
  }
  const route = values.agreementRoute;
  const country = normalisedCountry((values.institution as { country?: unknown } | undefined)?.country);
  if (
    applicable('agreementRoute') &&
    route === 'electronic' &&
    country !== undefined &&
    country !== UNITED_STATES
  ) {
    invalid.push({
      field: 'agreementRoute',
      step: 'agreementRoute',
      message: 'electronic signing is available to requesters in the United States only; choose manual',
    });
  }
  const applicants = (values.additionalApplicants as unknown[] | undefined) ?? [];
  if (route === 'electronic' && applicants.length > MAX_ADDITIONAL_APPLICANTS_ELECTRONIC) {
    invalid.push({
      field: 'additionalApplicants',
      step: 'additionalApplicants',
      message: `at most ${MAX_ADDITIONAL_APPLICANTS_ELECTRONIC} additional applicants can sign electronically; remove some or choose the manual route`,
    });
  }
  const seen = new Map<string, number>();
  applicants.forEach((applicant, position) => {
    const email = normalisedEmail((applicant as { email?: unknown }).email);
    if (email === undefined) return;
    const first = seen.get(email);
    if (first !== undefined) {
      invalid.push({
        field: `additionalApplicants.${position}.email`,
        step: 'additionalApplicants',
        message: `is already given for additional applicant ${first + 1}`,
      });
    } else seen.set(email, position);
  });

  const incomplete = new Set([...missing, ...invalid].map((issue) => issue.step));
  const steps = WIZARD_STEPS.map((id) => ({
    id,
    title: STEP_TITLES[id],
    applicable: applicable(id),
    complete: !applicable(id) || !incomplete.has(id),
  }));
  return {
    complete: missing.length === 0 && invalid.length === 0,
    steps,
    remainingSteps: steps.filter((step) => !step.complete).length,
    missing,
    invalid,
  };
}

function samePerson(
  a: { email?: string; name?: string } | undefined,
  b: { email?: string; name?: string } | undefined,
): boolean {
  if (a === undefined || b === undefined) return false;
  const emailA = normalisedEmail(a.email);
  if (emailA !== undefined && emailA === normalisedEmail(b.email)) return true;
  const nameA = normalisedName(a.name);
  return nameA !== undefined && nameA === normalisedName(b.name);
}

function normalisedEmail(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim().toLowerCase() : undefined;
}

function normalisedName(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== ''
    ? value.trim().toLowerCase().replace(/\s+/g, ' ')
    : undefined;
}

function normalisedCountry(value: unknown): string | undefined {
  const parsed = countryCodeSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

function isBlank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/** The answers as judged: null and blank members count as not given (so an emptied optional field is fine). */
function withoutBlanks(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutBlanks);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, member]) => !isBlank(member))
        .map(([key, member]) => [key, withoutBlanks(member)]),
    );
  }
  return value;
}
