/**
 * The set-up wizard's validation, field by field, and every eligibility rule, through the local host — plus
 * the catalog's `held` from the grants store (a grant seeded with the real adapter).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCatalogContainers } from '../../shared/catalog/adapters/cosmos-catalog-store';
import { CATALOG_DAUS } from '../../shared/catalog/generator/daus';
import { CosmosGrantStore } from '../../shared/grants/adapters/cosmos-grant-store';
import { grantId } from '../../shared/grants/model';
import { subjectFor } from '../../infra/local/standins/dev-issuer';
import {
  completeAnswers,
  startRequestsSystem,
  studySelection,
  type Reply,
  type RequestsSystem,
} from './support';

let system: RequestsSystem;

beforeAll(async () => {
  system = await startRequestsSystem();
});

afterAll(async () => {
  await system?.close();
});

const problem = (code: string) => `https://datarequests.dev/problems/${code}`;

async function draftWith(
  answers: Record<string, unknown> | undefined,
  {
    as = 'us-requester',
    token,
    selection = studySelection('PCGP'),
  }: { as?: string; token?: string; selection?: unknown } = {},
): Promise<Reply> {
  const who = token === undefined ? { as } : { token };
  const created = await system.call('POST', '/api/requests', { ...who, body: selection });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  if (answers === undefined) return created;
  return system.call('PATCH', `/api/requests/${created.body.id}`, {
    ...who,
    body: { answers },
    headers: { 'if-match': created.etag! },
  });
}

const submit = (draft: Reply, who: { as?: string; token?: string } = { as: 'us-requester' }) =>
  system.call('POST', `/api/requests/${draft.body.id}/submit`, {
    ...who,
    headers: { 'if-match': draft.etag! },
  });

function withChange(change: Record<string, unknown>): Record<string, unknown> {
  const answers = completeAnswers();
  for (const [path, value] of Object.entries(change)) {
    const keys = path.split('.');
    let target = answers as Record<string, unknown>;
    for (const key of keys.slice(0, -1)) target = (target[key] ??= {}) as Record<string, unknown>;
    target[keys.at(-1)!] = value;
  }
  return answers;
}

const person = (name: string, email: string) => ({ name, email, title: 'Research Scientist' });

describe('the wizard', () => {
  it('reports complete answers as complete, with every step done and submit as the next action', async () => {
    const draft = await draftWith(completeAnswers());
    expect(draft.status).toBe(200);
    expect(draft.body.wizard).toMatchObject({ complete: true, remainingSteps: 0, missing: [], invalid: [] });
    expect(draft.body.wizard.steps.map((step: { id: string }) => step.id)).toEqual([
      'destination',
      'principalInvestigator',
      'institution',
      'additionalApplicants',
      'institutionalAuthority',
      'contemplatedUse',
      'download',
      'agreementRoute',
    ]);
    expect(draft.body.nextAction).toEqual({
      code: 'submit',
      label: 'Submit the request',
      actor: 'requester',
    });
  });

  const cases: [string, Record<string, unknown>, 'missing' | 'invalid', string, string][] = [
    ['destination kind', { 'destination.kind': null }, 'missing', 'destination.kind', 'is required'],
    [
      'project name',
      { 'destination.projectName': '   ' },
      'missing',
      'destination.projectName',
      'is required',
    ],
    [
      'project name',
      { 'destination.projectName': 'a/b' },
      'invalid',
      'destination.projectName',
      'must not contain / \\ : * ? " < > |',
    ],
    [
      'folder name',
      { 'destination.folderName': 'x:y' },
      'invalid',
      'destination.folderName',
      'must not contain / \\ : * ? " < > |',
    ],
    ['PI', { principalInvestigator: null }, 'missing', 'principalInvestigator', 'is required'],
    [
      'PI name',
      { 'principalInvestigator.name': 'J0hn' },
      'invalid',
      'principalInvestigator.name',
      'may contain letters, spaces, apostrophes, hyphens and periods',
    ],
    [
      'PI e-mail',
      { 'principalInvestigator.email': 'grace@' },
      'invalid',
      'principalInvestigator.email',
      'must be an e-mail address like name@example.org',
    ],
    [
      'PI title',
      { 'principalInvestigator.title': '' },
      'missing',
      'principalInvestigator.title',
      'is required',
    ],
    [
      'PI title',
      { 'principalInvestigator.title': 'a\tb' },
      'invalid',
      'principalInvestigator.title',
      'must be one line of printable text',
    ],
    ['institution name', { 'institution.name': null }, 'missing', 'institution.name', 'is required'],
    [
      'ROR id',
      { 'institution.rorId': 'ror-123' },
      'invalid',
      'institution.rorId',
      'must be a ROR id like https://ror.org/02r3e0967',
    ],
    [
      'country',
      { 'institution.country': 'XX' },
      'invalid',
      'institution.country',
      'must be an ISO 3166-1 alpha-2 country code like US or DE',
    ],
    [
      'organisation type',
      { 'institution.organisationType': null },
      'missing',
      'institution.organisationType',
      'is required',
    ],
    [
      'applicant e-mail',
      { additionalApplicants: [person('Ann Lee', 'ann@')] },
      'invalid',
      'additionalApplicants.0.email',
      'must be an e-mail address like name@example.org',
    ],
    [
      'applicant name',
      { additionalApplicants: [{ email: 'ann@example.org', title: 'PhD student' }] },
      'missing',
      'additionalApplicants.0.name',
      'is required',
    ],
    [
      'duplicate applicants',
      { additionalApplicants: [person('Ann Lee', 'ann@example.org'), person('Ann Lee', 'ANN@example.org')] },
      'invalid',
      'additionalApplicants.1.email',
      'is already given for additional applicant 1',
    ],
    [
      'nine applicants on the electronic route',
      {
        additionalApplicants: Array.from({ length: 9 }, (_, index) =>
          person(`Applicant ${'ABCDEFGHI'[index]}`, `applicant-${index}@example.org`),
        ),
      },
      'invalid',
      'additionalApplicants',
      'at most 8 additional applicants can sign electronically; remove some or choose the manual route',
    ],
    ['authority', { institutionalAuthority: null }, 'missing', 'institutionalAuthority', 'is required'],
    [
      'authority = PI',
      { institutionalAuthority: person('Grace Hopper', 'GRACE.HOPPER@example.edu') },
      'invalid',
      'institutionalAuthority.email',
      'must be someone other than the principal investigator',
    ],
    ['contemplated use', { contemplatedUse: null }, 'missing', 'contemplatedUse', 'is required'],
    [
      'contemplated use',
      { contemplatedUse: 'Too short.' },
      'invalid',
      'contemplatedUse',
      'must be at least 50 characters',
    ],
    ['download', { download: null }, 'missing', 'download', 'is required'],
    [
      'download wanted',
      { download: { informationSecurityOfficer: person('Ivy Soto', 'iso@example.edu') } },
      'missing',
      'download.wanted',
      'is required',
    ],
    [
      'security officer',
      { download: { wanted: true } },
      'missing',
      'download.informationSecurityOfficer',
      'is required when the data is to be downloaded (the officer signs the agreement too)',
    ],
    [
      'security officer e-mail',
      { download: { wanted: true, informationSecurityOfficer: person('Ivy Soto', 'iso') } },
      'invalid',
      'download.informationSecurityOfficer.email',
      'must be an e-mail address like name@example.org',
    ],
    ['agreement route', { agreementRoute: null }, 'missing', 'agreementRoute', 'is required'],
    [
      'electronic route outside the US',
      { 'institution.country': 'DE' },
      'invalid',
      'agreementRoute',
      'electronic signing is available to requesters in the United States only; choose manual',
    ],
  ];

  it.each(cases)('judges the %s: %s', async (_name, change, kind, field, message) => {
    const draft = await draftWith(withChange(change));
    expect(draft.status, JSON.stringify(draft.body)).toBe(200);
    const { wizard } = draft.body;
    expect(wizard.complete).toBe(false);
    expect(wizard[kind]).toContainEqual({ field, step: field.split('.')[0], message });
    expect(wizard.steps.find((step: { id: string }) => step.id === field.split('.')[0]).complete).toBe(false);
    expect(draft.body.nextAction).toMatchObject({
      code: expect.stringMatching(/complete-steps|resolve-blocker/),
    });
  });

  it.each([
    [
      'an unknown destination kind',
      { 'destination.kind': 'maybe' },
      'answers.destination.kind',
      'must be one of: new, existing',
    ],
    [
      'a project name over 100 characters',
      { 'destination.projectName': 'p'.repeat(101) },
      'answers.destination.projectName',
      'must be at most 100 characters',
    ],
    [
      'a three-letter country',
      { 'institution.country': 'USA' },
      'answers.institution.country',
      'must be at most 2 characters',
    ],
    [
      'an unknown organisation type',
      { 'institution.organisationType': 'startup' },
      'answers.institution.organisationType',
      'must be one of: academic, non-profit, government, hospital, for-profit',
    ],
    [
      '51 applicants',
      { additionalApplicants: Array.from({ length: 51 }, () => ({})) },
      'answers.additionalApplicants',
      'Too big: expected array to have <=50 items',
    ],
    [
      'a contemplated use over 5000 characters',
      { contemplatedUse: 'u'.repeat(5001) },
      'answers.contemplatedUse',
      'must be at most 5000 characters',
    ],
    [
      'download wanted as text',
      { download: { wanted: 'yes' } },
      'answers.download.wanted',
      'must be of type boolean',
    ],
    [
      'an unknown agreement route',
      { agreementRoute: 'fax' },
      'answers.agreementRoute',
      'must be one of: electronic, manual',
    ],
  ])('refuses %s outright (400), keeping the draft as it was', async (_name, change, field, message) => {
    const created = await draftWith(undefined);
    const reply = await system.call('PATCH', `/api/requests/${created.body.id}`, {
      as: 'us-requester',
      body: { answers: withChange(change) },
      headers: { 'if-match': created.etag! },
    });
    expect(reply.status).toBe(400);
    expect(reply.body.errors).toContainEqual(expect.objectContaining({ in: 'body', name: field, message }));
    const read = await system.call('GET', `/api/requests/${created.body.id}`, { as: 'us-requester' });
    expect(read.etag).toBe(created.etag);
  });

  it('accepts nine applicants on the manual route, and needs no agreement route for open data only', async () => {
    const nine = Array.from({ length: 9 }, (_, index) =>
      person(`Applicant ${'ABCDEFGHI'[index]}`, `applicant-${index}@example.org`),
    );
    const manual = await draftWith(withChange({ additionalApplicants: nine, agreementRoute: 'manual' }));
    expect(manual.body.wizard.complete).toBe(true);
    const open = await draftWith(withChange({ agreementRoute: null }), {
      selection: studySelection('PanALL'),
    });
    expect(open.body.wizard.complete).toBe(true);
    expect(open.body.wizard.steps.find((step: { id: string }) => step.id === 'agreementRoute')).toEqual({
      id: 'agreementRoute',
      title: 'Data Access Agreement route',
      applicable: false,
      complete: true,
    });
  });
});

describe('the rules', () => {
  it('refuses controlled DAUs to a for-profit organisation, naming them, while open DAUs stay available', async () => {
    const mixed = await draftWith(
      withChange({
        'institution.organisationType': 'for-profit',
        'institution.name': 'Example Genomics Inc.',
      }),
      {
        as: 'for-profit-requester',
        selection: studySelection('PCGP', 'PanALL'),
      },
    );
    const rule = mixed.body.rules.find(
      (finding: { type: string }) => finding.type === problem('for-profit-refused'),
    );
    expect(rule).toMatchObject({ blocking: true, status: 403, daus: ['PCGP'] });
    expect(rule.detail).toContain('remove PCGP');
    expect(rule.detail).toContain('The open DAUs (PanALL) stay available');
    expect(mixed.body.nextAction).toMatchObject({ code: 'resolve-blocker' });
    const refused = await submit(mixed, { as: 'for-profit-requester' });
    expect(refused.status).toBe(403);
    expect(refused.body.type).toBe(problem('for-profit-refused'));
    expect(refused.body.rules.map((finding: { type: string }) => finding.type)).toEqual([
      problem('for-profit-refused'),
    ]);

    // The profile alone is enough: the answers cannot talk the rule away.
    const disguised = await draftWith(completeAnswers(), { as: 'for-profit-requester' });
    expect(disguised.body.rules.map((finding: { type: string }) => finding.type)).toContain(
      problem('for-profit-refused'),
    );

    const openOnly = await draftWith(
      withChange({ 'institution.organisationType': 'for-profit', agreementRoute: null }),
      {
        as: 'for-profit-requester',
        selection: studySelection('PanALL'),
      },
    );
    expect(openOnly.body.rules.filter((finding: { blocking: boolean }) => finding.blocking)).toEqual([]);
    expect((await submit(openOnly, { as: 'for-profit-requester' })).status).toBe(200);
  });

  it('needs a profile before a submit', async () => {
    const token = await system.token('no-profile@example.org');
    const draft = await draftWith(completeAnswers(), { token });
    expect(draft.body.rules).toContainEqual(
      expect.objectContaining({ type: problem('profile-required'), blocking: true }),
    );
    const refused = await submit(draft, { token });
    expect(refused.status).toBe(422);
    expect(refused.body.type).toBe(problem('profile-required'));
  });

  it('refuses to submit a selection with no file', async () => {
    const draft = await draftWith(completeAnswers(), { selection: { sampleNames: ['SJNOSUCH_X1'] } });
    expect(draft.body.selection.counts.files).toBe(0);
    const refused = await submit(draft);
    expect(refused.status).toBe(422);
    expect(refused.body.type).toBe(problem('selection-empty'));
  });

  it('refuses electronic signing outside the US', async () => {
    const draft = await draftWith(
      withChange({ 'institution.country': 'DE', 'institution.name': 'Example University Heidelberg' }),
      {
        as: 'non-us-requester',
      },
    );
    const refused = await submit(draft, { as: 'non-us-requester' });
    expect(refused.status).toBe(422);
    expect(refused.body.type).toBe(problem('electronic-signing-us-only'));
    expect(refused.body.detail).toContain('your institution is in DE');
    // Both blockers are listed: the rule, and the wizard field it makes invalid.
    expect(refused.body.rules.map((finding: { type: string }) => finding.type)).toEqual([
      problem('electronic-signing-us-only'),
      problem('wizard-incomplete'),
    ]);
  });

  it('refuses to submit an incomplete wizard, listing what is missing', async () => {
    const draft = await draftWith(undefined);
    const refused = await submit(draft);
    expect(refused.status).toBe(422);
    expect(refused.body.type).toBe(problem('wizard-incomplete'));
    const fields = refused.body.rules[0].fields.map((field: { field: string }) => field.field);
    expect(fields).toEqual(
      expect.arrayContaining(['destination.projectName', 'principalInvestigator', 'contemplatedUse']),
    );
    expect(refused.body.detail).toContain('destination.projectName is required');
    const read = await system.call('GET', `/api/requests/${draft.body.id}`, { as: 'us-requester' });
    expect(read.body.status).toBe('draft');
  });

  it('says open DAUs need no agreement and no review, and shows every embargo date', async () => {
    const draft = await draftWith(undefined, { selection: studySelection('PCGP', 'PanALL') });
    const notice = draft.body.rules.find(
      (finding: { type: string }) => finding.type === problem('no-agreement-needed'),
    );
    expect(notice).toMatchObject({ blocking: false, daus: ['PanALL'] });
    expect(notice.detail).toContain('PanALL is open access');
    const embargo = draft.body.rules.find((finding: { type: string }) => finding.type === problem('embargo'));
    expect(embargo).toMatchObject({
      blocking: false,
      embargoes: [
        { dau: 'PCGP', date: '2018-07-23' },
        { dau: 'PanALL', date: '2019-01-14' },
      ],
    });
    expect(embargo.detail).toContain('Every embargo has ended');
    expect(draft.body.daus.map((dau: { embargoInEffect: boolean }) => dau.embargoInEffect)).toEqual([
      false,
      false,
    ]);
  });

  it('shows an embargo still in effect', async () => {
    const { daus } = await ensureCatalogContainers(system.database);
    const pcgp = CATALOG_DAUS.find((dau) => dau.id === 'PCGP')!;
    await daus.items.upsert({ ...pcgp, embargoDate: '2999-01-01' });
    try {
      const draft = await draftWith(undefined);
      expect(draft.body.daus[0]).toMatchObject({
        id: 'PCGP',
        embargoDate: '2999-01-01',
        embargoInEffect: true,
      });
      const embargo = draft.body.rules.find(
        (finding: { type: string }) => finding.type === problem('embargo'),
      );
      expect(embargo.detail).toBe('Results from PCGP may not be published before 2999-01-01.');
    } finally {
      await daus.items.upsert(pcgp);
    }
  });
});

describe('held DAUs (the grants store)', () => {
  it('makes a live grant skip the agreement and the review, in the catalog and in a draft', async () => {
    const email = 'holder@example.org';
    const token = await system.token(email);
    const profile = await system.call('PUT', '/api/me', {
      token,
      body: {
        name: 'Hal Holder',
        institution: { name: 'Example State University' },
        country: 'US',
        organisationType: 'academic',
      },
    });
    expect(profile.status).toBe(201);
    const grants = new CosmosGrantStore(system.database);
    const userId = subjectFor(email);
    const now = Date.now();
    const grant = (dauId: 'PCGP' | 'SJLIFE', expiresAt: number) => ({
      id: grantId('earlier-request', dauId),
      userId,
      docType: 'grant' as const,
      dauId,
      requestId: 'earlier-request',
      grantedAt: new Date(now - 86_400_000).toISOString(),
      expiresAt: new Date(expiresAt).toISOString(),
      downloadAllowed: false,
      status: 'active' as const,
      updatedAt: new Date(now).toISOString(),
    });
    await grants.put(grant('PCGP', now + 364 * 86_400_000));
    await grants.put(grant('SJLIFE', now - 1000)); // expired yesterday in all but status

    const click = await system.call('GET', '/api/catalog?tab=study&pageSize=1', { token });
    const held = Object.fromEntries(
      click.body.summary.daus.map((dau: { id: string; held: boolean }) => [dau.id, dau.held]),
    );
    expect(held).toMatchObject({ PCGP: true, SJLIFE: false });
    const anonymous = await system.call('GET', '/api/catalog?tab=study&pageSize=1');
    expect(anonymous.body.summary.daus.every((dau: { held: boolean }) => !dau.held)).toBe(true);

    const draft = await draftWith(withChange({ agreementRoute: null }), {
      token,
      selection: studySelection('PCGP', 'SJLIFE'),
    });
    const byId = Object.fromEntries(draft.body.daus.map((dau: { id: string }) => [dau.id, dau]));
    expect(byId.PCGP).toMatchObject({ held: true, agreementRequired: false });
    expect(byId.SJLIFE).toMatchObject({ held: false, agreementRequired: true });
    const notice = draft.body.rules.find(
      (finding: { type: string }) => finding.type === problem('no-agreement-needed'),
    );
    expect(notice).toMatchObject({ daus: ['PCGP'] });
    expect(notice.detail).toContain('you already hold PCGP');

    const heldOnly = await draftWith(withChange({ agreementRoute: null }), {
      token,
      selection: studySelection('PCGP'),
    });
    expect(heldOnly.body.wizard.complete).toBe(true);
    const submitted = await submit(heldOnly, { token });
    expect(submitted.status).toBe(200);
    expect(submitted.body).toMatchObject({
      agreementRoute: 'none',
      signatories: [],
      daus: [{ id: 'PCGP', status: 'submitted' }],
    });
  });
});
