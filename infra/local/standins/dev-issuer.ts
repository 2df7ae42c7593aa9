/**
 * The development token issuer: a tiny OpenID provider on loopback that publishes its discovery document and
 * JWKS and signs RS256 access tokens shaped like Entra ID's (iss, aud, sub, scp, roles, email, name). The app
 * verifies these tokens exactly as it verifies Entra ID tokens; only the configured issuer differs.
 *
 * The signing key is generated at first start and kept under `<dataDir>/dev-issuer/` so tokens printed by
 * `npm run token` stay valid across restarts (in memory when there is no data dir).
 */
import { createHash, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  SignJWT,
  type CryptoKey,
  type JWK,
} from 'jose';
import { z } from 'zod';

export const devIssuerDefaultPort = 7080;
export const devAudience = 'api://data-requests';
/** The delegated scope user tokens carry (the API's `AUTH__requiredScope`). */
export const devScope = 'access_as_user';

export interface SigningKey {
  readonly privateKey: CryptoKey;
  /** Public half as published in the JWKS (with `kid`, `alg`, `use`). */
  readonly publicJwk: JWK;
}

export const mintTokenRequestSchema = z.object({
  email: z.email(),
  /** Subject id; by default derived from the email so a user keeps the same id across tokens. */
  sub: z.string().min(1).max(128).optional(),
  name: z.string().min(1).max(200).optional(),
  /** App roles (`roles` claim), e.g. `admin`. */
  roles: z.array(z.string().min(1).max(64)).max(16).default([]),
  /** Delegated scopes (`scp` claim); the API's scope by default. */
  scopes: z
    .array(z.string().regex(/^[\x21-\x7e]+$/))
    .max(16)
    .default([devScope]),
  /** Lifetime in seconds (default one hour, at most a week). */
  expiresIn: z
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 3600)
    .default(3600),
});

export type MintTokenRequest = z.input<typeof mintTokenRequestSchema> & {
  /** Backdates the token (tests of expiry); now by default. */
  readonly issuedAt?: Date;
};

export type TokenMinter = (request: MintTokenRequest) => Promise<string>;

export function createTokenMinter(key: SigningKey, issuer: string, audience: string): TokenMinter {
  return async (request) => {
    const claims = mintTokenRequestSchema.parse(request);
    const issuedAt = Math.floor((request.issuedAt?.getTime() ?? Date.now()) / 1000);
    return new SignJWT({
      email: claims.email,
      preferred_username: claims.email,
      ...(claims.name === undefined ? {} : { name: claims.name }),
      ...(claims.roles.length === 0 ? {} : { roles: claims.roles }),
      ...(claims.scopes.length === 0 ? {} : { scp: claims.scopes.join(' ') }),
    })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: key.publicJwk.kid! })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject(claims.sub ?? subjectFor(claims.email))
      .setIssuedAt(issuedAt)
      .setNotBefore(issuedAt)
      .setExpirationTime(issuedAt + claims.expiresIn)
      .setJti(randomUUID())
      .sign(key.privateKey);
  };
}

/** A stable, GUID-shaped subject id for an email (Entra ID object ids are GUIDs). */
export function subjectFor(email: string): string {
  const hex = createHash('sha256').update(email.trim().toLowerCase()).digest('hex');
  return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20, 32)].join(
    '-',
  );
}

const keyFileName = 'signing-key.json';
const metadataFileName = 'issuer.json';

export function devIssuerDir(dataDir: string): string {
  return path.join(dataDir, 'dev-issuer');
}

/** Loads the persisted signing key, or creates it (exclusively, so two starting processes agree on one key). */
export async function loadOrCreateSigningKey(dataDir: string | undefined): Promise<SigningKey> {
  if (dataDir === undefined) return toSigningKey(await generatePrivateJwk());
  const file = path.join(devIssuerDir(dataDir), keyFileName);
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    const created = await generatePrivateJwk();
    await fs.writeFile(file, JSON.stringify(created), { flag: 'wx', mode: 0o600 });
    return toSigningKey(created);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const stored = privateJwkSchema.parse(JSON.parse(await fs.readFile(file, 'utf8')));
    return toSigningKey(stored);
  }
}

const privateJwkSchema = z.looseObject({
  kty: z.literal('RSA'),
  kid: z.string().min(1),
  n: z.string(),
  e: z.string(),
  d: z.string(),
});

async function generatePrivateJwk(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: await calculateJwkThumbprint(jwk) };
}

async function toSigningKey(privateJwk: JWK): Promise<SigningKey> {
  const privateKey = await importJWK(privateJwk, 'RS256');
  if (privateKey instanceof Uint8Array) throw new Error('The dev issuer key must be an RSA key');
  const { kty, n, e, kid } = privateJwk;
  return { privateKey, publicJwk: { kty, n, e, kid, alg: 'RS256', use: 'sig' } };
}

