import type { Stored } from '../platform/stored';
import type { UserDocument } from './model';

/** Port: the `users` container (one profile per signed-in user, partition `/id`). */
export interface UserStore {
  read(userId: string): Promise<Stored<UserDocument> | undefined>;
  /** Creates the profile; throws `StaleWriteError` when one exists already (another call created it first). */
  create(document: UserDocument): Promise<Stored<UserDocument>>;
  /** Replaces when the stored version is still `etag`; throws `StaleWriteError` otherwise. */
  replace(document: UserDocument, etag: string): Promise<Stored<UserDocument>>;
}
