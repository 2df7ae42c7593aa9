/**
 * `npm start` as a person runs it: the CLI in its own process, on free ports, with a data folder of its own.
 * It must list the functions, answer /api/health with every dependency up, seed and serve the catalog, stop
 * cleanly on Ctrl-C, keep its data across a restart, and refuse to start on a malformed setting.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { localCaCertificatePath } from '../../infra/local/standins/tls';
import { rawRequest } from '../support/raw-request';

const root = path.resolve(__dirname, '../..');
const dataDir = mkdtempSync(path.join(tmpdir(), 'npm-start-'));
/** For other apps than ours, so that they share no task hub or stand-in state with the tests of our app. */
const otherAppDataDir = mkdtempSync(path.join(tmpdir(), 'npm-start-other-app-'));
afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(otherAppDataDir, { recursive: true, force: true });
});

/** A failed test must not leave its CLI running: the next one would find the task hub locked. */
const children = new Set<ChildProcessWithoutNullStreams>();
afterEach(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  children.clear();
});

interface Started {
  readonly child: ChildProcessWithoutNullStreams;
  readonly output: () => string;
  /** Resolves with the first match of `pattern` in the output (or rejects when the process exits first). */
  readonly waitFor: (pattern: RegExp) => Promise<RegExpMatchArray>;
  readonly exited: Promise<number | null>;
}

function startCli(args: string[], env: NodeJS.ProcessEnv = {}, data = dataDir): Started {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'infra/local/start.ts', '--free-ports', '--data-dir', data, ...args],
    { cwd: root, env: { ...process.env, ...env } },
  );
  children.add(child);
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    output += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitFor = (pattern: RegExp): Promise<RegExpMatchArray> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const match = output.match(pattern);
        if (match !== null) {
          listeners.delete(check);
          resolve(match);
        }
      };
      listeners.add(check);
      check();
      void exited.then(() => {
        check();
        reject(new Error(`process exited before ${pattern}:\n${output}`));
      });
    });
  return { child, output: () => output, waitFor, exited };
}

