/**
 * Named people for local use: `npm run token -- --as <persona>` prints a token for one, `npm start` lists
 * them and seeds each one's profile on first start (a profile changed since stays as it is), and tests sign in
 * as the same people. Committee members are the addresses on the seeded DAUs, so a committee persona sees the
 * submitted requests that touch their DAU.
 */
import type { Database } from '@azure/cosmos';
import { CATALOG_DAUS } from '../../shared/catalog/generator/daus';
import { lazyContainer, cosmosStatus } from '../../shared/platform/cosmos-containers';
import { cosmosContainers } from '../../shared/platform/storage-layout';
import type { UserDocument } from '../../shared/users/model';
import { subjectFor, type MintTokenRequest, type TokenMinter } from './standins/dev-issuer';

export interface Persona {
  /** What `--as` takes. */
  readonly id: string;
  readonly email: string;
  readonly name: string;
  /** App roles in the token (`admin`). */
  readonly roles: readonly string[];
  /** One line for the banner. */
  readonly description: string;
  readonly profile: Pick<UserDocument, 'name' | 'institution' | 'country' | 'organisationType'>;
}

const STJUDE = { name: "St. Jude Children's Research Hospital", rorId: 'https://ror.org/02r3e0967' };
const ordinals = ['One', 'Two', 'Three', 'Four', 'Five'];

function committeePersonas(): Persona[] {
  return CATALOG_DAUS.flatMap((dau) =>
    dau.committeeMembers.map((member, index): Persona => {
      const slug = dau.id.toLowerCase().replace(/[^a-z]+/g, '-');
      return {
        id: `${slug}-committee-${index + 1}`,
        email: member.email,
        name: member.name,
        roles: [],
        description: `member of the ${dau.id} Data Access Committee`,
        profile: {
          name: `${dau.id} Committee Member ${ordinals[index] ?? String(index + 1)}`,
          institution: STJUDE,
          country: 'US',
          organisationType: 'hospital',
        },
      };
    }),
  );
}

export const PERSONAS: readonly Persona[] = [
  {
    id: 'us-requester',
    email: 'maya.chen@example.edu',
    name: 'Maya Chen',
    roles: [],
    description: 'academic requester in the US (may sign electronically)',
    profile: {
      name: 'Maya Chen',
      institution: { name: 'Example State University' },
      country: 'US',
      organisationType: 'academic',
    },
  },
  {
    id: 'non-us-requester',
    email: 'lukas.weber@example.de',
    name: 'Lukas Weber',
    roles: [],
    description: 'academic requester in Germany (manual agreement only)',
    profile: {
      name: 'Lukas Weber',
      institution: { name: 'Example University Heidelberg' },
      country: 'DE',
      organisationType: 'academic',
    },
  },
  {
    id: 'for-profit-requester',
    email: 'jordan.blake@example.com',
    name: 'Jordan Blake',
    roles: [],
    description: 'requester at a for-profit company (refused controlled DAUs)',
    profile: {
      name: 'Jordan Blake',
      institution: { name: 'Example Genomics Inc.' },
      country: 'US',
      organisationType: 'for-profit',
    },
  },
  {
    id: 'admin',
    email: 'data-admin@example.org',
    name: 'Dana Admin',
    roles: ['admin'],
    description: 'staff with the admin role (reads every request)',
    profile: { name: 'Dana Admin', institution: STJUDE, country: 'US', organisationType: 'hospital' },
  },
  ...committeePersonas(),
];

export function findPersona(id: string): Persona {
  const persona = PERSONAS.find((candidate) => candidate.id === id);
  if (persona === undefined) {
    throw new Error(`Unknown persona ${id}; one of: ${PERSONAS.map((known) => known.id).join(', ')}`);
  }
  return persona;
}

/** The token request for a persona (the subject id is derived from the e-mail, as for any dev token). */
export function personaClaims(persona: Persona): MintTokenRequest {
  return { email: persona.email, name: persona.name, roles: [...persona.roles] };
}

export function personaToken(
  mint: TokenMinter,
  id: string,
  extra: Partial<MintTokenRequest> = {},
): Promise<string> {
  return mint({ ...personaClaims(findPersona(id)), ...extra });
}

export function personaSubject(id: string): string {
  return subjectFor(findPersona(id).email);
}

/** Creates each persona's profile unless one exists (what the persona may have changed stays). */
export async function seedPersonaProfiles(database: Database, now = new Date()): Promise<number> {
  const container = await lazyContainer(database, cosmosContainers.users)();
  const at = now.toISOString();
  let created = 0;
  for (const persona of PERSONAS) {
    const document: UserDocument = {
      id: subjectFor(persona.email),
      docType: 'user',
      ...persona.profile,
      email: persona.email,
      createdAt: at,
      updatedAt: at,
    };
    try {
      await container.items.create(document);
      created += 1;
    } catch (error) {
      if (cosmosStatus(error) !== 409) throw error;
    }
  }
  return created;
}

/** The banner's lines: each persona with what it is for. */
export function personaLines(): string[] {
  const width = Math.max(...PERSONAS.map((persona) => persona.id.length));
  return PERSONAS.map(
    (persona) => `  ${persona.id.padEnd(width)}  ${persona.email} — ${persona.description}`,
  );
}
