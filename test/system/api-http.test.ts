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
import { personaToken } from '../../infra/local/personas';
import { generateCatalog } from '../../shared/catalog/generator/generate';

interface Example {
  readonly title: string;
  /** `# @name draft`: later examples refer to its answer (`{{draft.response.body.$.id}}`). */
  readonly name: string | undefined;
  readonly expectedStatus: number;
  readonly method: string;
  /** URL, headers and body with `{{...}}` still in them: response variables resolve only once run. */
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string | undefined;
}

interface Answered {
  readonly headers: Headers;
  readonly body: unknown;
}

/**
 * The subset of the HTTP client file format api.http uses: `@name = value`, `###` blocks, `{{name}}`, and REST
 * Client's request variables: `# @name x` names a request, `{{x.response.body.$.a.b}}` and
 * `{{x.response.headers.Name}}` read its answer.
 */
function parseHttpFile(
  text: string,
  overrides: Record<string, string>,
): { examples: Example[]; variables: Record<string, string> } {
  const variables: Record<string, string> = {};
  const [preamble = '', ...blocks] = text.split(/^###/m);
  for (const [, name, value] of preamble.matchAll(/^@(\w+)\s*=\s*(.*)$/gm)) variables[name!] = value!.trim();
  Object.assign(variables, overrides);
  const examples = blocks.map((block) => {
    const [titleLine = '', ...lines] = block.split('\n');
    const comments = lines.filter((line) => line.startsWith('#'));
    const rest = lines.filter((line) => !line.startsWith('#'));
    const expected = comments.map((line) => /^# expect: (\d{3})$/.exec(line)).find((match) => match !== null);
    if (expected === undefined)
      throw new Error(`api.http: "${titleLine.trim()}" has no "# expect: STATUS" line`);
    const name = comments.map((line) => /^# @name (\w+)$/.exec(line)).find((match) => match !== null)?.[1];
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
      name,
      expectedStatus: Number(expected[1]),
      method,
      url,
      headers: Object.fromEntries(
        headerLines.map((line) => {
          const colon = line.indexOf(':');
          return [line.slice(0, colon).trim(), line.slice(colon + 1).trim()];
        }),
      ),
      body: body === '' ? undefined : body,
    };
  });
  return { examples, variables };
}

/** Replaces `{{variable}}` and `{{request.response.body.$.path}}` / `{{request.response.headers.Name}}`. */
function substitute(
  line: string,
  variables: Record<string, string>,
  answered: ReadonlyMap<string, Answered>,
): string {
  return line.replace(/\{\{([\w.$-]+)\}\}/g, (_, reference: string) => {
    const response = /^(\w+)\.response\.(body\.\$|headers)\.?(.*)$/.exec(reference);
    if (response === null) {
      const value = variables[reference];
      if (value === undefined) throw new Error(`api.http uses an undefined variable {{${reference}}}`);
      return value;
    }
    const [, requestName, part, path] = response;
    const earlier = answered.get(requestName!);
    if (earlier === undefined)
      throw new Error(`api.http refers to {{${reference}}} before "# @name ${requestName}" ran`);
    if (part === 'headers') return earlier.headers.get(path!) ?? '';
    let value: unknown = earlier.body;
    for (const key of path === '' ? [] : path!.split('.'))
      value = (value as Record<string, unknown> | undefined)?.[key];
    if (value === undefined) throw new Error(`api.http: {{${reference}}} is not in the answer`);
    return String(value);
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
    requesterToken: await personaToken(environment.issuer.mintToken, 'us-requester'),
    otherRequesterToken: await personaToken(environment.issuer.mintToken, 'non-us-requester'),
    forProfitToken: await personaToken(environment.issuer.mintToken, 'for-profit-requester'),
    committeeToken: await personaToken(environment.issuer.mintToken, 'pcgp-committee-1'),
    adminToken: await personaToken(environment.issuer.mintToken, 'admin'),
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
    const { examples, variables } = parseHttpFile(apiHttp, overrides);
    expect(examples.length).toBeGreaterThan(10);
    const answered: string[] = [];
    const named = new Map<string, Answered>();
    for (const example of examples) {
      const resolve = (line: string) => substitute(line, variables, named);
      const response = await fetch(resolve(example.url), {
        method: example.method,
        headers: Object.fromEntries(
          Object.entries(example.headers).map(([name, value]) => [name, resolve(value)]),
        ),
        body: example.body === undefined ? undefined : resolve(example.body),
      });
      const text = await response.text();
      if (example.name !== undefined) {
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON
        }
        named.set(example.name, { headers: response.headers, body });
      }
      answered.push(`${example.title}: ${response.status}`);
    }
    expect(answered).toEqual(examples.map((example) => `${example.title}: ${example.expectedStatus}`));
  });
});