/** A local tool (`npm run token`, `seed`, `durable`) against the test's data folder; resolves with its stdout. */
async function runTool(name: 'token' | 'seed' | 'durable', args: string[]): Promise<string> {
  const script = {
    token: 'infra/local/token.ts',
    seed: 'infra/local/seed.ts',
    durable: 'infra/local/durable/cli.ts',
  }[name];
  const child = spawn(process.execPath, ['--import', 'tsx', script, '--data-dir', dataDir, ...args], {
    cwd: root,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`${name} exited with ${code}:\n${stdout}\n${stderr}`);
  return stdout;
}

/** Every file under the folder with its size and modification time, except the running copy's own lock. */
function folderFingerprint(folder: string): Record<string, string> {
  const fingerprint: Record<string, string> = {};
  for (const entry of readdirSync(folder, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const { size, mtimeMs } = statSync(file);
    fingerprint[path.relative(folder, file)] = `${size}@${mtimeMs}`;
  }
  return fingerprint;
}

/** The host origin from the CLI's "Ready" line. */
async function readyUrl(cli: Started): Promise<string> {
  const [, baseUrl] = await cli.waitFor(/Ready in [\d.]+ s — (http:\/\/127\.0\.0\.1:\d+)\/api\/health/);
  return baseUrl!;
}

interface CatalogAnswer {
  summary: { files: number; samples: number; subjects: number };
}

async function catalogSummary(baseUrl: string): Promise<CatalogAnswer['summary']> {
  const response = await fetch(`${baseUrl}/api/catalog`);
  expect(response.status).toBe(200);
  return ((await response.json()) as CatalogAnswer).summary;
}

describe('npm start', () => {
  let firstSummary: CatalogAnswer['summary'];

  it('serves health and the seeded catalog, then stops cleanly on SIGINT', async () => {
    const cli = startCli(['--catalog-files', '400']);
    const baseUrl = await readyUrl(cli);
    expect(cli.output()).toMatch(/health: \[GET\] http:\/\/127\.0\.0\.1:\d+\/api\/health/);
    expect(cli.output()).toMatch(/helloSequence: orchestrationTrigger/);

    // The first probes open connections (TLS to the Cosmos stand-in) on a possibly busy machine.
    await expect
      .poll(async () => (await fetch(`${baseUrl}/api/health`)).status, { timeout: 20_000 })
      .toBe(200);
    const health = await fetch(`${baseUrl}/api/health`);
    expect(await health.json()).toMatchObject({
      status: 'ok',
      dependencies: { cosmos: { status: 'up' }, blobStorage: { status: 'up' } },
    });

    const [, seeded] = await cli.waitFor(/catalog: seeded (\d+) files/);
    // Start-up waits until the app has indexed what it seeded: the first click is answered from the index.
    await cli.waitFor(/catalog: \d+ files indexed and answering/);
    firstSummary = await catalogSummary(baseUrl);
    expect(firstSummary.files).toBe(Number(seeded));
    expect(firstSummary.samples).toBeGreaterThan(0);

    // Every URL it serves, in the banner and in endpoints.json for local tools.
    const endpoints = JSON.parse(readFileSync(path.join(dataDir, 'endpoints.json'), 'utf8')) as Record<
      string,
      string
    >;
    expect(endpoints).toMatchObject({
      app: baseUrl,
      durableManagementApi: `${baseUrl}/runtime/webhooks/durabletask`,
    });
    for (const [name, url] of Object.entries(endpoints)) {
      expect(cli.output()).toMatch(
        new RegExp(`\\n  ${name} +${url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n`),
      );
    }
    expect(Object.keys(endpoints)).toEqual(
      expect.arrayContaining(['cosmos', 'blob', 'queue', 'table', 'acsEmail', 'outbox', 'tokenIssuer']),
    );
    // The outbox answers over HTTPS with the copy's own local CA.
    const outbox = await rawRequest(endpoints.outbox ?? expect.fail('no outbox URL'), '/outbox/messages', {
      ca: readFileSync(localCaCertificatePath(dataDir), 'utf8'),
    });
    expect(outbox.status).toBe(200);
    expect(JSON.parse(outbox.text)).toMatchObject({ messages: expect.any(Array) });

    cli.child.kill('SIGINT');
    expect(await cli.exited).toBe(0);
    expect(cli.output()).toContain('SIGINT: finishing in-flight work');
    expect(existsSync(path.join(dataDir, 'endpoints.json'))).toBe(false);
  });

  it('refuses a second copy on the same data folder at once, leaving the first untouched', async () => {
    const first = startCli([]);
    const baseUrl = await readyUrl(first);
    await first.waitFor(/catalog: already seeded/);
    const token = await runTool('token', ['--user', 'first@example.org']);
    const before = folderFingerprint(dataDir);

    const second = startCli([]);
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain(`in use by process ${first.child.pid}`);
    expect(second.output()).toContain('--data-dir');
    expect(second.output()).not.toContain('Ready in');

    // Nothing of the first copy's was touched: its files, its tokens, its data.
    expect(folderFingerprint(dataDir)).toEqual(before);
    const me = await fetch(`${baseUrl}/api/me`, { headers: { authorization: `Bearer ${token.trim()}` } });
    expect(me.status).toBe(200);
    expect(await catalogSummary(baseUrl)).toEqual(firstSummary);

    // The tools find the running copy through endpoints.json, whatever ports it got.
    const reseeded = await runTool('seed', ['--files', '400']);
    expect(reseeded).toMatch(/seeded \d+ files/);
    const durable = await runTool('durable', []);
    expect(durable).toContain(`its Durable management API: ${baseUrl}/runtime/webhooks/durabletask`);

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
  });

  it('keeps its data across a restart without seeding again', async () => {
    const cli = startCli([]);
    const baseUrl = await readyUrl(cli);
    await cli.waitFor(/catalog: already seeded/);
    expect(await catalogSummary(baseUrl)).toEqual(firstSummary);
    // Indexed at start from the snapshot the seeding left (plus the reseed of the test before), not from the
    // whole change feed.
    expect(cli.output()).toMatch(/catalog: index \S+ with \d+ files \(snapshot \+ \d+ changes\)/);
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  });

  it('keeps its data and a waiting orchestration across a crash (SIGKILL) of the whole process', async () => {
    const crashed = startCli([]);
    const before = await readyUrl(crashed);
    const [, masterKey] = await crashed.waitFor(/Master key [^:]*: (\S+)/);
    const started = await fetch(`${before}/api/samples/approval`, {
      method: 'POST',
      headers: { 'x-functions-key': masterKey!, 'content-type': 'application/json' },
      body: JSON.stringify({ subject: 'across a crash', timeoutHours: 24 }),
    });
    expect(started.status).toBe(202);
    const { id } = (await started.json()) as { id: string };
    const statusPath = `/runtime/webhooks/durabletask/instances/${id}`;
    await expect
      .poll(
        async () =>
          ((await (await fetch(`${before}${statusPath}`)).json()) as { customStatus: unknown }).customStatus,
        {
          timeout: 20_000,
        },
      )
      .toEqual({ waitingFor: 'ApprovalDecision' });
    crashed.child.kill('SIGKILL');
    await crashed.exited;

    const cli = startCli([]);
    const after = await readyUrl(cli);
    await cli.waitFor(/catalog: already seeded/);
    expect(await catalogSummary(after)).toEqual(firstSummary);
    const decided = await fetch(`${after}${statusPath}/raiseEvent/ApprovalDecision`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ approved: true, by: 'after-restart@example.org' }),
    });
    expect(decided.status).toBe(202);
    await expect
      .poll(async () => (await (await fetch(`${after}${statusPath}`)).json()) as unknown, { timeout: 20_000 })
      .toMatchObject({
        runtimeStatus: 'Completed',
        output: { outcome: 'approved', by: 'after-restart@example.org' },
      });
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  });

  it('refuses to start on a malformed setting, naming it', async () => {
    const cli = startCli([], { CosmosDb__databaseName: 'not a valid name!' });
    expect(await cli.exited).toBe(1);
    expect(cli.output()).toContain('CosmosDb__databaseName is invalid');
    expect(cli.output()).not.toContain('Ready in');
  });

  it('rejects a bad option with the usage line', async () => {
    const cli = startCli(['--catalog-files', 'many']);
    expect(await cli.exited).toBe(1);
    expect(cli.output()).toContain('--catalog-files must be an integer');
    expect(cli.output()).toContain('usage: npm start --');
  });
});

