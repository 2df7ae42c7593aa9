import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFixture, type FixtureHost } from './fixtures';

let app: FixtureHost;

beforeAll(async () => {
  app = await startFixture('http-routes');
});

afterAll(async () => {
  await app?.host.close();
});

interface Echo {
  functionName: string;
  method: string;
  params: Record<string, string>;
  query: Record<string, string>;
}

async function echo(
  pathAndQuery: string,
  init?: RequestInit,
): Promise<{ status: number; body: Echo | undefined }> {
  const response = await app.fetch(pathAndQuery, init);
  const text = await response.text();
  return { status: response.status, body: response.status === 200 ? (JSON.parse(text) as Echo) : undefined };
}

describe('route templates', () => {
  it('serves a function without a route at its name under the prefix', async () => {
    const { status, body } = await echo('/api/defaultRoute?a=1&a=2&b=x');
    expect(status).toBe(200);
    expect(body?.functionName).toBe('defaultRoute');
    expect(body?.query).toEqual({ a: '1,2', b: 'x' });
  });

  it('matches literals case-insensitively and tolerates one trailing slash', async () => {
    expect((await echo('/API/DefaultRoute')).body?.functionName).toBe('defaultRoute');
    expect((await echo('/api/defaultRoute/')).body?.functionName).toBe('defaultRoute');
  });

  it('prefers a literal segment over a parameter, and a constrained parameter over a free one', async () => {
    expect((await echo('/api/items/new')).body?.functionName).toBe('itemNew');
    const byId = await echo('/api/items/42');
    expect(byId.body).toMatchObject({ functionName: 'itemById', params: { id: '42' } });
    const byName = await echo('/api/items/widget');
    expect(byName.body).toMatchObject({ functionName: 'itemByName', params: { name: 'widget' } });
  });

  it('falls through to the next route when an int constraint overflows', async () => {
    expect((await echo('/api/items/2147483648')).body?.functionName).toBe('itemByName');
    expect((await echo('/api/items/-2147483648')).body?.functionName).toBe('itemById');
  });

  it('decodes parameter values, except an encoded slash (as Kestrel does)', async () => {
    expect((await echo('/api/items/hello%20world')).body?.params).toEqual({ name: 'hello world' });
    expect((await echo('/api/items/a%2Fb')).body?.params).toEqual({ name: 'a%2Fb' });
  });

  it('handles optional and defaulted parameters', async () => {
    expect((await echo('/api/optional')).body?.params).toEqual({});
    expect((await echo('/api/optional/x')).body?.params).toEqual({ value: 'x' });
    expect((await echo('/api/defaulted')).body?.params).toEqual({ value: 'fallback' });
    expect((await echo('/api/defaulted/given')).body?.params).toEqual({ value: 'given' });
    expect((await echo('/api/optional/x/y')).status).toBe(404);
  });

  it('captures the rest of the path in a catch-all parameter', async () => {
    expect((await echo('/api/files/a/b/c.txt')).body?.params).toEqual({ path: 'a/b/c.txt' });
    expect((await echo('/api/files')).body?.params).toEqual({});
  });

  it('applies alpha, guid, int with min/max, bool and length constraints', async () => {
    const guid = '0f8fad5b-d9cb-469f-a165-70867728950e';
    const ok = await echo(`/api/c/abc/${guid}/7/TRUE/xyz`);
    expect(ok.body?.params).toEqual({ kind: 'abc', g: guid, n: '7', flag: 'TRUE', code: 'xyz' });
    for (const bad of [
      `/api/c/ab1/${guid}/7/true/xyz`,
      `/api/c/abc/not-a-guid/7/true/xyz`,
      `/api/c/abc/${guid}/0/true/xyz`,
      `/api/c/abc/${guid}/101/true/xyz`,
      `/api/c/abc/${guid}/7/yes/xyz`,
      `/api/c/abc/${guid}/7/true/xy`,
    ]) {
      expect((await echo(bad)).status, bad).toBe(404);
    }
  });

  it('applies regex (with escaped braces), long and double constraints', async () => {
    expect((await echo('/api/r/AB-12')).body?.params).toEqual({ code: 'AB-12' });
    expect((await echo('/api/r/abc-12')).status).toBe(404);
    expect((await echo('/api/n/9007199254740993/-1.5e3')).body?.params).toEqual({
      big: '9007199254740993',
      x: '-1.5e3',
    });
    expect((await echo('/api/n/9223372036854775808/1')).status).toBe(404);
    expect((await echo('/api/n/1/abc')).status).toBe(404);
  });

  it('matches complex segments from the right', async () => {
    expect((await echo('/api/doc/readme.v1.md')).body?.params).toEqual({ name: 'readme.v1', ext: 'md' });
    expect((await echo('/api/doc/readme')).status).toBe(404);
  });
});

describe('methods', () => {
  it('serves only the declared methods and answers 404 for another one, as the Functions host does', async () => {
    expect((await echo('/api/items/5', { method: 'GET' })).status).toBe(200);
    expect((await echo('/api/items/5', { method: 'DELETE' })).status).toBe(404);
    expect((await echo('/api/items', { method: 'POST' })).body?.functionName).toBe('itemCreate');
    expect((await echo('/api/items', { method: 'GET' })).status).toBe(404);
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) {
      expect((await echo('/api/any', { method })).body?.method, method).toBe(method);
    }
  });

  it('defaults app.http to GET and POST', async () => {
    expect((await echo('/api/defaultRoute', { method: 'POST', body: 'x' })).status).toBe(200);
    expect((await echo('/api/defaultRoute', { method: 'PUT', body: 'x' })).status).toBe(404);
  });
});

describe('the route prefix', () => {
  it('answers 404 outside the prefix and for unknown routes', async () => {
    expect((await app.fetch('/defaultRoute')).status).toBe(404);
    expect((await app.fetch('/api/nope')).status).toBe(404);
    expect((await app.fetch('/')).status).toBe(404);
  });
});
