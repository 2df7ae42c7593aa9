/**
 * The committee's decision links: `<payload>.<signature>`, base64url, the payload binding the link to one
 * request, DAU, member and round with an expiry, signed with HMAC-SHA256 under `Reviews__linkSigningKey`
 * and checked in constant time. A valid signature only says *we* made the link: whether it still works (the
 * round is open, the member has not decided, the request was not withdrawn) is decided from the stored
 * state on every use, so a link dies when its member decides or its round closes.
 *
 * The agreement PDF is offered through a second, short-lived signature over the link itself and an expiry
 * of minutes (`agreementLinkSignature`), so a copied PDF address stops working soon.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/** Signatures of links and of agreement links never verify for each other. */
const purposes = { link: 'review-link.v1', agreement: 'review-agreement.v1' } as const;

const MAX_TOKEN_LENGTH = 2048;

export const reviewLinkClaimsSchema = z.strictObject({
  /** Request id. */
  r: z.uuid(),
  /** DAU id. */
  d: z.string().min(1).max(100),
  /** Member e-mail (normalised). */
  m: z.string().min(3).max(320),
  /** Round. */
  n: z.number().int().min(1).max(1000),
  /** Expiry, epoch seconds. */
  exp: z.number().int().min(0),
});
export type ReviewLinkClaims = z.infer<typeof reviewLinkClaimsSchema>;

export type LinkVerification =
  | { readonly ok: true; readonly claims: ReviewLinkClaims }
  | { readonly ok: false; readonly reason: 'malformed' | 'forged' | 'expired' };

export class ReviewLinkSigner {
  constructor(private readonly key: string) {
    if (key.length < 32) throw new Error('The review link signing key must have at least 32 characters');
  }

  sign(claims: ReviewLinkClaims): string {
    const payload = Buffer.from(JSON.stringify(reviewLinkClaimsSchema.parse(claims))).toString('base64url');
    return `${payload}.${this.mac(purposes.link, payload).toString('base64url')}`;
  }

  verify(token: string, now: Date): LinkVerification {
    if (token.length > MAX_TOKEN_LENGTH || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token)) {
      return { ok: false, reason: 'malformed' };
    }
    const [payload = '', signature = ''] = token.split('.');
    if (!this.matches(purposes.link, payload, signature)) return { ok: false, reason: 'forged' };
    let claims: ReviewLinkClaims;
    try {
      claims = reviewLinkClaimsSchema.parse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
    } catch {
      // Signed by us but not a payload we write: a key shared with something else. Treat as forged.
      return { ok: false, reason: 'forged' };
    }
    if (claims.exp * 1000 <= now.getTime()) return { ok: false, reason: 'expired' };
    return { ok: true, claims };
  }

  /** The signature of a short-lived agreement link for `token`, valid until `expires` (epoch seconds). */
  agreementLinkSignature(token: string, expires: number): string {
    return this.mac(purposes.agreement, `${token}.${expires}`).toString('base64url');
  }

  verifyAgreementLink(token: string, expires: number, signature: string, now: Date): boolean {
    if (!/^[A-Za-z0-9_-]{1,100}$/.test(signature)) return false;
    return (
      this.matches(purposes.agreement, `${token}.${expires}`, signature) && expires * 1000 > now.getTime()
    );
  }

  private mac(purpose: string, data: string): Buffer {
    return createHmac('sha256', this.key).update(`${purpose}.${data}`).digest();
  }

  private matches(purpose: string, data: string, signature: string): boolean {
    const expected = this.mac(purpose, data);
    const given = Buffer.from(signature, 'base64url');
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
