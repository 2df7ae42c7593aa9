import { z } from 'zod';
import { countryCodeSchema } from './countries';

/**
 * A user's profile: who they are and for which organisation they ask. One document per signed-in user in
 * `users` (partition `/id` = the subject id); the e-mail always comes from the token, never from the body.
 */

export const ORGANISATION_TYPES = ['academic', 'non-profit', 'government', 'hospital', 'for-profit'] as const;
export const organisationTypeSchema = z.enum(ORGANISATION_TYPES);
export type OrganisationType = z.infer<typeof organisationTypeSchema>;

/** A ROR id (https://ror.org): `0` + 6 characters of Crockford base32 + 2 check digits; stored as the URL. */
export const rorIdSchema = z
  .string()
  .trim()
  .regex(
    /^(https:\/\/ror\.org\/)?0[0-9a-hjkmnp-tv-z]{6}[0-9]{2}$/,
    'must be a ROR id like https://ror.org/02r3e0967',
  )
  .transform((id) => (id.startsWith('https://') ? id : `https://ror.org/${id}`));

/** A person's name as people write it: letters (any script), spaces, apostrophes, hyphens, periods. */
export const personNameSchema = z
  .string()
  .trim()
  .min(1, 'is required')
  .max(200, 'must be at most 200 characters')
  .regex(
    /^[\p{L}\p{M}][\p{L}\p{M} .'’-]*$/u,
    'may contain letters, spaces, apostrophes, hyphens and periods',
  );

export const emailSchema = z
  .string()
  .trim()
  .max(320, 'must be at most 320 characters')
  .pipe(z.email('must be an e-mail address like name@example.org'))
  .transform((email) => email.toLowerCase());

/** Printable text on one line (titles, organisation names). */
export const lineSchema = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'is required')
    .max(max, `must be at most ${max} characters`)
    .regex(/^[^\p{Cc}]+$/u, 'must be one line of printable text');

export const profileInputSchema = z
  .strictObject({
    name: personNameSchema,
    institution: z.strictObject({ name: lineSchema(300), rorId: rorIdSchema.optional() }),
    country: countryCodeSchema,
    organisationType: organisationTypeSchema,
  })
  .meta({ id: 'ProfileInput', description: 'What a user says about themselves' });
export type ProfileInput = z.output<typeof profileInputSchema>;

export const profileSchema = z
  .object({
    name: z.string(),
    email: z.string().nullable(),
    institution: z.object({ name: z.string(), rorId: z.string().optional() }),
    country: z.string(),
    organisationType: organisationTypeSchema,
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Profile' });
export type Profile = z.infer<typeof profileSchema>;

export const userDocumentSchema = profileSchema.extend({
  id: z.string().min(1),
  docType: z.literal('user'),
});
export type UserDocument = z.infer<typeof userDocumentSchema>;
