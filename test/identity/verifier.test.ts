import { createHmac, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../shared/http/errors';
import { authenticate } from '../../shared/identity/authenticate';
import { JoseTokenVerifier, remoteKeySet } from '../../shared/identity/jose-token-verifier';
import {
  createTokenMinter,
  devIssuerDir,
  devScope,
  loadOrCreateSigningKey,
  startDevIssuer,
  subjectFor,
  type DevIssuer,
  type SigningKey,
} from '../../infra/local/standins/dev-issuer';
import { base64url, claims } from '../support/bad-tokens';

let dataDir: string;
let issuer: DevIssuer;
let issuerKey: SigningKey;
/** The verifier's clock: tests move it to replay tokens later. */
let now = new Date();
let verifier: JoseTokenVerifier;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'dev-issuer-'));
  issuer = await startDevIssuer({ dataDir, port: 0 });
  // Same data dir, so the same persisted key: lets tests forge tokens that differ in one claim only.
  issuerKey = await loadOrCreateSigningKey(dataDir);
  verifier = new JoseTokenVerifier({
    issuer: issuer.issuer,
    audience: issuer.audience,
    keys: remoteKeySet(issuer.jwksUri),
    requiredScope: devScope,
    adminRole: 'admin',
    now: () => now,
  });
});

