/**
 * The stand-in's local DocuSign account: an integration key with its RSA key pair (the app signs JWT grant
 * assertions with the private half, the stand-in verifies them with the public half, as DocuSign does with the
 * key uploaded to "Apps and Keys"), the impersonated user, the account, and the Connect HMAC secret.
 *
 * Generated at first start under `<dataDir>/docusign/credentials.json` (owner-only) and reused, so the app's
 * settings stay valid across restarts; in memory when there is no data dir. Dev-only secrets: never in git.
 */
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { createExclusively } from './store';

const credentialsSchema = z.object({
  format: z.literal('docusign-standin-credentials/1'),
  integrationKey: z.uuid(),
  userId: z.uuid(),
  accountId: z.uuid(),
  /** PKCS#1 PEM, the form DocuSign's "Generate RSA" hands out. */
  privateKeyPem: z.string().startsWith('-----BEGIN RSA PRIVATE KEY-----'),
  publicKeyPem: z.string().startsWith('-----BEGIN PUBLIC KEY-----'),
  connectHmacKey: z.string().min(32),
  /** Signs the stand-in's access tokens, so tokens stay valid across a restart as DocuSign's do. */
  tokenSecret: z.string().min(32),
});
export type DocuSignCredentials = z.infer<typeof credentialsSchema>;

const fileName = 'credentials.json';

export function generateCredentials(): DocuSignCredentials {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return {
    format: 'docusign-standin-credentials/1',
    integrationKey: randomUUID(),
    userId: randomUUID(),
    accountId: randomUUID(),
    privateKeyPem: privateKey,
    publicKeyPem: publicKey,
    // DocuSign's Connect keys are 32 random bytes in base64 (44 characters).
    connectHmacKey: randomBytes(32).toString('base64'),
    tokenSecret: randomBytes(32).toString('base64'),
  };
}

/** Reads the credentials under `dir`, or creates them exclusively (two starting processes agree on one set). */
export async function loadOrCreateCredentials(dir: string | undefined): Promise<DocuSignCredentials> {
  if (dir === undefined) return generateCredentials();
  const file = path.join(dir, fileName);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  try {
    return credentialsSchema.parse(JSON.parse(await fs.readFile(file, 'utf8')));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const stored = await createExclusively(file, JSON.stringify(generateCredentials(), null, 2));
  return credentialsSchema.parse(JSON.parse(stored));
}
