/**
 * The whole local system for the agreement step's tests: the built app on the local host with the Durable
 * engine and the DocuSign stand-in on one virtual clock (poll timers and envelope expiry in a step), a
 * seeded catalog and the personas' profiles, and helpers to submit a request as a persona and wait for
 * what the requester would see.
 */
import type { Database } from '@azure/cosmos';
import { VirtualClock } from '../../infra/local/clock';
import { startLocalEnvironment, type LocalEnvironment } from '../../infra/local/environment';
import { findPersona, personaClaims, seedPersonaProfiles } from '../../infra/local/personas';
import { seedCatalog } from '../../infra/local/seed';
import { seedDocuments } from '../../infra/local/standins/seed-documents';
import { parseSettings } from '../../shared/config/settings';
import { createCosmosClient } from '../../shared/platform/cosmos';
import { CATALOG_SEED, completeAnswers, studySelection, type Reply } from '../requests/support';
import { agreementIdempotencyKey } from '../../shared/agreements/envelope-definition';
import { actAsRecipient } from '../docusign-standin/signing';
import { envelopesApi, trustStandIn } from '../docusign-standin/support';

/** How often the waiting step reads the envelope, and when the stand-in expires an envelope (tests). */
export const pollMinutes = 24 * 60;
export const expireAfterDays = 3;
const catalogFiles = 600;

export interface AgreementSystem {
  readonly environment: LocalEnvironment;
  readonly clock: VirtualClock;
  readonly database: Database;
  readonly caPem: string;
  call(method: string, path: string, init?: CallInit): Promise<Reply>;
  token(persona: string): Promise<string>;
  close(): Promise<void>;
}

export interface CallInit {
  readonly as?: string;
  readonly token?: string;
  readonly body?: unknown;
  /** Sent as is, with `headers` (no JSON content type added). */
  readonly bytes?: Uint8Array;
  readonly headers?: Readonly<Record<string, string>>;
}

export async function startAgreementSystem(
  options: { dataDir?: string; settings?: Record<string, string> } = {},
): Promise<AgreementSystem> {
  const clock = new VirtualClock(Date.now());
  const environment = await startLocalEnvironment({
    freePorts: true,
    clock,
    dataDir: options.dataDir,
    settings: {
      CATALOG_REFRESH_SECONDS: '0',
      DocuSign__statusPollMinutes: String(pollMinutes),
      DocuSign__expireAfterDays: String(expireAfterDays),
      ...options.settings,
    },
    log: () => undefined,
  });
  return connectAgreementSystem(environment, clock);
}

