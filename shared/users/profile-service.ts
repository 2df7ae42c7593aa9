import { z } from 'zod';
import { AppError, problems } from '../http/errors';
import { requireCurrentVersion, stale } from '../http/preconditions';
import { principalSchema, type Principal } from '../identity/principal';
import { StaleWriteError, type Stored } from '../platform/stored';
import { profileSchema, type Profile, type ProfileInput, type UserDocument } from './model';
import type { UserStore } from './ports';

/** `GET /api/me`: the caller as the token says, and their profile (null until they set one). */
export const meSchema = principalSchema
  .extend({ profile: profileSchema.nullable() })
  .meta({ id: 'Me', description: 'The signed-in caller and their profile' });
export type Me = z.infer<typeof meSchema>;

export interface MeAnswer {
  readonly me: Me;
  /** The profile's version; undefined while there is none. */
  readonly etag: string | undefined;
}

export interface ProfileServiceDependencies {
  readonly users: UserStore;
  readonly now: () => Date;
}

/**
 * A user's profile: who they are and for which organisation they ask. The first `PUT` creates it (no
 * `If-Match`); every later one must name the version it changes. The e-mail always comes from the token.
 */
export class ProfileService {
  constructor(private readonly dependencies: ProfileServiceDependencies) {}

  async me(principal: Principal): Promise<MeAnswer> {
    const stored = await this.dependencies.users.read(principal.subjectId);
    return answer(principal, stored);
  }

  /** The profile of any user (for the requests module: prefilling a draft, the for-profit rule). */
  async profileOf(userId: string): Promise<Profile | undefined> {
    const stored = await this.dependencies.users.read(userId);
    return stored === undefined ? undefined : toProfile(stored.document);
  }

  async put(
    principal: Principal,
    input: ProfileInput,
    ifMatch: string | null,
  ): Promise<MeAnswer & { created: boolean }> {
    const { users, now } = this.dependencies;
    const current = await users.read(principal.subjectId);
    const at = now().toISOString();
    const fields = {
      name: input.name,
      email: principal.email ?? null,
      institution: {
        name: input.institution.name,
        ...(input.institution.rorId === undefined ? {} : { rorId: input.institution.rorId }),
      },
      country: input.country,
      organisationType: input.organisationType,
    };
    if (current === undefined) {
      if (ifMatch !== null && ifMatch.trim() !== '') {
        // RFC 9110: If-Match never matches a resource that does not exist.
        throw new AppError(
          problems.preconditionFailed,
          'You have no profile yet; create it without If-Match.',
          { extensions: { current: answer(principal, undefined).me } },
        );
      }
      try {
        const created = await users.create({
          id: principal.subjectId,
          docType: 'user',
          ...fields,
          createdAt: at,
          updatedAt: at,
        });
        return { ...answer(principal, created), created: true };
      } catch (error) {
        if (!(error instanceof StaleWriteError)) throw error;
        // Created by a concurrent call meanwhile: this one changed a profile it never saw.
        throw await this.staleProfile(principal);
      }
    }
    requireCurrentVersion(
      ifMatch,
      { etag: current.etag, representation: answer(principal, current).me },
      'profile',
    );
    try {
      const replaced = await users.replace({ ...current.document, ...fields, updatedAt: at }, current.etag);
      return { ...answer(principal, replaced), created: false };
    } catch (error) {
      if (!(error instanceof StaleWriteError)) throw error;
      throw await this.staleProfile(principal);
    }
  }

  private async staleProfile(principal: Principal): Promise<AppError> {
    const now = await this.dependencies.users.read(principal.subjectId);
    return stale({ etag: now?.etag ?? '', representation: answer(principal, now).me }, 'profile');
  }
}

function answer(principal: Principal, stored: Stored<UserDocument> | undefined): MeAnswer {
  return {
    me: { ...principal, profile: stored === undefined ? null : toProfile(stored.document) },
    etag: stored?.etag,
  };
}

function toProfile(document: UserDocument): Profile {
  const { id: _id, docType: _docType, ...profile } = document;
  return profile;
}
