import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * The local `Reviews__linkSigningKey`: random, made once per data folder (`<dataDir>/reviews/link-signing-key`,
 * readable by its owner only) so that links in mails keep working across restarts, and never committed. In
 * memory (tests) every environment gets its own. In Azure the key is a Key Vault secret.
 */
export function loadOrCreateReviewLinkKey(dataDir: string | undefined): string {
  const fresh = () => randomBytes(32).toString('base64url');
  if (dataDir === undefined) return fresh();
  const file = path.join(dataDir, 'reviews', 'link-signing-key');
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    fs.writeFileSync(file, fresh(), { flag: 'wx', mode: 0o600 });
  } catch (error) {
    // Another process made it first: use theirs.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return fs.readFileSync(file, 'utf8').trim();
}
