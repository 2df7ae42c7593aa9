import type { Principal } from './principal';

/**
 * Port: turns a bearer token into the caller. Implementations throw an `AppError`: `invalid-token` (401) for
 * any token that is not acceptable, `insufficient-scope` (403) for a valid token not meant for this API's
 * users, `unavailable` (503) when the keys cannot be fetched.
 */
export interface TokenVerifier {
  verify(token: string): Promise<Principal>;
}
