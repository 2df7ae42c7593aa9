/**
 * DocuSign's OAuth service as the SDK uses it: the JWT grant (`POST /oauth/token`) and userinfo
 * (`GET /oauth/userinfo`), plus the check of the access tokens the REST API receives.
 *
 * The assertion is verified as DocuSign verifies it: RS256 signature against the integration key's public key,
 * `iss` = the integration key, `aud` = the OAuth host exactly as configured, `sub` = a user who consented,
 * `exp`/`iat` against the wall clock (the SDK stamps them from `Date.now()`), scope with `signature` and
 * `impersonation`. Failures answer DocuSign's bodies: `400 {"error":"invalid_grant","error_description":…}`,
 * `{"error":"consent_required"}`. Access tokens are opaque to clients, HMAC-signed by the stand-in (so they
 * survive its restart) and valid for an hour of wall-clock time.
 */
import { createHmac, createPublicKey, randomUUID, timingSafeEqual, type KeyObject } from 'node:crypto';
import { compactVerify, decodeJwt } from 'jose';
import { z } from 'zod';
import type { DocuSignCredentials } from './credentials';
import { OAuthError } from './http';

export const accessTokenLifetimeSeconds = 3600;
const jwtBearerGrant = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** Clock difference tolerated on `iat` and `exp`. */
const skewSeconds = 30;
const requiredScopes = ['signature', 'impersonation'];

export interface LocalUser {
  readonly userId: string;
  readonly name: string;
  readonly givenName: string;
  readonly familyName: string;
  readonly email: string;
}

export interface TokenResponse {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  readonly expires_in: number;
  readonly scope: string;
}

const assertionClaimsSchema = z.object({
  iss: z.string().optional(),
  sub: z.string().optional(),
  aud: z.union([z.string(), z.array(z.string())]).optional(),
  iat: z.number().optional(),
  exp: z.number().optional(),
  scope: z.string().optional(),
});

const accessTokenClaimsSchema = z.object({ sub: z.string(), exp: z.number(), scope: z.string() });
export type AccessTokenClaims = z.infer<typeof accessTokenClaimsSchema>;

export class OAuthService {
  private readonly publicKey: KeyObject;

  constructor(
    private readonly credentials: DocuSignCredentials,
    /** The `aud` assertions must carry: the OAuth host as the app is configured with it (`127.0.0.1:PORT`). */
    private readonly audience: string,
    readonly user: LocalUser,
    /** The origin userinfo names as the account's `base_uri`. */
    private readonly baseUri: string,
    private readonly nowMs: () => number = Date.now,
  ) {
    this.publicKey = createPublicKey(credentials.publicKeyPem);
  }

  /** `POST /oauth/token` with a form body. */
  async grant(form: URLSearchParams): Promise<TokenResponse> {
    const grantType = form.get('grant_type');
    if (grantType !== jwtBearerGrant) throw new OAuthError(400, 'unsupported_grant_type');
    const assertion = form.get('assertion');
    if (assertion === null || assertion === '')
      throw new OAuthError(400, 'invalid_request', 'assertion missing');

    let claims: z.infer<typeof assertionClaimsSchema>;
    try {
      claims = assertionClaimsSchema.parse(decodeJwt(assertion));
    } catch {
      throw new OAuthError(400, 'invalid_grant', 'invalid_jwt');
    }
    if (claims.iss !== this.credentials.integrationKey) {
      throw new OAuthError(400, 'invalid_grant', 'issuer_not_found');
    }
    try {
      const { protectedHeader } = await compactVerify(assertion, this.publicKey, { algorithms: ['RS256'] });
      if (protectedHeader.alg !== 'RS256') throw new Error('algorithm');
    } catch {
      throw new OAuthError(400, 'invalid_grant', 'no_valid_keys_or_signatures');
    }
    if (claims.aud !== this.audience) throw new OAuthError(400, 'invalid_grant', 'invalid_audience');
    const now = Math.floor(this.nowMs() / 1000);
    if (claims.exp === undefined || claims.iat === undefined) {
      throw new OAuthError(400, 'invalid_grant', 'missing_exp_or_iat');
    }
    if (claims.exp + skewSeconds <= now) throw new OAuthError(400, 'invalid_grant', 'expired');
    if (claims.iat - skewSeconds > now || claims.exp < claims.iat) {
      throw new OAuthError(400, 'invalid_grant', 'invalid_iat');
    }
    const scopes = (claims.scope ?? '').split(/\s+/).filter((scope) => scope !== '');
    if (!requiredScopes.every((scope) => scopes.includes(scope))) {
      throw new OAuthError(
        400,
        'invalid_scope',
        `the JWT grant needs the scopes ${requiredScopes.join(' ')}`,
      );
    }
    if (claims.sub === undefined) throw new OAuthError(400, 'invalid_grant', 'user_not_found');
    if (claims.sub !== this.user.userId) throw new OAuthError(400, 'consent_required');

    const scope = scopes.join(' ');
    return {
      access_token: this.mintAccessToken({ sub: claims.sub, exp: now + accessTokenLifetimeSeconds, scope }),
      token_type: 'Bearer',
      expires_in: accessTokenLifetimeSeconds,
      scope,
    };
  }

  /** `GET /oauth/userinfo`. */
  userInfo(authorization: string | undefined): Record<string, unknown> {
    const claims = this.authenticate(authorization);
    if (claims === undefined) throw new OAuthError(401, 'invalid_token');
    return {
      sub: this.user.userId,
      name: this.user.name,
      given_name: this.user.givenName,
      family_name: this.user.familyName,
      created: '2024-01-01T00:00:00.000Z',
      email: this.user.email,
      accounts: [
        {
          account_id: this.credentials.accountId,
          is_default: true,
          account_name: 'Local DocuSign stand-in',
          base_uri: this.baseUri,
        },
      ],
    };
  }

  /** The claims of a valid, unexpired `Authorization: Bearer …` token; undefined otherwise. */
  authenticate(authorization: string | undefined): AccessTokenClaims | undefined {
    const match = /^Bearer ([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(authorization ?? '');
    if (match === null) return undefined;
    const [, payload, signature] = match as unknown as [string, string, string];
    const expected = this.sign(payload);
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    const parsed = accessTokenClaimsSchema.safeParse(
      JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')),
    );
    if (!parsed.success || parsed.data.exp <= Math.floor(this.nowMs() / 1000)) return undefined;
    return parsed.data;
  }

  private mintAccessToken(claims: AccessTokenClaims): string {
    const payload = Buffer.from(JSON.stringify({ ...claims, jti: randomUUID() })).toString('base64url');
    return `${payload}.${this.sign(payload).toString('base64url')}`;
  }

  private sign(payload: string): Buffer {
    return createHmac('sha256', this.credentials.tokenSecret).update(payload).digest();
  }
}
