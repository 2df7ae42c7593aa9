/**
 * `npm run token -- --as us-requester` or `npm run token -- --user alice@example.org [--role admin]
 * [--name "Alice Smith"] [--expires 8h]` prints an access token for the local app, signed with the development
 * issuer's persisted key, so that
 * `curl -H "Authorization: Bearer $(npm run -s token -- --as us-requester)" localhost:7071/api/me` works.
 *
 * Options: --as PERSONA (a named person of infra/local/personas.ts; `--list` prints them) or --user EMAIL,
 * --role ROLE (repeatable), --name NAME, --sub ID, --scope SCOPE (repeatable; default access_as_user),
 * --expires 3600|30m|8h|7d (default 1h), --data-dir DIR (default .data).
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { readRunningEndpoints } from './endpoints-file';
import { findPersona, personaClaims, personaLines } from './personas';
import {
  createTokenMinter,
  devAudience,
  devIssuerDefaultPort,
  devScope,
  loadOrCreateSigningKey,
  readIssuerMetadata,
} from './standins/dev-issuer';

const usage =
  'usage: npm run token -- (--as PERSONA | --user EMAIL [--role ROLE]... [--name NAME] [--sub ID]) [--scope SCOPE]... [--expires 1h] [--data-dir DIR]\n' +
  '       npm run token -- --list';

const unitSeconds: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

export function parseDuration(text: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(text.trim());
  if (match === null) throw new Error(`--expires must look like 3600, 30m, 8h or 7d, got ${text}`);
  return Number(match[1]) * (unitSeconds[match[2] || 's'] ?? 1);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      as: { type: 'string' },
      list: { type: 'boolean', default: false },
      user: { type: 'string' },
      role: { type: 'string', multiple: true, default: [] },
      name: { type: 'string' },
      sub: { type: 'string' },
      scope: { type: 'string', multiple: true, default: [devScope] },
      expires: { type: 'string', default: '1h' },
      'data-dir': { type: 'string', default: path.resolve(__dirname, '..', '..', '.data') },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.list) {
    console.log(personaLines().join('\n'));
    return;
  }
  const asPersona = values.as !== undefined;
  const conflicting =
    asPersona && (values.user !== undefined || values.role.length > 0 || values.sub !== undefined);
  if (values.help || (values.user === undefined && !asPersona) || conflicting) {
    console.error(
      conflicting ? `--as names the user and their roles; drop --user, --role and --sub\n${usage}` : usage,
    );
    process.exitCode = values.help ? 0 : 2;
    return;
  }
  const persona = asPersona ? findPersona(values.as!) : undefined;
  const dataDir = path.resolve(values['data-dir']);
  // Mint for the issuer of the copy running on the data folder, else the one `npm start` last ran there.
  const last = await readIssuerMetadata(dataDir);
  const metadata = {
    issuer:
      readRunningEndpoints(dataDir)?.tokenIssuer ??
      last?.issuer ??
      `http://127.0.0.1:${devIssuerDefaultPort}`,
    audience: last?.audience ?? devAudience,
  };
  const mint = createTokenMinter(await loadOrCreateSigningKey(dataDir), metadata.issuer, metadata.audience);
  const token = await mint({
    ...(persona === undefined ? { email: values.user!, roles: values.role } : personaClaims(persona)),
    scopes: values.scope,
    expiresIn: parseDuration(values.expires),
    ...(values.name === undefined ? {} : { name: values.name }),
    ...(values.sub === undefined ? {} : { sub: values.sub }),
  });
  process.stdout.write(`${token}\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    if (error instanceof z.ZodError) console.error(`${z.prettifyError(error)}\n${usage}`);
    else console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
