/**
 * Crash safety of the review: the whole system runs in a process of its own on a data folder, is killed
 * with SIGKILL right after decisions are recorded (while the review is counting them) and started again on
 * the same folder; every decision is counted exactly once — the unanimous DAU is approved after its three
 * approvals, one of them repeated after a restart, and its timeline has each decision and the approval once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { findPersona, personaClaims } from '../../infra/local/personas';
import { createTokenMinter, loadOrCreateSigningKey } from '../../infra/local/standins/dev-issuer';
import type { CallInit } from '../lifecycle/agreement-support';
import type { Reply } from '../requests/support';
import { dauOf, decideSignedIn, member, requestInReview, requestWhen, type Caller } from './support';

const hostScript = path.join(__dirname, 'fixtures', 'review-host.ts');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'reviews-crash-'));
let child: ChildProcess | undefined;

afterAll(() => {
  child?.kill('SIGKILL');
  fs.rmSync(dataDir, { recursive: true, force: true });
});

interface Ready {
  readonly app: string;
  readonly issuer: string;
  readonly audience: string;
}

function startChild(): Promise<Ready> {
  // One process (no tsx CLI wrapper), so that SIGKILL really kills the host.
  const started = spawn(process.execPath, ['--import', 'tsx', hostScript, dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = started;
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const ready = /READY (\{.*\})\n/.exec(output);
      if (ready) resolve(JSON.parse(ready[1]!) as Ready);
    };
    started.stdout.on('data', onData);
    started.stderr.on('data', onData);
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

/** Calls the host in the child as a persona, with tokens of the persisted development issuer. */
async function callerFor(ready: Ready): Promise<Caller> {
  const mint = createTokenMinter(await loadOrCreateSigningKey(dataDir), ready.issuer, ready.audience);
  return {
    async call(method: string, target: string, init: CallInit = {}): Promise<Reply> {
      const token = init.as === undefined ? undefined : await mint(personaClaims(findPersona(init.as)));
      const response = await fetch(`${ready.app}${target}`, {
        method,
        headers: {
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
          ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...init.headers,
        },
        body: init.bytes ?? (init.body === undefined ? undefined : JSON.stringify(init.body)),
      });
      const text = await response.text();
      const json = (response.headers.get('content-type') ?? '').includes('json');
      return {
        status: response.status,
        headers: response.headers,
        body: json ? JSON.parse(text) : text,
        etag: response.headers.get('etag'),
      };
    },
  };
}

it('counts every decision once across SIGKILL restarts', async () => {
  let system = await callerFor(await startChild());
  const id = await requestInReview(system, 'CCSS');
  const approve = { verdict: 'approve' } as const;
  const restart = async () => {
    await kill();
    system = await callerFor(await startChild());
  };

  expect((await decideSignedIn(system, member('CCSS', 1).persona, id, 'CCSS', approve)).status).toBe(201);
  await restart();
  // The first member's decision survived; repeating it counts nothing twice.
  expect((await decideSignedIn(system, member('CCSS', 1).persona, id, 'CCSS', approve)).status).toBe(200);
  expect((await decideSignedIn(system, member('CCSS', 2).persona, id, 'CCSS', approve)).status).toBe(201);
  await restart();
  const counted = await requestWhen(
    system,
    id,
    (request) => dauOf(request, 'CCSS').review?.['approvals'] === 2,
  );
  expect(dauOf(counted, 'CCSS').review?.['status']).toBe('in_review');
  expect((await decideSignedIn(system, member('CCSS', 3).persona, id, 'CCSS', approve)).status).toBe(201);
  await restart();

  const approved = await requestWhen(
    system,
    id,
    (request) => dauOf(request, 'CCSS').review?.['status'] === 'approved',
  );
  expect(dauOf(approved, 'CCSS').review).toMatchObject({ approvals: 3, rejections: 0 });
  const timeline = await system.call('GET', `/api/requests/${id}/events`, { as: 'non-us-requester' });
  const events = timeline.body.events as { type: string; details: Record<string, unknown> }[];
  expect(events.filter((event) => event.type === 'review.decision-recorded')).toHaveLength(3);
  expect(events.filter((event) => event.type === 'review.dau-approved')).toHaveLength(1);
  await expect
    .poll(
      async () => {
        const latest = await system.call('GET', `/api/requests/${id}/events`, { as: 'non-us-requester' });
        return (latest.body.events as { type: string; details: Record<string, unknown> }[]).filter(
          (event) => event.type === 'notification.sent' && event.details['event'] === 'dau_approved',
        ).length;
      },
      { timeout: 30_000 },
    )
    .toBe(1);
  await kill();
}, 180_000);
