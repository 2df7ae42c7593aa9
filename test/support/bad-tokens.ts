/**
 * Tokens every authenticated route must refuse, for tests through HTTP: expired, another issuer or audience
 * (signed with the issuer's real key), another key, a wrong algorithm (HS256 keyed with the public key), a
 * payload altered after signing, and an unsigned `alg: none` token. Shared so each route group's tests
 * cover the same cases (test/identity/verifier.test.ts checks the verifier itself).
 */
import { createHmac } from 'node:crypto';
import {
  createTokenMinter,
  devScope,
  loadOrCreateSigningKey,
  subjectFor,
  type DevIssuer,
  type SigningKey,
} from '../../infra/local/standins/dev-issuer';

export function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Valid claims of the issuer for `email`, for tokens assembled by hand. */
export function claims(
  issuer: Pick<DevIssuer, 'issuer' | 'audience'>,
  email: string,
): Record<string, unknown> {
  const iat = Math.floor(Date.now() / 1000);
  return {
    iss: issuer.issuer,
    aud: issuer.audience,
    sub: subjectFor(email),
    email,
    scp: devScope,
    iat,
    nbf: iat,
    exp: iat + 3600,
  };
}

/** Each bad token by name; `key` is the issuer's signing key (loaded from its data folder). */
export async function badTokens(issuer: DevIssuer, key: SigningKey, email = 'mallory@example.org') {
  const otherKey = await loadOrCreateSigningKey(undefined);
  const [header, , signature] = (await issuer.mintToken({ email })).split('.');
  const hsInput = `${base64url({ alg: 'HS256', typ: 'JWT', kid: key.publicJwk.kid })}.${base64url(claims(issuer, email))}`;
  return {
    expired: await issuer.mintToken({ email, expiresIn: 60, issuedAt: new Date(Date.now() - 3600_000) }),
    'wrong issuer': await createTokenMinter(key, 'https://evil.example', issuer.audience)({ email }),
    'wrong audience': await createTokenMinter(key, issuer.issuer, 'api://someone-else')({ email }),
    'another key': await createTokenMinter(otherKey, issuer.issuer, issuer.audience)({ email }),
    'wrong algorithm': `${hsInput}.${createHmac('sha256', JSON.stringify(key.publicJwk)).update(hsInput).digest('base64url')}`,
    tampered: `${header}.${base64url({ ...claims(issuer, email), roles: ['admin'] })}.${signature}`,
    'alg none': `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims(issuer, email))}.`,
  } as const;
}
