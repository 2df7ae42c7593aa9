/**
 * A controlled request through agreement and committee review (the manual route, on the virtual clock): the DAU
 * the committee approves is vended at once — its files in the project container, its grant, its mail — while
 * the other DAU is still in review.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { findPersona } from '../../infra/local/personas';
import { seedSourceBlobs } from '../../infra/local/source-blobs';
import { subjectFor } from '../../infra/local/standins/dev-issuer';
import { parseSettings } from '../../shared/config/settings';
import { CosmosGrantStore } from '../../shared/grants/adapters/cosmos-grant-store';
import { grantId } from '../../shared/grants/model';
import { createBlobServiceClient } from '../../shared/platform/blob';
import {
  awaitMails,
  dauOf,
  linkFor,
  member,
  postForm,
  requester,
  requestInReview,
  requestWhen,
  startReviewSystem,
  type ReviewSystem,
} from '../reviews/support';

let system: ReviewSystem;
const lukas = findPersona(requester);

beforeAll(async () => {
  system = await startReviewSystem();
  const settings = parseSettings(system.environment.appSettings);
  await seedSourceBlobs({
    database: system.database,
    source: createBlobServiceClient(settings).getContainerClient(settings.SourceData__containerName),
    daus: ['PCGP'],
  });
}, 120_000);

afterAll(async () => {
  await system?.close();
});

it('vends the approved DAU while the other is still in review', async () => {
  const id = await requestInReview(system, 'PCGP', 'SJLIFE');
  const approved = await postForm(await linkFor(system, id, member('PCGP', 1).email), { verdict: 'approve' });
  expect(approved.status).toBe(200);
  const vended = await requestWhen(system, id, (request) => dauOf(request, 'PCGP').status === 'active');
  expect(vended.status).toBe('partially_approved');
  expect(dauOf(vended, 'SJLIFE').status).toBe('in_review');
  const { vending } = dauOf(vended, 'PCGP') as unknown as {
    vending: { container: string; files: number; filesDone: number };
  };
  expect(vending.filesDone).toBe(vending.files);

  const names: string[] = [];
  const blobs = createBlobServiceClient(parseSettings(system.environment.appSettings));
  for await (const item of blobs.getContainerClient(vending.container).listBlobsFlat()) names.push(item.name);
  expect(names.some((name) => name.endsWith('/SAMPLE_INFO.txt'))).toBe(true);
  expect(names.filter((name) => /\/restricted\//.test(name)).length).toBeGreaterThanOrEqual(vending.files);

  const grant = await new CosmosGrantStore(system.database).read(
    grantId(id, 'PCGP'),
    subjectFor(lukas.email),
  );
  // The wizard asked for no download: controlled data stays in the project space.
  expect(grant?.document).toMatchObject({ status: 'active', downloadAllowed: false });
  await awaitMails(system, id, lukas.email, 'Your data is ready');
  const files = await system.call('GET', `/api/requests/${id}/files`, { as: requester });
  expect(files.body.daus).toEqual([expect.objectContaining({ id: 'PCGP', downloadAllowed: false })]);
});
