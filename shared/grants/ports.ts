import type { GrantDocument } from './model';

/** Port: the `grants` container. */
export interface GrantStore {
  /** Records the grant under its id; a grant recorded before stays as it is and is returned. */
  put(grant: GrantDocument): Promise<GrantDocument>;
  /** Every grant of the user, live or not. */
  listForUser(userId: string): Promise<GrantDocument[]>;
}
