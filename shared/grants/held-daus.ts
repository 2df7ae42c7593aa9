import type { HeldDausLookup } from '../catalog/ports';
import { isLive } from './model';
import type { GrantStore } from './ports';

/** The catalog's `held` and the requests' "no agreement needed": the DAUs a user holds a live grant on. */
export class GrantsHeldLookup implements HeldDausLookup {
  constructor(
    private readonly grants: GrantStore,
    private readonly now: () => Date,
  ) {}

  async heldDauIds(userId: string): Promise<ReadonlySet<string>> {
    const now = this.now();
    const grants = await this.grants.listForUser(userId);
    return new Set(grants.filter((grant) => isLive(grant, now)).map((grant) => grant.dauId));
  }
}
