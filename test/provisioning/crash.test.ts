/**
 * A host killed with SIGKILL in the middle of a vend finishes it after a restart on the same data: every file
 * is in the project container once, the grant is written once, the requester gets one "data ready" mail.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { findPersona, personaClaims, seedPersonaProfiles } from '../../infra/local/personas';
import { seedCatalog } from '../../infra/local/seed';
import { seedSourceBlobs } from '../../infra/local/source-blobs';
import { createTokenMinter, loadOrCreateSigningKey, subjectFor } from '../../infra/local/standins/dev-issuer';
import { parseSettings, type Settings } from '../../shared/config/settings';
import { CosmosGrantStore } from '../../shared/grants/adapters/cosmos-grant-store';
import { vendingInstanceId } from '../../shared/lifecycle/request-lifecycle-contract';
import { createBlobServiceClient } from '../../shared/platform/blob';
import { createCosmosClient } from '../../shared/platform/cosmos';
import { CATALOG_SEED, completeAnswers, studySelection } from '../requests/support';

const hostScript = path.join(__dirname, 'fixtures', 'vend-host.ts');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vend-crash-'));
let child: ChildProcess | undefined;

afterAll(() => {
  child?.kill('SIGKILL');
  fs.rmSync(dataDir, { recursive: true, force: true });
});

interface Running {
  readonly url: string;
  readonly settings: Settings;
}

function startChild(): Promise<Running> {
  const started = spawn(process.execPath, ['--import', 'tsx', hostScript, dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = started;
  return new Promise((resolve, reject) => {
    let output = '';
    started.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const ready = /READY (\{.*\})\n/.exec(output);
      if (ready) {
        const { url, settings } = JSON.parse(ready[1]!) as { url: string; settings: Record<string, string> };
        resolve({ url, settings: parseSettings(settings) });
      }
    });
    started.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    started.once('exit', (code) => reject(new Error(`host exited with ${code}: ${output}`)));
  });
}

function kill(): Promise<void> {
  const victim = child!;
  return new Promise((resolve) => {
    victim.once('exit', () => resolve());
    victim.kill('SIGKILL');
  });
}

const maya = findPersona('us-requester');

async function caller(running: Running) {
  const key = await loadOrCreateSigningKey(dataDir);
  const token = await createTokenMinter(
    key,
    running.settings.AUTH__issuer,
    running.settings.AUTH__audience,
  )({
    ...personaClaims(maya),
    expiresIn: 3600,
  });
  return async (method: string, target: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${running.url}${target}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return {
      status: response.status,
      etag: response.headers.get('etag'),
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read answers freely
      body: (await response.json()) as any,
    };
  };
}

it('finishes a vend killed midway with every file copied once and one grant', async () => {
  let running = await startChild();
  const cosmos = createCosmosClient(running.settings);
  const database = cosmos.database(running.settings.CosmosDb__databaseName);
  await seedCatalog({ database, files: 4000, seed: CATALOG_SEED });
  await seedPersonaProfiles(database);
  const blobs = createBlobServiceClient(running.settings);
  await seedSourceBlobs({
    database,
    source: blobs.getContainerClient(running.settings.SourceData__containerName),
    daus: ['PanALL'],
  });
  cosmos.dispose();

  let call = await caller(running);
  await expect
    .poll(async () => (await call('GET', '/api/catalog?pageSize=1')).body.summary?.files ?? 0, {
      timeout: 60_000,
    })
    .toBeGreaterThanOrEqual(4000);
  const created = await call('POST', '/api/requests', studySelection('PanALL'));
  const filled = await call(
    'PATCH',
    `/api/requests/${created.body.id}`,
    {
      answers: {
        ...completeAnswers(),
        destination: { kind: 'new', projectName: 'Crash project', folderName: 'data' },
      },
    },
    { 'if-match': created.etag! },
  );
  const requestId: string = created.body.id;
  const submitted = await call('POST', `/api/requests/${requestId}/submit`, undefined, {
    'if-match': filled.etag!,
  });
  expect(submitted.status).toBe(200);
  const expectedFiles: number = submitted.body.selection.counts.files;
  expect(expectedFiles).toBeGreaterThan(100);

  // Kill as soon as the vend has begun, and again while it copies.
  for (let round = 0; round < 2; round += 1) {
    await expect
      .poll(async () => (await call('GET', `/api/requests/${requestId}`)).body.daus[0].status, {
        interval: 5,
        timeout: 60_000,
      })
      .toBe('provisioning');
    await new Promise((resolve) => setTimeout(resolve, round * 150));
    await kill();
    running = await startChild();
    call = await caller(running);
  }

  await expect
    .poll(async () => (await call('GET', `/api/requests/${requestId}`)).body.status, { timeout: 120_000 })
    .toBe('active');
  const request = (await call('GET', `/api/requests/${requestId}`)).body;
  const vending = request.daus[0].vending;
  expect(vending).toMatchObject({ status: 'vended', files: expectedFiles, filesDone: expectedFiles });

  const project = createBlobServiceClient(running.settings).getContainerClient(vending.container);
  const names: string[] = [];
  for await (const item of project.listBlobsFlat()) names.push(item.name);
  const dataFiles = names.filter((name) => name !== 'data/SAMPLE_INFO.txt');
  expect(new Set(dataFiles).size).toBe(dataFiles.length);
  const listed = await call('GET', `/api/requests/${requestId}/files?links=false&pageSize=5000`);
  expect(listed.body.files.filter((file: { index: boolean }) => !file.index)).toHaveLength(expectedFiles);
  expect(listed.body.files).toHaveLength(dataFiles.length);

  const outcome = await fetch(
    `${running.url}/runtime/webhooks/durabletask/instances/${vendingInstanceId(requestId, 'PanALL')}`,
  );
  const status = (await outcome.json()) as {
    runtimeStatus: string;
    output: { copied: number; skipped: number };
  };
  expect(status.runtimeStatus).toBe('Completed');
  // What the last run did not copy, an earlier run did: nothing was copied beyond the files there are.
  expect(status.output.copied + status.output.skipped).toBe(dataFiles.length);

  const timeline = (await call('GET', `/api/requests/${requestId}/events`)).body.events as { type: string }[];
  expect(timeline.filter((event) => event.type === 'vending.dau-vended')).toHaveLength(1);
  const verifyCosmos = createCosmosClient(running.settings);
  const grants = await new CosmosGrantStore(
    verifyCosmos.database(running.settings.CosmosDb__databaseName),
  ).listForUser(subjectFor(maya.email));
  verifyCosmos.dispose();
  expect(grants.filter((grant) => grant.requestId === requestId)).toHaveLength(1);
  await kill();
}, 300_000);
