/**
 * Every example in api.http answers as its `# expect:` line says, against the whole local system seeded as
 * `npm start` seeds it (the default catalog), and every sample name the examples and the README use exists in
 * that catalog.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repositoryRoot, startLocalEnvironment, type LocalEnvironment } from '../../infra/local/environment';
import { prepareLocalData } from '../../infra/local/prepare-data';
import { generateCatalog } from '../../shared/catalog/generator/generate';

interface Example {
  readonly title: string;
  readonly expectedStatus: number;
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string | undefined;
}

/** The subset of the HTTP client file format api.http uses: `@name = value`, `###` blocks, `{{name}}`. */
function parseHttpFile(text: string, overrides: Record<string, string>): Example[] {
  const variables: Record<string, string> = {};
  const [preamble = '', ...blocks] = text.split(/^###/m);
  for (const [, name, value] of preamble.matchAll(/^@(\w+)\s*=\s*(.*)$/gm)) variables[name!] = value!.trim();
  Object.assign(variables, overrides);
  const substitute = (line: string) =>
    line.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
      const value = variables[name];
      if (value === undefined) throw new Error(`api.http uses an undefined variable {{${name}}}`);
      return value;
    });
  return blocks.map((block) => {
    const [titleLine = '', ...lines] = block.split('\n');
    const comments = lines.filter((line) => line.startsWith('#'));
    const rest = lines.filter((line) => !line.startsWith('#'));
    const expected = comments.map((line) => /^# expect: (\d{3})$/.exec(line)).find((match) => match !== null);
    if (expected === undefined)
      throw new Error(`api.http: "${titleLine.trim()}" has no "# expect: STATUS" line`);
    const requestLine = rest.findIndex((line) => line.trim() !== '');
    const [method = '', url = '', ...extra] = rest[requestLine]!.trim().split(' ');
    if (extra.length > 0) throw new Error(`api.http: "${titleLine.trim()}" has a raw space in its URL`);
    const blank = rest.findIndex((line, index) => index > requestLine && line.trim() === '');
    const headerLines = rest.slice(requestLine + 1, blank === -1 ? undefined : blank);
    const body =
      blank === -1
        ? ''
        : rest
            .slice(blank + 1)
            .join('\n')
            .trim();
    return {
      title: titleLine.trim(),
      expectedStatus: Number(expected[1]),
      method,
      url: substitute(url),
      headers: Object.fromEntries(
        headerLines.map((line) => {
          const colon = line.indexOf(':');
          return [line.slice(0, colon).trim(), substitute(line.slice(colon + 1).trim())];
        }),
      ),
      body: body === '' ? undefined : substitute(body),
    };
  });
}

const apiHttp = readFileSync(path.join(repositoryRoot, 'api.http'), 'utf8');
const sampleNamePattern = /SJ[A-Z]+\d{6}_[A-Z]\d+/g;
let dataDir: string;
let environment: LocalEnvironment;
let overrides: Record<string, string>;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'api-http-'));
  environment = await startLocalEnvironment({ dataDir, freePorts: true, log: () => undefined });
  await prepareLocalData(environment.appSettings, { appUrl: environment.host.url, log: () => undefined });
  overrides = {
    base: environment.host.url,
    key: environment.host.masterKey,
    token: await environment.issuer.mintToken({ email: 'api-http@example.org' }),
  };
}, 180_000);

afterAll(async () => {
  await environment?.close();
  if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
});

describe('api.http', () => {
  it('uses only sample names of the seeded catalog (and so does the README)', () => {
    const seeded = new Set(generateCatalog({}).map((file) => file.sampleName));
    const readme = readFileSync(path.join(repositoryRoot, 'README.md'), 'utf8');
    const used = [...apiHttp.matchAll(sampleNamePattern), ...readme.matchAll(sampleNamePattern)].map(
      ([name]) => name,
    );
    expect(used.length).toBeGreaterThan(0);
    // SJNOSUCH… is the deliberate unknown name; everything else must be there.
    expect(used.filter((name) => !seeded.has(name))).toEqual([]);
  });

  it('answers every example as its "# expect:" line says', async () => {
    const examples = parseHttpFile(apiHttp, overrides);
    expect(examples.length).toBeGreaterThan(10);
    const answered: string[] = [];
    for (const example of examples) {
      const response = await fetch(example.url, {
        method: example.method,
        headers: example.headers,
        body: example.body,
      });
      await response.arrayBuffer();
      answered.push(`${example.title}: ${response.status}`);
    }
    expect(answered).toEqual(examples.map((example) => `${example.title}: ${example.expectedStatus}`));
  });
});
