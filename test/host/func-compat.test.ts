/**
 * The repository's host.json and local.settings.example.json must also work under `func start` (Core Tools)
 * where it exists, copied to local.settings.json: these are the rules Core Tools and the Functions host
 * apply to them, checked against the committed files.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { functionTimeoutOf, resolveHostJson, routePrefixOf } from '../../infra/local/host/app-config';

const root = path.resolve(__dirname, '../..');
const readJson = (name: string): unknown => JSON.parse(readFileSync(path.join(root, name), 'utf8'));

// Core Tools reads Values as a string dictionary and the Host section with these names and types.
const localSettingsForFunc = z.strictObject({
  IsEncrypted: z.literal(false),
  Values: z.record(z.string().min(1), z.string()),
  Host: z.strictObject({
    LocalHttpPort: z.number().int().min(1).max(65535),
    CORS: z.string().min(1),
    CORSCredentials: z.boolean(),
  }),
});

const hostJsonForFunc = z.looseObject({
  version: z.literal('2.0'),
  // Non-.NET apps get the Durable and timer extensions from the bundle; v4 bundles serve the Node v4 model.
  extensionBundle: z.strictObject({
    id: z.literal('Microsoft.Azure.Functions.ExtensionBundle'),
    version: z.string().regex(/^\[4\.\*, 5\.0\.0\)$/),
  }),
  extensions: z.looseObject({
    durableTask: z.looseObject({
      hubName: z.string(),
      maxConcurrentActivityFunctions: z.number().int().positive(),
      maxConcurrentOrchestratorFunctions: z.number().int().positive(),
    }),
  }),
});

const settings = localSettingsForFunc.parse(readJson('local.settings.example.json'));
const hostJson = hostJsonForFunc.parse(readJson('host.json'));

describe('func start compatibility', () => {
  it('local.settings.example.json: a node worker, storage for timers and Durable, string values only', () => {
    expect(settings.Values.FUNCTIONS_WORKER_RUNTIME).toBe('node');
    expect(settings.Values.AzureWebJobsStorage).toBe('UseDevelopmentStorage=true');
    // ASP.NET refuses credentials with a wildcard origin; func would fail at start.
    expect(settings.Host.CORS.split(',')).not.toContain('*');
    for (const origin of settings.Host.CORS.split(',')) expect(new URL(origin).origin).toBe(origin);
  });

  it('host.json: every %SETTING% it names is defined in the example settings', () => {
    const references = [...JSON.stringify(hostJson).matchAll(/%([^%"]+)%/g)].map((match) => match[1]!);
    expect(references).toContain('TASKHUB_NAME');
    for (const name of references) expect(Object.keys(settings.Values)).toContain(name);
  });

  it('host.json resolves to a task hub name the Azure Storage provider accepts, a TimeSpan and a prefix', () => {
    const previous = process.env.TASKHUB_NAME;
    process.env.TASKHUB_NAME = settings.Values.TASKHUB_NAME;
    try {
      const resolved = resolveHostJson(hostJson);
      const hubName = (resolved.extensions as { durableTask: { hubName: string } }).durableTask.hubName;
      // Azure Storage task hubs: 3–45 characters, letters and digits, starting with a letter.
      expect(hubName).toMatch(/^[A-Za-z][A-Za-z0-9]{2,44}$/);
      // The Consumption plan's maximum is 10 minutes; func refuses more there.
      const timeout = functionTimeoutOf(resolved);
      expect(timeout).toBeGreaterThan(0);
      expect(timeout).toBeLessThanOrEqual(10 * 60_000);
      expect(routePrefixOf(resolved)).toBe('api');
    } finally {
      if (previous === undefined) delete process.env.TASKHUB_NAME;
      else process.env.TASKHUB_NAME = previous;
    }
  });

  it('refuses what func refuses: a malformed functionTimeout and an undefined %SETTING%', () => {
    expect(() => functionTimeoutOf(resolveHostJson({ functionTimeout: 'ten minutes' }))).toThrow(
      /functionTimeout 'ten minutes' is not a TimeSpan/,
    );
    expect(() => resolveHostJson({ extensions: { durableTask: { hubName: '%NOT_A_SETTING_X%' } } })).toThrow(
      /%NOT_A_SETTING_X%, which is not set/,
    );
  });
});