/** Where the running issuer was last reachable, so `npm run token` mints for the same `iss`/`aud`. */
export const issuerMetadataSchema = z.object({ issuer: z.url(), audience: z.string().min(1) });

export async function readIssuerMetadata(
  dataDir: string,
): Promise<z.infer<typeof issuerMetadataSchema> | undefined> {
  try {
    const text = await fs.readFile(path.join(devIssuerDir(dataDir), metadataFileName), 'utf8');
    return issuerMetadataSchema.parse(JSON.parse(text));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export interface DevIssuerOptions {
  /** Root of local state; the key lives in `<dataDir>/dev-issuer/`. Undefined keeps it in memory. */
  readonly dataDir?: string;
  /** Port on 127.0.0.1 (default 7080; 0 picks a free one). */
  readonly port?: number;
  readonly log?: (line: string) => void;
}

export interface DevIssuer {
  readonly issuer: string;
  readonly jwksUri: string;
  readonly audience: string;
  readonly mintToken: TokenMinter;
  /** The app's AUTH__* settings pointing at this issuer. */
  readonly env: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

const maxTokenRequestBytes = 16 * 1024;

export async function startDevIssuer(options: DevIssuerOptions = {}): Promise<DevIssuer> {
  const key = await loadOrCreateSigningKey(options.dataDir);
  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? devIssuerDefaultPort, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;
  const jwksUri = `${issuer}/.well-known/jwks.json`;
  const mintToken = createTokenMinter(key, issuer, devAudience);
  const discovery = {
    issuer,
    jwks_uri: jwksUri,
    token_endpoint: `${issuer}/token`,
    response_types_supported: ['token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    scopes_supported: [devScope],
  };
  const allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);

  server.on('request', (request, response) => {
    handleRequest(request, response).catch(() => {
      if (!response.headersSent) send(response, 500, { error: 'server_error' });
      else response.destroy();
    });
  });

  async function handleRequest(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const { pathname } = new URL(request.url ?? '/', issuer);
    if (request.method === 'GET' && pathname === '/.well-known/openid-configuration') {
      return send(response, 200, discovery);
    }
    if (request.method === 'GET' && pathname === '/.well-known/jwks.json') {
      return send(response, 200, { keys: [key.publicJwk] }, { 'cache-control': 'public, max-age=300' });
    }
    if (request.method === 'POST' && pathname === '/token') return issueToken(request, response);
    return send(response, 404, { error: 'not_found' });
  }

  /**
   * For local tools only. The Host check defeats DNS rebinding, and requiring a JSON content type forces a
   * CORS preflight (which is never granted) on any cross-site page that tries to call it.
   */
  async function issueToken(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    if (!isLoopback(request.socket.remoteAddress) || !allowedHosts.has(request.headers.host ?? '')) {
      return send(response, 403, { error: 'access_denied' });
    }
    if (!/^application\/json\b/i.test(request.headers['content-type'] ?? '')) {
      return send(response, 415, { error: 'invalid_request', error_description: 'send application/json' });
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of request) {
      size += (chunk as Buffer).length;
      if (size > maxTokenRequestBytes) return send(response, 413, { error: 'invalid_request' });
      chunks.push(chunk as Buffer);
    }
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return send(response, 400, { error: 'invalid_request', error_description: 'body is not JSON' });
    }
    const parsed = mintTokenRequestSchema.safeParse(body);
    if (!parsed.success) {
      return send(response, 400, {
        error: 'invalid_request',
        error_description: z.prettifyError(parsed.error),
      });
    }
    const accessToken = await mintToken(parsed.data);
    return send(
      response,
      200,
      { access_token: accessToken, token_type: 'Bearer', expires_in: parsed.data.expiresIn },
      { 'cache-control': 'no-store' },
    );
  }

  if (options.dataDir !== undefined) {
    const metadata: z.infer<typeof issuerMetadataSchema> = { issuer, audience: devAudience };
    await fs.writeFile(path.join(devIssuerDir(options.dataDir), metadataFileName), JSON.stringify(metadata));
  }
  options.log?.(
    `dev issuer    ${issuer}  (audience ${devAudience}; tokens: npm run token -- --user you@example.org)`,
  );

  return {
    issuer,
    jwksUri,
    audience: devAudience,
    mintToken,
    env: { AUTH__issuer: issuer, AUTH__audience: devAudience, AUTH__jwksUri: jwksUri },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeAllConnections();
      }),
  };
}

function isLoopback(address: string | undefined): boolean {
  return address !== undefined && /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/.test(address);
}

function send(
  response: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}
