/**
 * The sample orchestrations of our own app (dist/index.js, built by `npm test`) on the local host, started
 * through their HTTP starters with the real DurableClient and driven through the returned management URLs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDurableHost, type DurableTestHost, type InstanceStatusBody } from './support';

const repositoryRoot = path.resolve(__dirname, '..', '..');
let t: DurableTestHost;

beforeAll(async () => {
  if (!fs.existsSync(path.join(repositoryRoot, 'dist', 'index.js')))
    throw new Error('Run `npm run build` first');
  t = await startDurableHost({ appDir: repositoryRoot });
});

afterAll(async () => {
  await t?.close();
});

async function startSample(
  route: string,
  body?: unknown,
): Promise<{ response: Response; links: Record<string, string> }> {
  const response = await t.fetch(`/api/samples/${route}`, {
    method: 'POST',
    headers: { 'x-functions-key': t.host.masterKey, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const links = response.status === 202 ? ((await response.json()) as Record<string, string>) : {};
  return { response, links };
}

async function pollLocation(
  location: string,
  until: (status: InstanceStatusBody) => boolean,
): Promise<InstanceStatusBody> {
  // By time, not by attempts: on a loaded machine a few hundred quick polls can pass before an episode runs.
  const deadline = Date.now() + 20_000;
  for (;;) {
    const status = (await (await fetch(location)).json()) as InstanceStatusBody;
    if (until(status)) return status;
    if (Date.now() > deadline) throw new Error(`gave up polling ${location}: ${JSON.stringify(status)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('helloSequence', () => {
  it('runs three activities in order, started over HTTP and followed through the Location header', async () => {
    const { response } = await startSample('hello-sequence');
    expect(response.status).toBe(202);
    const location = response.headers.get('location')!;
    expect(location.startsWith(t.host.url)).toBe(true);
    const done = await pollLocation(location, (status) => status.runtimeStatus === 'Completed');
    expect(done.output).toEqual(['Hello, Tokyo!', 'Hello, Seattle!', 'Hello, Cairo!']);
  });

  it('requires the function key', async () => {
    expect((await t.fetch('/api/samples/hello-sequence', { method: 'POST' })).status).toBe(401);
  });
});

describe('approvalSample', () => {
  it('completes when the decision arrives before the deadline', async () => {
    const { response, links } = await startSample('approval', {
      subject: 'dataset access',
      timeoutHours: 48,
    });
    expect(response.status).toBe(202);
    const waiting = await pollLocation(links.statusQueryGetUri!, (status) => status.customStatus !== null);
    expect(waiting).toMatchObject({
      runtimeStatus: 'Running',
      customStatus: { waitingFor: 'ApprovalDecision' },
    });
    const raised = await fetch(links.sendEventPostUri!.replace('{eventName}', 'ApprovalDecision'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ approved: true, by: 'committee@example.org' }),
    });
    expect(raised.status).toBe(202);
    const done = await pollLocation(
      links.statusQueryGetUri!,
      (status) => status.runtimeStatus === 'Completed',
    );
    expect(done).toMatchObject({
      output: { outcome: 'approved', by: 'committee@example.org' },
      customStatus: { decided: 'approved' },
    });
  });

  it('expires when the durable timer fires first', async () => {
    const { links } = await startSample('approval', { subject: 'late', timeoutHours: 2 });
    await pollLocation(links.statusQueryGetUri!, (status) => status.customStatus !== null);
    await t.clock.advance(2 * 3_600_000);
    const done = await pollLocation(
      links.statusQueryGetUri!,
      (status) => status.runtimeStatus === 'Completed',
    );
    expect(done.output).toMatchObject({ outcome: 'expired' });
  });

  it('answers 400 problem+json for an invalid body', async () => {
    const { response } = await startSample('approval', { subject: '' });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
  });
});
