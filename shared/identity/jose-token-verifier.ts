/**
 * Adapter: verifies bearer JWTs with `jose` against one issuer, one audience and the issuer's published keys.
 * Entra ID in Azure, the development issuer locally; both go through exactly this code.
 */
import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import { AppError, problems } from '../http/errors';
import type { Principal, Role } from './principal';
import type { TokenVerifier } from './token-verifier';

/** Asymmetric algorithms only: no `none`, no HMAC (a public key can never be abused as a shared secret). */
export const allowedAlgorithms = ['RS256', 'ES256'] as const;

export interface JoseTokenVerifierOptions {
  readonly issuer: string;
  /** Accepted `aud` values (Entra ID v2 tokens carry the client id, v1 tokens the Application ID URI). */
  readonly audience: string | readonly string[];
  /** The issuer's keys, normally `remoteKeySet(jwksUri)`. */
  readonly keys: JWTVerifyGetKey;
  /** Delegated scope a user token for this API carries in `scp` (app-only tokens have none). */
  readonly requiredScope: string;
  /** Value of the `roles` claim that makes a user an admin. */
  readonly adminRole: string;
  /** Tolerated clock difference with the issuer. */
  readonly clockToleranceSeconds?: number;
  /** The verifier's clock (tests move it forward). */
  readonly now?: () => Date;
}

/** The issuer's JWKS fetched on first use, cached, refetched for an unknown key id at most every 30 s. */
export function remoteKeySet(jwksUri: string): JWTVerifyGetKey {
  return createRemoteJWKSet(new URL(jwksUri), {
    timeoutDuration: 5_000,
    cooldownDuration: 30_000,
    cacheMaxAge: 10 * 60_000,
  });
}

const claimsSchema = z.object({
  sub: z.string().min(1),
  /** Entra ID's object id: the same user across applications, unlike the pairwise `sub`. */
  oid: z.string().min(1).optional(),
  email: z.string().optional(),
  preferred_username: z.string().optional(),
  /** Entra ID v1 tokens name the user here instead. */
  upn: z.string().optional(),
  name: z.string().optional(),
  roles: z.array(z.string()).optional(),
  scp: z.string().optional(),
});

/** Tokens longer than this are refused before any parsing. */
const maxTokenLength = 8_192;

/** jose failures that mean "this token is not acceptable" (anything else is our problem, not the caller's). */
const rejectedTokenCodes = new Set<string>([
  errors.JWTExpired.code,
  errors.JWTClaimValidationFailed.code,
  errors.JWTInvalid.code,
  errors.JWSInvalid.code,
  errors.JWSSignatureVerificationFailed.code,
  errors.JOSEAlgNotAllowed.code,
  errors.JOSENotSupported.code,
  errors.JWKSNoMatchingKey.code,
  errors.JWKSMultipleMatchingKeys.code,
  errors.JWKInvalid.code,
]);

const malformedTokenCodes = new Set<string>([errors.JWTInvalid.code, errors.JWSInvalid.code]);

export class JoseTokenVerifier implements TokenVerifier {
  private readonly clockTolerance: number;

  constructor(private readonly options: JoseTokenVerifierOptions) {
    this.clockTolerance = options.clockToleranceSeconds ?? 30;
  }

  async verify(token: string): Promise<Principal> {
    if (token.length > maxTokenLength) throw invalidToken('The access token is malformed.');
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, this.options.keys, {
        issuer: this.options.issuer,
        audience:
          typeof this.options.audience === 'string' ? this.options.audience : [...this.options.audience],
        algorithms: [...allowedAlgorithms],
        clockTolerance: this.clockTolerance,
        requiredClaims: ['exp', 'sub'],
        ...(this.options.now === undefined ? {} : { currentDate: this.options.now() }),
      }));
    } catch (error) {
      throw toAppError(error);
    }
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) throw invalidToken('The access token is invalid.', claims.error);
    const scopes = (claims.data.scp ?? '').split(' ');
    if (!scopes.includes(this.options.requiredScope)) {
      throw new AppError(problems.insufficientScope, 'This API accepts user tokens for its own scope only.', {
        headers: {
          'www-authenticate': `Bearer error="insufficient_scope", scope="${this.options.requiredScope}"`,
        },
      });
    }
    return toPrincipal(claims.data, this.options.adminRole);
  }
}

function toPrincipal(claims: z.infer<typeof claimsSchema>, adminRole: string): Principal {
  const email = [claims.email, claims.preferred_username, claims.upn].find(
    (candidate) => candidate !== undefined && z.email().safeParse(candidate).success,
  );
  const principalRoles: Role[] = ['requester'];
  if (claims.roles?.includes(adminRole) === true) principalRoles.push('admin');
  return {
    subjectId: claims.oid ?? claims.sub,
    ...(email === undefined ? {} : { email: email.toLowerCase() }),
    ...(claims.name === undefined ? {} : { name: claims.name }),
    roles: principalRoles,
  };
}

function toAppError(error: unknown): AppError {
  const code = error instanceof errors.JOSEError ? error.code : undefined;
  if (code === errors.JWTExpired.code) return invalidToken('The access token expired.', error);
  if (code !== undefined && malformedTokenCodes.has(code))
    return invalidToken('The access token is malformed.', error);
  if (code !== undefined && rejectedTokenCodes.has(code))
    return invalidToken('The access token is invalid.', error);
  // The JWKS could not be fetched or read: not the caller's fault, and worth retrying.
  return new AppError(problems.unavailable, 'The identity provider cannot be reached; try again shortly.', {
    headers: { 'retry-after': '5' },
    cause: error,
  });
}

/** 401 with the RFC 6750 challenge; the description is one of a few fixed, safe sentences. */
export function invalidToken(description: string, cause?: unknown): AppError {
  return new AppError(problems.invalidToken, description, {
    headers: {
      'www-authenticate': `Bearer error="invalid_token", error_description="${description.replace(/\.$/, '')}"`,
    },
    cause,
  });
}
