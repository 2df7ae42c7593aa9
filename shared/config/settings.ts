import { z } from 'zod';

/**
 * Every setting the application reads, parsed once at start-up. The same names work locally and in Azure:
 * locally the emulator keys are set; in Azure they are absent and the managed identity is used
 * (`__credential` / `__clientId`, the Functions convention for identity-based connections).
 */
const optionalText = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

export const settingsSchema = z.object({
  CosmosDb__accountEndpoint: z.url({ protocol: /^https?$/ }),
  CosmosDb__databaseName: z.string().regex(/^[A-Za-z0-9_-]{1,255}$/),
  /** Local emulator key only; production uses the managed identity. */
  CosmosDb__accountKey: optionalText,
  DataStorage__blobServiceUri: z.url({ protocol: /^https?$/ }),
  /** Local emulator account only (Azurite); production uses the managed identity. */
  DataStorage__accountName: optionalText,
  DataStorage__accountKey: optionalText,
  /** Client id of the user-assigned managed identity in Azure. */
  AZURE_CLIENT_ID: optionalText,
  /** How stale an instance's catalog index may get before it reads the change feed (0 = every request). */
  CATALOG_REFRESH_SECONDS: z.coerce.number().min(0).max(3600).default(5),
  /** PEM file of the local certificate authority the HTTPS stand-ins use. Never set in Azure. */
  LOCAL_CA_CERT_PATH: optionalText,
  /** Issuer of user access tokens (`iss`): the Entra ID tenant's v2.0 issuer, or the local development issuer. */
  AUTH__issuer: z.string().trim().min(1),
  /** Audiences this API accepts (`aud`), comma-separated: the API app registration's client id and/or Application ID URI. */
  AUTH__audience: z.string().trim().min(1),
  /** The issuer's JSON Web Key Set; plain http only for the local issuer on loopback. */
  AUTH__jwksUri: z
    .url({ protocol: /^https?$/ })
    .refine((uri) => uri.startsWith('https:') || /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(uri), {
      message: 'must use https (http only on loopback)',
    }),
  /** Delegated scope (`scp`) that marks a user token for this API; app-only tokens lack it. */
  AUTH__requiredScope: z.string().trim().min(1).default('access_as_user'),
  /** Value of the `roles` claim (an Entra ID app role) that makes a user an admin. */
  AUTH__adminRole: z.string().trim().min(1).default('admin'),
});

export type Settings = z.infer<typeof settingsSchema>;

export class SettingsError extends Error {
  override readonly name = 'SettingsError';
}

/** Parses the environment; a missing or malformed setting throws naming every offending setting. */
export function parseSettings(env: NodeJS.ProcessEnv): Settings {
  const result = settingsSchema.safeParse(env);
  if (result.success) {
    if (
      (result.data.DataStorage__accountName === undefined) !==
      (result.data.DataStorage__accountKey === undefined)
    ) {
      throw new SettingsError(
        'Invalid settings: DataStorage__accountName and DataStorage__accountKey must be set together (or neither, to use the managed identity)',
      );
    }
    return result.data;
  }
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.join('.');
    return issue.code === 'invalid_type' && issue.input === undefined
      ? `${name} is missing`
      : `${name} is invalid: ${issue.message}`;
  });
  throw new SettingsError(`Invalid settings: ${problems.join('; ')}`);
}

let cached: Settings | undefined;

/** The settings of this process, parsed on first use and then shared. */
export function getSettings(): Settings {
  cached ??= parseSettings(process.env);
  return cached;
}
