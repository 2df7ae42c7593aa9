/**
 * The manual agreement end to end, through HTTP on the local host: the non-US persona's request waits for
 * a signed PDF, the upload takes the controlled DAUs to review, a replay answers the same version, a
 * revision is refused unless DAUs are returned for one, a withdrawal ends the wait cleanly — and every
 * upload a requester should not be able to make is refused with nothing stored.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPersona } from '../../infra/local/personas';
import { loadOrCreateSigningKey } from '../../infra/local/standins/dev-issuer';
import { maxAgreementUploadBytes } from '../../shared/agreements/model';
import { CosmosRequestStore } from '../../shared/requests/adapters/cosmos-request-store';
import { CosmosTimelineStore } from '../../shared/requests/adapters/cosmos-timeline-store';
import { RequestProgress, withDau } from '../../shared/requests/progress';
import { plainPdf, zipArchive } from '../agreements/pdf-fixtures';
import { badTokens } from '../support/bad-tokens';
import {
  requestOnceIt,
  startAgreementSystem,
  submitRequest,
  timelineTypes,
  type AgreementSystem,
} from './agreement-support';

const dataDir = mkdtempSync(path.join(tmpdir(), 'agreement-manual-'));
let system: AgreementSystem;
const lukas = findPersona('non-us-requester');
const pdfHeaders = { 'content-type': 'application/pdf' };

beforeAll(async () => {
  system = await startAgreementSystem({ dataDir });
});

afterAll(async () => {
  await system?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const upload = (
  id: string,
  bytes: Uint8Array,
  init: { as?: string; token?: string; headers?: object } = {},
) =>
  system.call('POST', `/api/requests/${id}/agreement`, {
    as: init.token === undefined ? (init.as ?? lukas.id) : undefined,
    ...(init.token === undefined ? {} : { token: init.token }),
    bytes,
    headers: { ...pdfHeaders, ...init.headers },
  });

const versions = async (id: string) =>
  (await system.call('GET', `/api/requests/${id}/agreement`, { as: lukas.id })).body.versions as {
    version: number;
  }[];

async function awaitingUpload(): Promise<string> {
  const { id } = await submitRequest(system, 'non-us-requester');
  const waiting = await requestOnceIt(
    system,
    id,
    (request) => request.status === 'awaiting_agreement_upload',
    lukas.id,
  );
  expect(waiting.agreement).toMatchObject({ route: 'manual', status: 'awaiting_upload' });
  expect(waiting.nextAction).toMatchObject({ code: 'upload-agreement' });
  return id;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('the manual agreement', () => {
  let id: string;
  const signed = plainPdf('/Lang (en-US) ');

  it('takes the signed PDF and sends the controlled DAUs to review', async () => {
    id = await awaitingUpload();
    const answer = await upload(id, signed);
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    expect(answer.body).toMatchObject({ version: 1, sha256: sha256(signed), bytes: signed.byteLength });
    expect(answer.headers.get('location')).toBe(`/api/requests/${id}/agreement/versions/1`);
    const inReview = await requestOnceIt(system, id, (request) => request.status === 'in_review', lukas.id);
    expect(inReview.daus.map((dau: { status: string }) => dau.status)).toEqual(['in_review', 'in_review']);
    expect(inReview.agreement).toMatchObject({
      route: 'manual',
      status: 'signed',
      uploads: { count: 1, latest: { version: 1, sha256: sha256(signed) } },
    });
    const timeline = await system.call('GET', `/api/requests/${id}/events`, { as: lukas.id });
    expect(timelineTypes(timeline.body)).toEqual(
      expect.arrayContaining(['agreement.uploaded', 'agreement.signed']),
    );
  });

  it('lets the requester and admins download it, and nobody else', async () => {
    for (const who of [lukas.id, 'admin']) {
      const download = await system.call('GET', `/api/requests/${id}/agreement/versions/1`, { as: who });
      expect(download.status).toBe(200);
      expect(download.headers.get('content-type')).toBe('application/pdf');
      expect(Buffer.compare(download.body, signed)).toBe(0);
      const listed = await system.call('GET', `/api/requests/${id}/agreement`, { as: who });
      expect(listed.body.versions).toEqual([expect.objectContaining({ version: 1, sha256: sha256(signed) })]);
    }
    for (const who of ['us-requester', 'pcgp-committee-1']) {
      expect((await system.call('GET', `/api/requests/${id}/agreement/versions/1`, { as: who })).status).toBe(
        404,
      );
      expect((await system.call('GET', `/api/requests/${id}/agreement`, { as: who })).status).toBe(404);
    }
    expect(
      (await system.call('GET', `/api/requests/${id}/agreement/versions/2`, { as: lukas.id })).status,
    ).toBe(404);
    for (const version of ['0', 'one', '1.0', '-1']) {
      const bad = await system.call('GET', `/api/requests/${id}/agreement/versions/${version}`, {
        as: lukas.id,
      });
      expect(bad.status).toBe(400);
    }
  });

  it('answers a replayed upload with the version it stored, storing nothing new', async () => {
    const again = await upload(id, signed);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ version: 1, sha256: sha256(signed) });
    expect(await versions(id)).toHaveLength(1);
  });

  it('refuses a revised agreement while no DAU is returned for one, and takes it when one is', async () => {
    const revised = plainPdf('/Lang (en-GB) ');
    const refused = await upload(id, revised);
    expect(refused.status).toBe(409);
    expect(refused.body.type).toContain('agreement-not-expected');
    expect(await versions(id)).toHaveLength(1);

    // The committee returned one DAU for a revised agreement (as the review's return-for-revision does).
    const progress = new RequestProgress({
      requests: new CosmosRequestStore(system.database),
      timeline: new CosmosTimelineStore(system.database),
      now: () => new Date(),
      log: () => undefined,
    });
    await progress.apply(id, (request) =>
      withDau(request, 'PCGP', (dau) => ({ ...dau, status: 'returned' })),
    );
    const accepted = await upload(id, revised);
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(201);
    expect(accepted.body).toMatchObject({ version: 2, sha256: sha256(revised) });
    expect((await versions(id)).map((each) => each.version)).toEqual([1, 2]);
    const request = await system.call('GET', `/api/requests/${id}`, { as: lukas.id });
    expect(request.body.agreement.uploads).toMatchObject({ count: 2, latest: { version: 2 } });
  });

  it('ends cleanly when the requester withdraws while it waits for the upload', async () => {
    const waiting = await awaitingUpload();
    const current = await system.call('GET', `/api/requests/${waiting}`, { as: lukas.id });
    const withdrawn = await system.call('POST', `/api/requests/${waiting}/withdraw`, {
      as: lukas.id,
      body: { reason: 'No longer needed.' },
      headers: { 'if-match': current.etag! },
    });
    expect(withdrawn.status, JSON.stringify(withdrawn.body)).toBe(200);
    await expect
      .poll(async () => {
        const status = await fetch(
          `${system.environment.host.url}/runtime/webhooks/durabletask/instances/request-${waiting}`,
        );
        return ((await status.json()) as { runtimeStatus: string; output: unknown }).output;
      })
      .toMatchObject({ ended: 'withdrawn' });
    const late = await upload(waiting, signed);
    expect(late.status).toBe(409);
    expect(await versions(waiting)).toEqual([]);
  });
});

describe('uploads that must be refused', () => {
  let id: string;

  beforeAll(async () => {
    id = await awaitingUpload();
  });

  it('refuses what is not a plain PDF, by content: 422, or 415 for another media type', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    const cases: [string, Uint8Array, number][] = [
      ['a PNG named as a PDF', png, 422],
      ['empty', Buffer.alloc(0), 422],
      ['a ZIP with a PDF after it', plainPdf('', [], { prefix: zipArchive() }), 422],
      ['a PDF with a ZIP after %%EOF', plainPdf('', [], { suffix: zipArchive() }), 422],
      ['a PDF with script after %%EOF', plainPdf('', [], { suffix: Buffer.from('<script>1</script>') }), 422],
    ];
    for (const [name, bytes, status] of cases) {
      const answer = await upload(id, bytes);
      expect({ name, status: answer.status }).toEqual({ name, status });
    }
    const asText = await upload(id, plainPdf(), { headers: { 'content-type': 'text/plain' } });
    expect(asText.status).toBe(415);
    expect(await versions(id)).toEqual([]);
  });

  it('refuses an oversized body with 413, declared or not', async () => {
    const oversized = Buffer.concat([plainPdf(), Buffer.alloc(maxAgreementUploadBytes)]);
    expect((await upload(id, oversized)).status).toBe(413);
    // Streamed without a Content-Length: cut off at the cap all the same.
    const response = await fetch(`${system.environment.host.url}/api/requests/${id}/agreement`, {
      method: 'POST',
      headers: { ...pdfHeaders, authorization: `Bearer ${await system.token(lukas.id)}` },
      body: new Blob([oversized]).stream(),
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(await versions(id)).toEqual([]);
  });

  it('answers 404 for another user’s request, an admin’s upload, and a request that does not exist', async () => {
    expect((await upload(id, plainPdf(), { as: 'us-requester' })).status).toBe(404);
    expect((await upload(id, plainPdf(), { as: 'admin' })).status).toBe(404);
    expect((await upload('6f1c2d3e-4b5a-4c6d-8e7f-8091a2b3c4d5', plainPdf())).status).toBe(404);
    expect((await upload('not-a-request', plainPdf())).status).toBe(400);
    expect(await versions(id)).toEqual([]);
  });

  it('answers 401 without a token and for every bad one', async () => {
    const noToken = await system.call('POST', `/api/requests/${id}/agreement`, {
      bytes: plainPdf(),
      headers: pdfHeaders,
    });
    expect(noToken.status).toBe(401);
    const key = await loadOrCreateSigningKey(dataDir);
    const tokens = await badTokens(system.environment.issuer, key, lukas.email);
    for (const [name, token] of Object.entries(tokens)) {
      for (const [method, target] of [
        ['POST', `/api/requests/${id}/agreement`],
        ['GET', `/api/requests/${id}/agreement`],
        ['GET', `/api/requests/${id}/agreement/versions/1`],
      ] as const) {
        const answer =
          method === 'POST'
            ? await upload(id, plainPdf(), { token })
            : await system.call(method, target, { token });
        expect({ name, target, status: answer.status }).toEqual({ name, target, status: 401 });
      }
    }
    expect(await versions(id)).toEqual([]);
  });
});
