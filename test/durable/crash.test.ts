/**
 * Crash safety: a host process persisting to a data directory is killed with SIGKILL several times while
 * orchestrations are in flight and started again; every instance finishes with the outputs an uninterrupted
 * run gives, and events acknowledged (202) before a kill are not lost.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { webhooks, type InstanceStatusBody } from './support';

const hostScript = path.join(__dirname, 'fixtures', 'crash-host.ts');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'durable-crash-'));
let child: ChildProcess | undefined;

afterAll(() => {
  child?.kill('SIGKILL');
  fs.rmSync(dataDir, { recursive: true, force: true });
});

function startChild(): Promise<string> {
  // One process (no tsx CLI wrapper), so that SIGKILL really kills the host.
  const process_ = spawn(process.execPath, ['--import', 'tsx', hostScript, dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = process_;
  return new Promise((resolve, reject) => {
    let output = '';
    process_.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const ready = /READY (\S+)/.exec(output);
      if (ready) resolve(ready[1]!);
    });
    process_.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    process_.once('exit', (code) => reject(new Error(`host exited with ${code}: ${output}`)));
  });
}

function kill(): Promise<void> {
  const victim = child!;
  return new Promise((resolve) => {
    victim.once('exit', () => resolve());
    victim.kill('SIGKILL');
  });
}

async function post(url: string, path_: string, body: unknown): Promise<Response> {
  return fetch(`${url}${webhooks}${path_}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

const expected: Record<string, unknown> = {};

it('finishes every in-flight orchestration with the same outputs across SIGKILL restarts', async () => {
  let url = await startChild();
  const start = async (id: string, name: string, input: unknown, output: unknown) => {
    expect((await post(url, `orchestrators/${name}/${id}`, input)).status).toBe(202);
    expected[id] = output;
  };
  for (let i = 0; i < 6; i++)
    await start(`chain-${i}`, 'helloCities', null, ['Hello Tokyo!', 'Hello Seattle!', 'Hello London!']);
  for (let i = 0; i < 4; i++) await start(`fan-${i}`, 'fanOutFanIn', 30, 930);
  await start('slow', 'slowFanOut', { count: 8, ms: 150 }, 8);
  await start('loop', 'counter', { n: 0, until: 2, listen: false, seen: [] }, { n: 2, seen: [] });
  await start('events', 'collectEvents', 3, ['x', 'y', 'z']);
  for (const item of ['x', 'y', 'z'])
    expect((await post(url, 'instances/events/raiseEvent/Item', item)).status).toBe(202);

  // Kill at staggered moments while activities, timers and episodes are in flight; events raised just
  // before a kill must survive it.
  let killedInFlight = 0;
  for (const [round, delayMs] of [40, 120, 300].entries()) {
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    const unfinished = await fetch(`${url}${webhooks}instances/?runtimeStatus=Pending,Running`);
    killedInFlight += ((await unfinished.json()) as unknown[]).length;
    await start(`late-${round}`, 'waiter', null, `go-${round}`);
    expect((await post(url, `instances/late-${round}/raiseEvent/Go`, `go-${round}`)).status).toBe(202);
    await kill();
    url = await startChild();
  }

  expect(killedInFlight).toBeGreaterThan(0);
  const deadline = Date.now() + 30_000;
  for (const [id, output] of Object.entries(expected)) {
    let status: InstanceStatusBody;
    for (;;) {
      const response = await fetch(`${url}${webhooks}instances/${id}`);
      status = (await response.json()) as InstanceStatusBody;
      if (status.runtimeStatus === 'Completed' || status.runtimeStatus === 'Failed' || Date.now() > deadline)
        break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect({ id, status: status.runtimeStatus, output: status.output }).toEqual({
      id,
      status: 'Completed',
      output,
    });
  }
  await kill();
});
