import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { parseTimeSpan } from './ncrontab';

/**
 * What `func start` reads from a function app folder before loading it: `package.json` (`main`), `host.json`
 * and `local.settings.json` (or, in this repository, the committed `local.settings.example.json`).
 */

const settingValue = z.union([z.string(), z.number(), z.boolean()]).transform(String);

const localSettingsSchema = z.object({
  IsEncrypted: z.boolean().optional(),
  Values: z.record(z.string(), settingValue).default({}),
  Host: z
    .object({
      LocalHttpPort: z.coerce.number().int().min(0).max(65535).optional(),
      CORS: z.string().optional(),
      CORSCredentials: z
        .union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')])
        .optional(),
    })
    .loose()
    .default({}),
});

export type LocalSettings = z.output<typeof localSettingsSchema>;

const packageJsonSchema = z.object({ main: z.string().min(1).optional() }).loose();

const hostJsonSchema = z
  .object({
    version: z.string().optional(),
    functionTimeout: z.string().optional(),
    extensions: z
      .object({ http: z.object({ routePrefix: z.string().optional() }).loose().optional() })
      .loose()
      .optional(),
    logging: z
      .object({ logLevel: z.object({ default: z.string().optional() }).loose().optional() })
      .loose()
      .optional(),
  })
  .loose();

export type HostJson = z.output<typeof hostJsonSchema>;

export interface AppFiles {
  readonly appDir: string;
  /** `package.json#main`: a file or a glob; undefined when the app has none (then nothing loads). */
  readonly main: string | undefined;
  readonly settings: LocalSettings;
  /** Which settings file was read, for the start-up banner; undefined when there is none. */
  readonly settingsFile: string | undefined;
  /** host.json as written (references unresolved). */
  readonly rawHostJson: Record<string, unknown>;
}

function readJson(file: string): unknown {
  const text = fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new Error(`${file} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}

function parseFile<T extends z.ZodType>(file: string, schema: T): z.output<T> {
  const result = schema.safeParse(readJson(file));
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new Error(`${file}: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  return result.data;
}

export function readAppFiles(appDir: string): AppFiles {
  const root = path.resolve(appDir);
  const packageFile = path.join(root, 'package.json');
  if (!fs.existsSync(packageFile)) throw new Error(`No package.json in the function app folder ${root}`);
  const { main } = parseFile(packageFile, packageJsonSchema);

  const hostFile = path.join(root, 'host.json');
  const rawHostJson = fs.existsSync(hostFile) ? parseFile(hostFile, z.record(z.string(), z.unknown())) : {};

  const settingsFile = ['local.settings.json', 'local.settings.example.json']
    .map((name) => path.join(root, name))
    .find((file) => fs.existsSync(file));
  const settings =
    settingsFile === undefined ? localSettingsSchema.parse({}) : parseFile(settingsFile, localSettingsSchema);
  if (settings.IsEncrypted === true) {
    throw new Error(
      `${settingsFile}: encrypted settings are not supported locally; set "IsEncrypted": false`,
    );
  }
  return { appDir: root, main, settings, settingsFile, rawHostJson };
}

/**
 * Applies settings to `process.env` as func does: `Values` never overwrite variables already set (non-empty)
 * in the real environment; `overrides` (the stand-ins' endpoints) always win. Returns the names skipped and a
 * function that restores the environment, so a later app in the same process starts from the real one.
 */
export function applyEnvironment(
  values: Record<string, string>,
  overrides: Record<string, string>,
): { skipped: string[]; restore: () => void } {
  const previous = new Map<string, string | undefined>();
  const set = (name: string, value: string): void => {
    if (!previous.has(name)) previous.set(name, process.env[name]);
    process.env[name] = value;
  };
  const skipped: string[] = [];
  for (const [name, value] of Object.entries(values)) {
    if (name === '') continue;
    if (process.env[name]) skipped.push(name);
    else set(name, value);
  }
  for (const [name, value] of Object.entries(overrides)) set(name, value);
  const restore = (): void => {
    for (const [name, value] of previous) {
      if (value === undefined) Reflect.deleteProperty(process.env, name);
      else process.env[name] = value;
    }
  };
  return { skipped: skipped.filter((name) => !(name in overrides)), restore };
}

const settingReference = /%([A-Za-z0-9_:.-]+)%/g;

/** Replaces `%NAME%` with the app setting NAME; a missing setting fails naming it. */
export function resolveSettingReferences(text: string, where: string): string {
  return text.replace(settingReference, (_match, name: string) => {
    const value = process.env[name];
    if (value === undefined)
      throw new Error(`${where} refers to the app setting %${name}%, which is not set`);
    return value;
  });
}

function resolveDeep(value: unknown, where: string): unknown {
  if (typeof value === 'string') return resolveSettingReferences(value, where);
  if (Array.isArray(value)) return value.map((item, index) => resolveDeep(item, `${where}[${index}]`));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, resolveDeep(item, `${where}.${key}`)]),
    );
  }
  return value;
}

export function resolveHostJson(raw: Record<string, unknown>): HostJson {
  return hostJsonSchema.parse(resolveDeep(raw, 'host.json'));
}

/** `extensions.http.routePrefix`, default `api`, without surrounding slashes (may be empty). */
export function routePrefixOf(hostJson: HostJson): string {
  return (hostJson.extensions?.http?.routePrefix ?? 'api').replace(/^\/+|\/+$/g, '');
}

/** The Functions host's default outside the Consumption plan, when host.json sets none. */
const defaultFunctionTimeoutMs = 30 * 60_000;

/** host.json `functionTimeout` in ms; `-1` means no limit (undefined). */
export function functionTimeoutOf(hostJson: HostJson): number | undefined {
  const text = hostJson.functionTimeout;
  if (text === undefined) return defaultFunctionTimeoutMs;
  if (text.trim() === '-1') return undefined;
  const ms = parseTimeSpan(text);
  if (ms === undefined || ms === 0)
    throw new Error(`host.json functionTimeout '${text}' is not a TimeSpan like 00:10:00`);
  return ms;
}
