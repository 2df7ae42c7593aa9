/**
 * The whole local system for the requests and profile tests: stand-ins, dev issuer and the built app on the
 * local host (startLocalEnvironment, free ports, in memory), a small generated catalog, the personas'
 * profiles — and a tiny HTTP client that signs in as a persona.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Database } from '@azure/cosmos';
import type { BlobServiceClient } from '@azure/storage-blob';
import { startLocalEnvironment, type LocalEnvironment } from '../../infra/local/environment';
import { personaClaims, findPersona, seedPersonaProfiles } from '../../infra/local/personas';
import { seedCatalog } from '../../infra/local/seed';
import { seedDocuments } from '../../infra/local/standins/seed-documents';
import { loadOrCreateSigningKey, type SigningKey } from '../../infra/local/standins/dev-issuer';
import { generateCatalog } from '../../shared/catalog/generator/generate';
import type { CatalogFile } from '../../shared/catalog/model';
import { parseSettings } from '../../shared/config/settings';
import { createBlobServiceClient } from '../../shared/platform/blob';
import { createCosmosClient } from '../../shared/platform/cosmos';

export const CATALOG_SEED = 7;

export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read answers freely
  readonly body: any;
  readonly etag: string | null;
}

export interface CallInit {
  /** A persona id (`us-requester`) or a raw token; anonymous when absent. */
  readonly as?: string;
  readonly token?: string;
  readonly body?: unknown;
  /** Sent as is (with the JSON content type unless `headers` says otherwise). */
  readonly rawBody?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface RequestsSystem {
  readonly environment: LocalEnvironment;
  readonly url: string;
  readonly database: Database;
  readonly blobs: BlobServiceClient;
  readonly catalog: readonly CatalogFile[];
  /** The issuer's signing key (only with `persistIssuerKey`). */
  readonly signingKey: SigningKey | undefined;
  /** A token for a persona, or for any e-mail (a user without a profile). */
  token(personaOrEmail: string, roles?: string[]): Promise<string>;
  call(method: string, path: string, init?: CallInit): Promise<Reply>;
  close(): Promise<void>;
}

export async function startRequestsSystem(
  options: { catalogFiles?: number; persistIssuerKey?: boolean } = {},
): Promise<RequestsSystem> {
  const dataDir =
    options.persistIssuerKey === true ? mkdtempSync(path.join(tmpdir(), 'requests-')) : undefined;
  const logs: string[] = [];
  const environment = await startLocalEnvironment({
    freePorts: true,
    dataDir,
    settings: { CATALOG_REFRESH_SECONDS: '0' },
    log: (line) => logs.push(line),
  });
  const settings = parseSettings(environment.appSettings);
  const cosmos = createCosmosClient(settings);
  const database = cosmos.database(settings.CosmosDb__databaseName);
  const files = options.catalogFiles ?? 1500;
  await seedCatalog({ database, files, seed: CATALOG_SEED });
  await seedPersonaProfiles(database);
  // The agreement template an envelope carries (npm start seeds it the same way).
  await seedDocuments(environment.appSettings, () => undefined);
  const url = environment.host.url;
  // The app indexes the seeded files before the first test asks.
  for (let attempt = 0; ; attempt += 1) {
    const answer = (await (await fetch(`${url}/api/catalog?pageSize=1`)).json()) as {
      summary?: { files: number };
    };
    if ((answer.summary?.files ?? 0) >= files) break;
    if (attempt > 200) throw new Error('the catalog was not indexed');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const tokens = new Map<string, Promise<string>>();
  const token = (who: string, roles: string[] = []) => {
    const key = `${who}|${roles.join(',')}`;
    if (!tokens.has(key)) {
      tokens.set(
        key,
        environment.issuer.mintToken(
          who.includes('@')
            ? { email: who, roles, expiresIn: 7200 }
            : { ...personaClaims(findPersona(who)), expiresIn: 7200 },
        ),
      );
    }
    return tokens.get(key)!;
  };
  return {
    environment,
    url,
    database,
    blobs: createBlobServiceClient(settings),
    catalog: generateCatalog({ files, seed: CATALOG_SEED }),
    signingKey: dataDir === undefined ? undefined : await loadOrCreateSigningKey(dataDir),
    token,
    async call(method, target, init = {}) {
      const bearer = init.token ?? (init.as === undefined ? undefined : await token(init.as));
      const headers: Record<string, string> = {
        ...(bearer === undefined ? {} : { authorization: `Bearer ${bearer}` }),
        ...(init.body !== undefined || init.rawBody !== undefined
          ? { 'content-type': 'application/json' }
          : {}),
        ...init.headers,
      };
      const response = await fetch(`${url}${target}`, {
        method,
        headers,
        body: init.rawBody ?? (init.body === undefined ? undefined : JSON.stringify(init.body)),
      });
      const text = await response.text();
      let body: unknown = text;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      return { status: response.status, headers: response.headers, body, etag: response.headers.get('etag') };
    },
    async close() {
      cosmos.dispose();
      await environment.close();
      if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Every wizard answer, complete and valid, for a US requester on the electronic route. */
export function completeAnswers(): Record<string, unknown> {
  return {
    destination: { kind: 'new', projectName: 'Osteosarcoma relapse study' },
    principalInvestigator: {
      name: 'Grace Hopper',
      email: 'grace.hopper@example.edu',
      title: 'Professor of Pediatrics',
    },
    institution: { name: 'Example State University', country: 'US', organisationType: 'academic' },
    additionalApplicants: [
      { name: 'Alan Turing', email: 'alan.turing@example.edu', title: 'Postdoctoral Fellow' },
    ],
    institutionalAuthority: {
      name: "Mary O'Neil",
      email: 'grants@example.edu',
      title: 'Director, Sponsored Programs',
    },
    contemplatedUse:
      'We will re-analyse paired tumor-normal whole genomes to find recurrent structural variants at relapse.',
    download: { wanted: false },
    agreementRoute: 'electronic',
  };
}

/** Study-tab rows (dataset codes) whose files are all of one DAU. */
export const ROWS = { PCGP: 'PCGP', PanALL: 'PanALL', SJLIFE: 'SJLIFE' } as const;

export const studySelection = (...rowIds: string[]) => ({ tab: 'study', rowIds });

/**
 * The request once its lifecycle has brought it to `status` (submit answers before the orchestration has
 * moved it on): for tests that compare ETags or statuses after the lifecycle's own writes. A plain loop, so
 * `beforeAll` may use it too.
 */
export async function awaitStatus(
  system: RequestsSystem,
  id: string,
  who: CallInit,
  status: string,
): Promise<Reply> {
  let seen: unknown;
  for (let attempt = 0; attempt < 600; attempt += 1) {
    const reply = await system.call('GET', `/api/requests/${id}`, who);
    if (reply.body?.status === status) return reply;
    seen = reply.body?.status ?? reply.status;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`request ${id} did not reach ${status} (last seen: ${String(seen)})`);
}
