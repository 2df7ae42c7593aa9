/**
 * Who is calling. Every signed-in user is a requester; `admin` comes from a role claim in the token.
 * Committee membership is data (a DAU's committee), not a claim, so it is checked where the DAU is known.
 * These helpers throw `AppError`s and are meant for use cases as much as for routes.
 */
import { z } from 'zod';
import { forbidden, notFound } from '../http/errors';

export const roles = ['requester', 'admin'] as const;
export const roleSchema = z.enum(roles);
export type Role = z.infer<typeof roleSchema>;

export const principalSchema = z
  .object({
    /** Stable id of the user at the issuer (Entra ID `oid`, else `sub`). */
    subjectId: z.string().min(1),
    email: z.email().optional(),
    name: z.string().optional(),
    roles: z.array(roleSchema),
  })
  .meta({ id: 'Principal', description: 'The signed-in caller' });

export type Principal = z.infer<typeof principalSchema>;

export function hasRole(principal: Principal, role: Role): boolean {
  return principal.roles.includes(role);
}

/** Throws 403 unless the principal holds `role`. */
export function requireRole(principal: Principal, role: Role): void {
  if (!hasRole(principal, role)) throw forbidden(`This action requires the ${role} role.`);
}

export interface OwnershipOptions {
  /** Admins (staff) may act on anyone's resource. */
  readonly allowAdmin?: boolean;
}

/**
 * Throws 404 unless the principal owns the resource: a requester must not learn that someone else's
 * request exists, so the answer is the same as for an unknown id.
 */
export function requireOwner(
  principal: Principal,
  ownerSubjectId: string,
  resource: string,
  options: OwnershipOptions = {},
): void {
  if (principal.subjectId === ownerSubjectId) return;
  if (options.allowAdmin === true && hasRole(principal, 'admin')) return;
  throw notFound(`No such ${resource}.`);
}