describe('npm start -- --app DIR', () => {
  const fixture = (name: string): string => path.join(root, 'test/fixtures/apps', name);

  it('runs another app folder: its functions listed and served under its own route prefix, nothing seeded', async () => {
    const cli = startCli(['--app', fixture('alt-app')], {}, otherAppDataDir);
    const baseUrl = await readyUrl(cli);
    // The alt app has an empty route prefix and a glob `main`; our app's functions must not be there.
    expect(cli.output()).toMatch(/hello: \[GET\] http:\/\/127\.0\.0\.1:\d+\/hello\/\{name\?\}/);
    expect(cli.output()).not.toMatch(/health: \[GET\]/);
    const hello = await fetch(`${baseUrl}/hello/cli`);
    expect(hello.status).toBe(200);
    // local.settings.json wins over the example file, as under func start.
    expect(await hello.json()).toEqual({ greeting: 'hello cli', source: 'local.settings.json' });
    expect(await (await fetch(`${baseUrl}/`)).text()).toBe('root of the alt app');
    expect((await fetch(`${baseUrl}/api/health`)).status).toBe(404);
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    expect(cli.output()).not.toMatch(/catalog: (seeded|already seeded)/);
  });

  it('lets an in-flight request finish on SIGINT, then stops the host and exits 0', async () => {
    const cli = startCli(['--app', fixture('shutdown')], {}, otherAppDataDir);
    const baseUrl = await readyUrl(cli);
    const inFlight = fetch(`${baseUrl}/api/until-shutdown`);
    // Signal only once the handler runs: the answer then proves the host waited for it.
    await cli.waitFor(/Executing 'Functions\.untilShutdown'/);
    cli.child.kill('SIGINT');
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ finishedAfter: 'SIGINT' });
    expect(await cli.exited).toBe(0);
    expect(cli.output()).toMatch(/Executed 'Functions\.untilShutdown' \(Succeeded/);
    expect(cli.output()).toContain('Host stopped');
  });
});