/** What the agreement tests need in the store: the catalog, the personas' profiles, the agreement template. */
export async function seedAgreementData(environment: LocalEnvironment): Promise<Database> {
  const settings = parseSettings(environment.appSettings);
  const database = createCosmosClient(settings).database(settings.CosmosDb__databaseName);
  await seedCatalog({ database, files: catalogFiles, seed: CATALOG_SEED });
  await seedPersonaProfiles(database);
  // The agreement template the envelope carries (npm start seeds it the same way).
  await seedDocuments(environment.appSettings, () => undefined);
  // The app indexes the seeded files before the first test asks.
  const url = environment.host.url;
  for (let attempt = 0; ; attempt += 1) {
    const answer = (await (await fetch(`${url}/api/catalog?pageSize=1`)).json()) as {
      summary?: { files: number };
    };
    if ((answer.summary?.files ?? 0) >= catalogFiles) return database;
    if (attempt > 400) throw new Error('the catalog was not indexed');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The helpers over an environment already running (seeds it first). */
export async function connectAgreementSystem(
  environment: LocalEnvironment,
  clock: VirtualClock,
): Promise<AgreementSystem> {
  const database = await seedAgreementData(environment);
  const url = environment.host.url;
  const tokens = new Map<string, Promise<string>>();
  const token = (persona: string) => {
    if (!tokens.has(persona)) {
      tokens.set(
        persona,
        environment.issuer.mintToken({ ...personaClaims(findPersona(persona)), expiresIn: 7200 }),
      );
    }
    return tokens.get(persona)!;
  };
  const caPem = environment.standIns.certificates.caPem;
  return {
    environment,
    clock,
    database,
    caPem,
    token,
    call: caller(url, token),
    async close() {
      database.client.dispose();
      await environment.close();
    },
  };
}

/** The non-US persona signs by hand: an institution abroad, the manual route. */
export function manualAnswers(): Record<string, unknown> {
  const answers = completeAnswers();
  return {
    ...answers,
    institution: { name: 'Example University Heidelberg', country: 'DE', organisationType: 'academic' },
    agreementRoute: 'manual',
  };
}

/** A submitted request of `persona` over controlled DAUs (PCGP and SJLIFE). */
export async function submitRequest(
  system: Pick<AgreementSystem, 'call'>,
  persona: 'us-requester' | 'non-us-requester',
): Promise<{ id: string; etag: string }> {
  const as = persona;
  const created = await system.call('POST', '/api/requests', {
    as,
    body: studySelection('PCGP', 'SJLIFE'),
  });
  check(created, 201);
  const id = created.body.id as string;
  const answers = persona === 'us-requester' ? completeAnswers() : manualAnswers();
  const filled = await system.call('PATCH', `/api/requests/${id}`, {
    as,
    body: { answers },
    headers: { 'if-match': created.etag! },
  });
  check(filled, 200);
  const submitted = await system.call('POST', `/api/requests/${id}/submit`, {
    as,
    headers: { 'if-match': filled.etag! },
  });
  check(submitted, 200);
  return { id, etag: submitted.etag! };
}

/** HTTP calls to the app at `url` as a persona (a token from `token`), answers parsed when JSON. */
export function caller(url: string, token: (persona: string) => Promise<string>): AgreementSystem['call'] {
  return async (method, target, init = {}) => {
    const bearer = init.token ?? (init.as === undefined ? undefined : await token(init.as));
    const headers: Record<string, string> = {
      ...(bearer === undefined ? {} : { authorization: `Bearer ${bearer}` }),
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...init.headers,
    };
    const response = await fetch(`${url}${target}`, {
      method,
      headers,
      body: init.bytes ?? (init.body === undefined ? undefined : JSON.stringify(init.body)),
    });
    const buffer = Buffer.from(await response.arrayBuffer());
    const json = (response.headers.get('content-type') ?? '').includes('json');
    const body: unknown = json ? JSON.parse(buffer.toString('utf8')) : buffer;
    return { status: response.status, headers: response.headers, body, etag: response.headers.get('etag') };
  };
}

function check(reply: Reply, status: number): void {
  if (reply.status !== status) {
    throw new Error(`expected ${status}, got ${reply.status}: ${JSON.stringify(reply.body)}`);
  }
}

/**
 * The request as its owner sees it, once `predicate` holds (the lifecycle runs in the background). Not a
 * timed assertion: the deadline only turns a hang into a failure that shows the last answer.
 */
export async function requestOnceIt(
  system: Pick<AgreementSystem, 'call'>,
  id: string,
  predicate: (request: Reply['body']) => boolean,
  as = 'us-requester',
): Promise<Reply['body']> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const request = (await system.call('GET', `/api/requests/${id}`, { as })).body;
    if (predicate(request)) return request;
    if (Date.now() > deadline) {
      throw new Error(
        `request ${id} never got there: ${JSON.stringify({ status: request.status, agreement: request.agreement })}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The request's envelope id, once the envelope is out for signature. */
export async function envelopeOf(system: AgreementSystem, id: string): Promise<string> {
  const request = await requestOnceIt(system, id, (body) => body.status === 'awaiting_signatures');
  return request.agreement.envelopeId as string;
}

/** Every signer whose turn it is signs, in routing order, until nobody's turn is left. */
export async function signAll(system: AgreementSystem, envelopeId: string): Promise<string[]> {
  const signed: string[] = [];
  const standIn = system.environment.standIns.docuSign;
  while (standIn.pendingSignatures().some((each) => each.envelopeId === envelopeId)) {
    signed.push(await actAsRecipient(standIn, system.caPem, envelopeId, 'sign'));
  }
  return signed;
}

const trusted = new Set<string>();

/** The envelopes the stand-in holds for a request (by the idempotency custom field), with their statuses. */
export async function envelopesFor(system: AgreementSystem, requestId: string): Promise<string[]> {
  const standIn = system.environment.standIns.docuSign;
  if (!trusted.has(standIn.origin)) trustStandIn(standIn.origin, system.caPem);
  trusted.add(standIn.origin);
  const { api, accountId } = await envelopesApi(standIn);
  const listed = await api.listStatusChanges(accountId, {
    fromDate: '2000-01-01T00:00:00Z',
    customField: `idempotencyKey=${agreementIdempotencyKey(requestId)}`,
  });
  return ((listed.envelopes ?? []) as { status: string }[]).map((envelope) => envelope.status);
}

export function timelineTypes(events: Reply['body']): string[] {
  return (events.events as { type: string }[]).map((event) => event.type);
}
