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
  /**
   * Where the catalog's files are copied from: the source data's blob service (unset: the data storage
   * account, as locally) and its container. The app only reads it (copies run server-side from it).
   */
  SourceData__blobServiceUri: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
  SourceData__containerName: z
    .string()
    .regex(/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/, 'must be a blob container name')
    .default('source'),
  /** The vending storage account: one container per requester's project (unset: the data storage account). */
  VendingStorage__blobServiceUri: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
  /** How long a download link (a read-only SAS URL) stays valid, at most an hour. */
  VendingStorage__downloadLinkMinutes: z.coerce.number().int().min(1).max(60).default(60),
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

  // --- notifications: Azure Communication Services Email, and the base of links in mails and webhooks.
  /**
   * Absolute base URL of this app as users and webhooks reach it. Unset: `https://$WEBSITE_HOSTNAME` in Azure,
   * `http://` for a loopback host locally (the local host sets WEBSITE_HOSTNAME once it listens); see
   * `publicBaseUrl` in shared/config/public-base-url.ts.
   */
  PUBLIC_BASE_URL: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
  /** ACS resource endpoint (`https://<name>.communication.azure.com`), used with the managed identity. */
  Email__endpoint: optionalText.pipe(z.url({ protocol: /^https$/ }).optional()),
  /** Local only: `endpoint=https://127.0.0.1:8025/;accesskey=...` of the stand-in (takes precedence). */
  Email__connectionString: optionalText,
  /** The MailFrom address of a domain linked to the ACS resource. */
  Email__senderAddress: z.email().default('DoNotReply@notifications.localhost'),
  /** Where replies go (optional). */
  Email__replyTo: optionalText.pipe(z.email().optional()),
  /** One send (beginSend + polling) is abandoned after this long and retried by the activity's policy. */
  Email__sendTimeoutSeconds: z.coerce.number().int().min(1).max(600).default(60),

  // --- agreements: DocuSign eSignature (JWT grant) and Connect. All optional so that the app starts without
  // DocuSign; the electronic route then answers 503 (`docuSignSettings` says what is missing).
  /** Host[:port] of the DocuSign OAuth service (`account-d.docusign.com` for the developer sandbox). */
  DocuSign__oAuthBasePath: optionalText,
  /** The integration key (OAuth client id) of the app registered with DocuSign. */
  DocuSign__integrationKey: optionalText,
  /** The DocuSign user the app impersonates (JWT `sub`), who has consented to `signature impersonation`. */
  DocuSign__userId: optionalText,
  /** RSA private key (PEM) of the integration key; a Key Vault reference in Azure. `\n` escapes are accepted. */
  DocuSign__privateKey: optionalText.transform((pem) => pem?.replace(/\\n/g, '\n')),
  /** Connect HMAC secrets, comma-separated: every one is tried, so a key can be rotated without downtime. */
  DocuSign__connectHmacKeys: z
    .string()
    .optional()
    .transform((keys) =>
      (keys ?? '')
        .split(',')
        .map((key) => key.trim())
        .filter((key) => key !== ''),
    ),
  /** Envelope reminders: first after this many days, then every `reminderFrequencyDays` (0 = no reminders). */
  DocuSign__reminderDelayDays: z.coerce.number().int().min(0).max(999).default(2),
  DocuSign__reminderFrequencyDays: z.coerce.number().int().min(0).max(999).default(2),
  /** An envelope not completed within this many days expires (DocuSign voids it). */
  DocuSign__expireAfterDays: z.coerce.number().int().min(1).max(999).default(30),
  /** While waiting for signatures, the envelope's status is also read this often (a lost webhook never strands a request). */
  DocuSign__statusPollMinutes: z.coerce
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 60)
    .default(60),

  // --- committee review (shared/reviews): the decision links in mails and how long a committee has.
  /**
   * Key of the HMAC-SHA256 that signs committee decision links (at least 32 characters); a Key Vault reference
   * in Azure, generated per data folder locally. Unset: review links cannot be made or opened (503).
   */
  Reviews__linkSigningKey: optionalText.pipe(z.string().min(32).optional()),
  /** A committee's expected decision date: this many days after its review round opens. */
  Reviews__decisionDays: z.coerce.number().int().min(1).max(365).default(14),
  /** Members who have not decided are reminded every this many days until the deadline (0 = never). */
  Reviews__reminderDays: z.coerce.number().int().min(0).max(365).default(5),
  /** A decision link works for this many days after it was mailed (a reminder mails a fresh one). */
  Reviews__linkValidityDays: z.coerce.number().int().min(1).max(365).default(30),
  /** Who is told when a committee's deadline passes, comma-separated e-mail addresses (none: timeline only). */
  Reviews__adminEmails: z
    .string()
    .optional()
    .transform((addresses) =>
      (addresses ?? '')
        .split(',')
        .map((address) => address.trim())
        .filter((address) => address !== ''),
    )
    .pipe(z.array(z.email())),
});

export type Settings = z.infer<typeof settingsSchema>;

export class SettingsError extends Error {
  override readonly name = 'SettingsError';
}

/**
 * A Key Vault reference the platform could not resolve (the secret is missing, or the app's identity may not
 * read it) reaches the app as its literal text. It is no value: taken as one, a missing Connect secret would
 * become the public text `@Microsoft.KeyVault(SecretUri=…)`, and anyone could sign webhooks with it.
 */
const unresolvedKeyVaultReference = /^\s*@Microsoft\.KeyVault\(/i;

/** Parses the environment; a missing or malformed setting throws naming every offending setting. */
export function parseSettings(env: NodeJS.ProcessEnv): Settings {
  const unresolved = new Set(
    Object.keys(env).filter((name) => unresolvedKeyVaultReference.test(env[name] ?? '')),
  );
  const result = settingsSchema.safeParse(
    Object.fromEntries(Object.entries(env).filter(([name]) => !unresolved.has(name))),
  );
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
    if (unresolved.has(name)) return `${name} is an unresolved Key Vault reference (is the secret there?)`;
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
