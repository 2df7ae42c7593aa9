/**
 * Crash safety of the electronic agreement: the whole system runs in a child process persisting to a data
 * directory and is killed with SIGKILL, first after the envelope was recorded and before it was sent, then
 * while the request waits for signatures; each time it is started again over the same directory. The request
 * finishes, and the DocuSign stand-in holds exactly one envelope for it, sent once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { agreementIdempotencyKey } from '../../shared/agreements/envelope-definition';
import { caller, requestOnceIt, submitRequest } from './agreement-support';

const hostScript = path.join(__dirname, 'fixtures', 'agreement-crash-host.ts');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'agreement-crash-'));
let child: ChildProcess | undefined;

interface Running {
  readonly app: string;
  readonly docuSign: string;
  readonly caPem: string;
  readonly token: string;
  /** Resolves when the child printed `SEND-HELD` (only with `hold-send`). */
  readonly sendHeld: Promise<void>;
}

afterAll(() => {
  child?.kill('SIGKILL');
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function start(port: number, mode?: 'hold-send'): Promise<Running> {
  // One process (no tsx CLI wrapper), so that SIGKILL really kills the host.
  const started = spawn(
    process.execPath,
    ['--import', 'tsx', hostScript, dataDir, String(port), ...(mode === undefined ? [] : [mode])],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child = started;
  let output = '';
  let held: () => void = () => undefined;
  const sendHeld = new Promise<void>((resolve) => (held = resolve));
  return new Promise((resolve, reject) => {
    started.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('SEND-HELD')) held();
      const ready = /READY (\{.*\})\n/.exec(output);
      if (ready !== null) resolve({ ...(JSON.parse(ready[1]!) as Omit<Running, 'sendHeld'>), sendHeld });
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

/** A request to the DocuSign stand-in's pages, trusting the local CA (what a signer's browser does). */
function standInRequest(
  running: Running,
  target: string,
  init: { method?: string; form?: URLSearchParams } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = https.request(
      `${running.docuSign}${target}`,
      {
        method: init.method ?? 'GET',
        ca: running.caPem,
        headers: init.form === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' },
      },
      (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    request.on('error', reject);
    request.end(init.form?.toString());
  });
}

/** The signer whose turn it is signs on their page; false when nobody's turn is left. */
async function signNext(running: Running, envelopeId: string): Promise<boolean> {
  const pending = JSON.parse((await standInRequest(running, '/pending.json')).body) as {
    envelopeId: string;
    url: string;
  }[];
  const turn = pending.find((each) => each.envelopeId === envelopeId);
  if (turn === undefined) return false;
  const page = new URL(turn.url);
  const form = new URLSearchParams({ token: page.searchParams.get('token')!, action: 'sign' });
  const signed = await standInRequest(running, page.pathname, { method: 'POST', form });
  expect(signed.status).toBe(303);
  return true;
}

/** The stand-in's persisted envelopes carrying the request's idempotency key, with their statuses. */
function envelopesOnDisk(requestId: string): string[] {
  const folder = path.join(dataDir, 'docusign', 'envelopes');
  return fs
    .readdirSync(folder)
    .filter((name) => name.endsWith('.json'))
    .map((name) => fs.readFileSync(path.join(folder, name), 'utf8'))
    .filter((text) => text.includes(agreementIdempotencyKey(requestId)))
    .map((text) => (JSON.parse(text) as { status: string }).status);
}

it('sends exactly one envelope and finishes the request across SIGKILL restarts', async () => {
  const port = await freePort();
  let running = await start(port, 'hold-send');
  const as = () => ({ call: caller(running.app, async () => running.token) });
  const { id } = await submitRequest(as(), 'us-requester');

  // Killed after the envelope was recorded, while it was being sent.
  await running.sendHeld;
  const recorded = (await as().call('GET', `/api/requests/${id}`, { as: 'us-requester' })).body;
  expect(recorded.agreement).toMatchObject({ status: 'preparing', envelopeId: expect.any(String) });
  const envelopeId = recorded.agreement.envelopeId as string;
  expect(envelopesOnDisk(id)).toEqual(['created']);
  await kill();

  running = await start(port);
  const waiting = await requestOnceIt(as(), id, (request) => request.status === 'awaiting_signatures');
  expect(waiting.agreement.envelopeId).toBe(envelopeId);
  expect(await signNext(running, envelopeId)).toBe(true);

  // Killed again while the request waits for the other signatures.
  await requestOnceIt(as(), id, (request) => request.agreement.signers[0].status === 'completed');
  await kill();

  running = await start(port);
  while (await signNext(running, envelopeId));
  const signed = await requestOnceIt(as(), id, (request) => request.status === 'in_review');
  expect(signed.daus.map((dau: { status: string }) => dau.status)).toEqual(['in_review', 'in_review']);
  expect(signed.agreement.envelopeId).toBe(envelopeId);
  expect(envelopesOnDisk(id)).toEqual(['completed']);
  await kill();
});
