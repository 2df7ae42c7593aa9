/**
 * The whole local system for the vending and access tests, on a virtual clock: the stand-ins, the built app
 * on the local host, a small catalog with its source blobs in Azurite, the personas — and helpers that take a
 * request through HTTP as a persona, drive orchestrations through the durable management API, and read what
 * a user sees (project container blobs, mails in the outbox, grants).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Database } from '@azure/cosmos';
import type { BlobServiceClient } from '@azure/storage-blob';
import { VirtualClock } from '../../infra/local/clock';
import { startLocalEnvironment, type LocalEnvironment } from '../../infra/local/environment';
import { findPersona, personaClaims, seedPersonaProfiles } from '../../infra/local/personas';
import { seedCatalog } from '../../infra/local/seed';
import { seedSourceBlobs } from '../../infra/local/source-blobs';
import { loadOrCreateSigningKey, type SigningKey } from '../../infra/local/standins/dev-issuer';
import { parseSettings } from '../../shared/config/settings';
import { CosmosGrantStore } from '../../shared/grants/adapters/cosmos-grant-store';
import { grantId } from '../../shared/grants/model';
import { createBlobServiceClient } from '../../shared/platform/blob';
import { createCosmosClient } from '../../shared/platform/cosmos';
import { durableDriver, type DurableDriver } from '../durable/support';
import {
  CATALOG_SEED,
  completeAnswers,
  studySelection,
  type CallInit,
  type Reply,
} from '../requests/support';

export const DAY_MS = 24 * 3600_000;

export interface ProvisioningSystem {
  readonly environment: LocalEnvironment;
  /** The host's clock (not moving by itself), unless started with `realTime`. */
  readonly clock: VirtualClock;
  readonly durable: DurableDriver;
  readonly database: Database;
  readonly blobs: BlobServiceClient;
  readonly grants: CosmosGrantStore;
  readonly signingKey: SigningKey | undefined;
  call(method: string, path: string, init?: CallInit): Promise<Reply>;
  close(): Promise<void>;
}

