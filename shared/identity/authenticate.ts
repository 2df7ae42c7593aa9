/**
 * From the `Authorization` header to the caller. No header means anonymous (the route decides whether that
 * is allowed); a header that is present but unusable is always refused, never ignored.
 */
import { getSettings, type Settings } from '../config/settings';
import { AppError, problems } from '../http/errors';
import { invalidToken, JoseTokenVerifier, remoteKeySet } from './jose-token-verifier';
import type { Principal } from './principal';
import type { TokenVerifier } from './token-verifier';

const bearerPattern = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

export async function authenticate(
  authorization: string | null,
  verifier: TokenVerifier,
): Promise<Principal | undefined> {
  if (authorization === null || authorization.trim() === '') return undefined;
  if (!/^Bearer(\s|$)/i.test(authorization)) {
    throw new AppError(problems.unauthorized, 'Only Bearer access tokens are accepted.', {
      headers: { 'www-authenticate': 'Bearer' },
    });
  }
  const token = bearerPattern.exec(authorization)?.[1];
  if (token === undefined) throw invalidToken('The access token is malformed.');
  return verifier.verify(token);
}

/** Throws 401 (with the Bearer challenge) for an anonymous caller. */
export function requireSignedIn(principal: Principal | undefined): Principal {
  if (principal === undefined) {
    throw new AppError(problems.unauthorized, 'Sign in: this endpoint needs a Bearer access token.', {
      headers: { 'www-authenticate': 'Bearer' },
    });
  }
  return principal;
}

export function createTokenVerifier(settings: Settings): TokenVerifier {
  return new JoseTokenVerifier({
    issuer: settings.AUTH__issuer,
    audience: settings.AUTH__audience.split(',').map((audience) => audience.trim()),
    keys: remoteKeySet(settings.AUTH__jwksUri),
    requiredScope: settings.AUTH__requiredScope,
    adminRole: settings.AUTH__adminRole,
  });
}

let shared: TokenVerifier | undefined;

/** The verifier of this process, built from settings on first use so its JWKS cache is shared. */
export function getTokenVerifier(): TokenVerifier {
  shared ??= createTokenVerifier(getSettings());
  return shared;
}