afterAll(async () => {
  await issuer.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

async function expectInvalidToken(
  token: string,
  description = 'The access token is invalid.',
): Promise<void> {
  const error = await rejection(verifier.verify(token));
  expect(error.status).toBe(401);
  expect(error.code).toBe('invalid-token');
  expect(error.detail).toBe(description);
  expect(error.headers['www-authenticate']).toMatch(
    /^Bearer error="invalid_token", error_description="[^"]+"$/,
  );
}

describe('dev issuer tokens verified with jose', () => {
  it('accepts a valid token and maps its claims to a principal', async () => {
    now = new Date();
    const token = await issuer.mintToken({ email: 'Alice@Example.org', name: 'Alice Smith' });
    await expect(verifier.verify(token)).resolves.toEqual({
      subjectId: subjectFor('alice@example.org'),
      email: 'alice@example.org',
      name: 'Alice Smith',
      roles: ['requester'],
    });
  });

  it('grants admin from the roles claim only', async () => {
    now = new Date();
    const admin = await verifier.verify(
      await issuer.mintToken({ email: 'ada@example.org', roles: ['admin'] }),
    );
    const other = await verifier.verify(
      await issuer.mintToken({ email: 'bob@example.org', roles: ['auditor'] }),
    );
    expect(admin.roles).toEqual(['requester', 'admin']);
    expect(other.roles).toEqual(['requester']);
  });

  it('refuses an expired token', async () => {
    now = new Date();
    const token = await issuer.mintToken({
      email: 'alice@example.org',
      expiresIn: 3600,
      issuedAt: new Date(Date.now() - 2 * 3600_000),
    });
    await expectInvalidToken(token, 'The access token expired.');
  });

  it('refuses a token replayed after its expiry, tolerating only a small clock skew', async () => {
    now = new Date();
    const token = await issuer.mintToken({ email: 'alice@example.org', expiresIn: 600 });
    await expect(verifier.verify(token)).resolves.toMatchObject({ email: 'alice@example.org' });
    now = new Date(Date.now() + (600 + 20) * 1000);
    await expect(verifier.verify(token)).resolves.toMatchObject({ email: 'alice@example.org' });
    now = new Date(Date.now() + (600 + 31) * 1000);
    await expectInvalidToken(token, 'The access token expired.');
    now = new Date();
  });

  it('refuses a token that is not valid yet', async () => {
    now = new Date();
    const token = await issuer.mintToken({
      email: 'alice@example.org',
      issuedAt: new Date(Date.now() + 300_000),
    });
    await expectInvalidToken(token);
  });

  it('refuses a token for another audience', async () => {
    now = new Date();
    const token = await createTokenMinter(
      issuerKey,
      issuer.issuer,
      'api://someone-else',
    )({ email: 'a@example.org' });
    await expectInvalidToken(token);
  });

  it('accepts any of several configured audiences', async () => {
    now = new Date();
    const both = new JoseTokenVerifier({
      issuer: issuer.issuer,
      audience: ['00000000-1111-2222-3333-444444444444', issuer.audience],
      keys: remoteKeySet(issuer.jwksUri),
      requiredScope: devScope,
      adminRole: 'admin',
    });
    const token = await createTokenMinter(
      issuerKey,
      issuer.issuer,
      '00000000-1111-2222-3333-444444444444',
    )({
      email: 'a@example.org',
    });
    await expect(both.verify(token)).resolves.toMatchObject({ email: 'a@example.org' });
    await expectInvalidToken(token);
  });

  it('refuses a token from another issuer, even signed with the right key', async () => {
    now = new Date();
    const token = await createTokenMinter(
      issuerKey,
      'https://evil.example',
      issuer.audience,
    )({ email: 'a@example.org' });
    await expectInvalidToken(token);
  });

  it('refuses a token signed by another key (unknown key id)', async () => {
    now = new Date();
    const otherKey = await loadOrCreateSigningKey(undefined);
    const token = await createTokenMinter(
      otherKey,
      issuer.issuer,
      issuer.audience,
    )({ email: 'a@example.org' });
    await expectInvalidToken(token);
  });

  it('refuses a token signed by another key that claims the real key id', async () => {
    now = new Date();
    const otherKey = await loadOrCreateSigningKey(undefined);
    const impostor: SigningKey = { privateKey: otherKey.privateKey, publicJwk: issuerKey.publicJwk };
    const token = await createTokenMinter(
      impostor,
      issuer.issuer,
      issuer.audience,
    )({ email: 'a@example.org' });
    await expectInvalidToken(token);
  });

  it('refuses a token whose payload was altered after signing', async () => {
    now = new Date();
    const [header, , signature] = (await issuer.mintToken({ email: 'a@example.org' })).split('.');
    const forged = `${header}.${base64url({ ...claims(issuer, 'a@example.org'), roles: ['admin'] })}.${signature}`;
    await expectInvalidToken(forged);
  });

  it('refuses an unsigned token (alg none)', async () => {
    now = new Date();
    const token = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims(issuer, 'a@example.org'))}.`;
    await expectInvalidToken(token);
  });

  it('refuses HS256 signed with the public key as the secret (algorithm confusion)', async () => {
    now = new Date();
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const secrets = [
      JSON.stringify(issuerKey.publicJwk),
      publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      Buffer.from(issuerKey.publicJwk.n!, 'base64url'),
    ];
    for (const secret of secrets) {
      const signingInput = `${base64url({ alg: 'HS256', typ: 'JWT', kid: issuerKey.publicJwk.kid })}.${base64url(claims(issuer, 'a@example.org'))}`;
      const signature = createHmac('sha256', secret).update(signingInput).digest('base64url');
      await expectInvalidToken(`${signingInput}.${signature}`);
    }
  });

  it('refuses garbage and oversized tokens as malformed', async () => {
    await expectInvalidToken('not-a-jwt', 'The access token is malformed.');
    await expectInvalidToken(`${'a'.repeat(9000)}.b.c`, 'The access token is malformed.');
  });

  it('refuses a valid token without the API scope with 403 insufficient_scope', async () => {
    now = new Date();
    const token = await issuer.mintToken({ email: 'daemon@example.org', scopes: [] });
    const error = await rejection(verifier.verify(token));
    expect(error.status).toBe(403);
    expect(error.code).toBe('insufficient-scope');
    expect(error.headers['www-authenticate']).toBe(`Bearer error="insufficient_scope", scope="${devScope}"`);
  });

  it('answers 503 (not 401) when the keys cannot be fetched', async () => {
    const stopped = await startDevIssuer({ port: 0 });
    const token = await stopped.mintToken({ email: 'a@example.org' });
    await stopped.close();
    const unreachable = new JoseTokenVerifier({
      issuer: stopped.issuer,
      audience: stopped.audience,
      keys: remoteKeySet(stopped.jwksUri),
      requiredScope: devScope,
      adminRole: 'admin',
    });
    const error = await rejection(unreachable.verify(token));
    expect(error.status).toBe(503);
    expect(error.headers['retry-after']).toBe('5');
  });
});

describe('Authorization header', () => {
  it('is anonymous when absent or empty', async () => {
    await expect(authenticate(null, verifier)).resolves.toBeUndefined();
    await expect(authenticate('  ', verifier)).resolves.toBeUndefined();
  });

  it('refuses other schemes with a Bearer challenge', async () => {
    const error = await rejection(authenticate('Basic YWxpY2U6c2VjcmV0', verifier));
    expect(error.status).toBe(401);
    expect(error.headers['www-authenticate']).toBe('Bearer');
  });

  it.each(['Bearer', 'Bearer ', 'Bearer a b', 'Bearer <script>', 'Bearertoken'])(
    'refuses the malformed header %j',
    async (header) => {
      const error = await rejection(authenticate(header, verifier));
      expect(error.status).toBe(401);
    },
  );

  it('accepts the scheme case-insensitively', async () => {
    now = new Date();
    const token = await issuer.mintToken({ email: 'alice@example.org' });
    await expect(authenticate(`bearer ${token}`, verifier)).resolves.toMatchObject({
      email: 'alice@example.org',
    });
  });
});

describe('dev issuer server', () => {
  it('publishes discovery and the JWKS with only public key material', async () => {
    const discovery = (await (
      await fetch(`${issuer.issuer}/.well-known/openid-configuration`)
    ).json()) as Record<string, unknown>;
    expect(discovery).toMatchObject({ issuer: issuer.issuer, jwks_uri: issuer.jwksUri });
    const jwks = (await (await fetch(issuer.jwksUri)).json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({
      kty: 'RSA',
      alg: 'RS256',
      use: 'sig',
      kid: issuerKey.publicJwk.kid,
    });
    for (const privatePart of ['d', 'p', 'q', 'dp', 'dq', 'qi'])
      expect(jwks.keys[0]).not.toHaveProperty(privatePart);
  });

  it('keeps its key across restarts, readable by its owner only', async () => {
    const restarted = await startDevIssuer({ dataDir, port: 0 });
    try {
      const jwks = (await (await fetch(restarted.jwksUri)).json()) as { keys: { kid: string }[] };
      expect(jwks.keys[0]?.kid).toBe(issuerKey.publicJwk.kid);
    } finally {
      await restarted.close();
    }
    const file = await stat(path.join(devIssuerDir(dataDir), 'signing-key.json'));
    expect(file.mode & 0o077).toBe(0);
  });

  it('issues tokens on POST /token to local JSON callers only', async () => {
    now = new Date();
    const post = (headers: Record<string, string>, body: string): Promise<Response> =>
      fetch(`${issuer.issuer}/token`, { method: 'POST', headers, body });
    const ok = await post(
      { 'content-type': 'application/json' },
      JSON.stringify({ email: 'eve@example.org' }),
    );
    expect(ok.status).toBe(200);
    const { access_token: token } = (await ok.json()) as { access_token: string };
    await expect(verifier.verify(token)).resolves.toMatchObject({ email: 'eve@example.org' });

    expect((await post({ 'content-type': 'text/plain' }, '{"email":"eve@example.org"}')).status).toBe(415);
    expect((await post({ 'content-type': 'application/json' }, '{"email":"not-an-email"}')).status).toBe(400);
    expect((await post({ 'content-type': 'application/json' }, '{oops')).status).toBe(400);
    // A DNS-rebound page reaches 127.0.0.1 with its own host name; fetch cannot forge Host, so use node:http.
    const rebound = await new Promise<number | undefined>((resolve, reject) => {
      const request = http.request(`${issuer.issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', host: 'attacker.example' },
      });
      request.on('response', (response) => {
        response.resume();
        resolve(response.statusCode);
      });
      request.on('error', reject);
      request.end(JSON.stringify({ email: 'eve@example.org' }));
    });
    expect(rebound).toBe(403);
  });
});
