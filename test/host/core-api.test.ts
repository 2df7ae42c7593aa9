import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFixture, type FixtureHost } from './fixtures';

interface CoreApi {
  version: string;
  hostVersion: string;
  getProgrammingModel(): { name: string; version: string };
  registerHook(name: string, callback: () => void): { dispose(): void };
  registerFunction(metadata: { name: string; bindings: object }, callback: () => void): { dispose(): void };
  log(level: string, category: string, message: string): void;
  Disposable: { from(...items: { dispose(): void }[]): { dispose(): void } };
}

let app: FixtureHost;
let core: CoreApi;

beforeAll(async () => {
  app = await startFixture('http-routes');
  // The same module the app's copy of @azure/functions sees.
  core = createRequire(__filename)('@azure/functions-core') as CoreApi;
});

afterAll(async () => {
  await app?.host.close();
});

describe('the @azure/functions-core shim', () => {
  it('reports worker and host versions and the programming model the app set', () => {
    expect(core.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(typeof core.hostVersion).toBe('string');
    expect(core.getProgrammingModel()).toMatchObject({ name: '@azure/functions', version: '4.16.5' });
  });

  it('throws a RangeError marked as a system error for unknown hook names', () => {
    let thrown: unknown;
    try {
      core.registerHook('beforeEverything', () => undefined);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(RangeError);
    expect(thrown).toMatchObject({ name: 'RangeError', isAzureFunctionsSystemError: true });
  });

  it('refuses registrations after start-up, as the worker does', () => {
    expect(() => core.registerFunction({ name: 'late', bindings: {} }, () => undefined)).toThrow(
      'A function can only be registered during app startup.',
    );
  });

  it('routes the library system log to the host log', () => {
    core.log('warning', 'system', 'a system warning from the library');
    expect(app.logs.some((line) => line.endsWith('a system warning from the library'))).toBe(true);
  });

  it('disposes hooks, singly or combined with Disposable.from', async () => {
    const calls: string[] = [];
    const first = core.registerHook('preInvocation', () => void calls.push('first'));
    const second = core.registerHook('preInvocation', () => void calls.push('second'));
    await app.fetch('/api/items/1');
    core.Disposable.from(first, second).dispose();
    await app.fetch('/api/items/1');
    expect(calls).toEqual(['first', 'second']);
  });
});