export async function startProvisioningSystem(
  options: {
    catalogFiles?: number;
    persistIssuerKey?: boolean;
    /** Real time instead of the virtual clock (benchmarks: retry delays pass by themselves). */
    realTime?: boolean;
    /** Source blobs only for these DAUs (all by default). */
    sourceDaus?: readonly string[];
  } = {},
): Promise<ProvisioningSystem> {
  const dataDir =
    options.persistIssuerKey === true ? mkdtempSync(path.join(tmpdir(), 'provisioning-')) : undefined;
  const clock = new VirtualClock(Date.now());
  const environment = await startLocalEnvironment({
    freePorts: true,
    dataDir,
    clock: options.realTime === true ? undefined : clock,
    settings: { CATALOG_REFRESH_SECONDS: '0' },
    log: () => undefined,
  });
  const settings = parseSettings(environment.appSettings);
  const cosmos = createCosmosClient(settings);
  const database = cosmos.database(settings.CosmosDb__databaseName);
  const blobs = createBlobServiceClient(settings);
  const files = options.catalogFiles ?? 600;
  await seedCatalog({ database, files, seed: CATALOG_SEED });
  await seedPersonaProfiles(database);
  await seedSourceBlobs({
    database,
    source: blobs.getContainerClient(settings.SourceData__containerName),
    daus: options.sourceDaus,
  });
  const url = environment.host.url;
  for (let attempt = 0; ; attempt += 1) {
    const answer = (await (await fetch(`${url}/api/catalog?pageSize=1`)).json()) as {
      summary?: { files: number };
    };
    if ((answer.summary?.files ?? 0) >= files) break;
    if (attempt > 400) throw new Error('the catalog was not indexed');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const tokens = new Map<string, Promise<string>>();
  const token = (who: string): Promise<string> => {
    if (!tokens.has(who)) {
      tokens.set(
        who,
        environment.issuer.mintToken(
          who.includes('@')
            ? { email: who, expiresIn: 7200 }
            : { ...personaClaims(findPersona(who)), expiresIn: 7200 },
        ),
      );
    }
    return tokens.get(who)!;
  };
  return {
    environment,
    clock,
    durable: durableDriver(url, clock),
    database,
    blobs,
    grants: new CosmosGrantStore(database),
    signingKey: dataDir === undefined ? undefined : await loadOrCreateSigningKey(dataDir),
    async call(method, target, init = {}) {
      const bearer = init.token ?? (init.as === undefined ? undefined : await token(init.as));
      const response = await fetch(`${url}${target}`, {
        method,
        headers: {
          ...(bearer === undefined ? {} : { authorization: `Bearer ${bearer}` }),
          ...(init.body !== undefined || init.rawBody !== undefined
            ? { 'content-type': 'application/json' }
            : {}),
          ...init.headers,
        },
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

export interface SubmittedRequest {
  readonly id: string;
  readonly body: Reply['body'];
}

/** A complete request of `rows` (study-tab rows) submitted as `as`, with the given wizard answers over the complete ones. */
export async function submitRequest(
  system: ProvisioningSystem,
  options: { as?: string; rows: string[]; answers?: Record<string, unknown> },
): Promise<SubmittedRequest> {
  const as = options.as ?? 'us-requester';
  const created = await system.call('POST', '/api/requests', { as, body: studySelection(...options.rows) });
  expectStatus(created, 201, 'create');
  const filled = await system.call('PATCH', `/api/requests/${created.body.id}`, {
    as,
    body: { answers: { ...completeAnswers(), ...options.answers } },
    headers: { 'if-match': created.etag! },
  });
  expectStatus(filled, 200, 'autosave');
  const submitted = await system.call('POST', `/api/requests/${created.body.id}/submit`, {
    as,
    headers: { 'if-match': filled.etag! },
  });
  expectStatus(submitted, 200, 'submit');
  return { id: created.body.id, body: submitted.body };
}

/** Throws naming the step and the answer unless `reply` has `status` (no vitest here: the bench uses this too). */
export function expectStatus(reply: Reply, status: number, what: string): void {
  if (reply.status !== status) {
    throw new Error(`${what}: HTTP ${reply.status}, expected ${status}: ${JSON.stringify(reply.body)}`);
  }
}

/** Polls the request (as its owner) until `check` holds for it, moving the virtual clock a little between polls. */
export async function requestWhen(
  system: ProvisioningSystem,
  id: string,
  check: (request: Reply['body']) => boolean,
  as = 'us-requester',
): Promise<Reply['body']> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const reply = await system.call('GET', `/api/requests/${id}`, { as });
    if (reply.status === 200 && check(reply.body)) return reply.body;
    if (Date.now() > deadline)
      throw new Error(`request ${id} never got there: ${JSON.stringify(reply.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Retry delays of activities and mails are durable timers: let them pass.
    await system.clock.advance(10_000);
  }
}

/** The DAU entry of a request view. */
export function dauOf(request: Reply['body'], dauId: string): Reply['body'] {
  return (request.daus as { id: string }[]).find((dau) => dau.id === dauId);
}

/** Every blob name in a container (empty when it does not exist). */
export async function blobNames(system: ProvisioningSystem, container: string): Promise<string[]> {
  const client = system.blobs.getContainerClient(container);
  if (!(await client.exists())) return [];
  const names: string[] = [];
  for await (const item of client.listBlobsFlat()) names.push(item.name);
  return names.sort();
}

/** Mails in the outbox to `address` with `subject` containing `about`. */
export function mailsTo(system: ProvisioningSystem, address: string, about?: string) {
  return system.environment.standIns.acsEmail.outbox
    .list()
    .filter((mail) => mail.to.some((to) => to.address === address))
    .filter((mail) => about === undefined || mail.subject.includes(about));
}

export async function grantOf(system: ProvisioningSystem, requestId: string, dauId: string, userId: string) {
  return (await system.grants.read(grantId(requestId, dauId), userId))?.document;
}

export async function timelineTypes(system: ProvisioningSystem, id: string, as = 'us-requester') {
  const reply = await system.call('GET', `/api/requests/${id}/events`, { as });
  return (reply.body.events as { type: string }[]).map((event) => event.type);
}
