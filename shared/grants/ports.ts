import type { Stored } from '../platform/stored';
import type { GrantDocument } from './model';

/** Port: the `grants` container. */
export interface GrantStore {
  /** Records the grant under its id; a grant recorded before stays as it is and is returned. */
  put(grant: GrantDocument): Promise<GrantDocument>;
  /** Every grant of the user, live or not. */
  listForUser(userId: string): Promise<GrantDocument[]>;
  /** One grant by id, with its version. */
  read(id: string, userId: string): Promise<Stored<GrantDocument> | undefined>;
  /** Replaces when the stored version is still `etag`; throws `StaleWriteError` otherwise. */
  replace(grant: GrantDocument, etag: string): Promise<Stored<GrantDocument>>;
}
