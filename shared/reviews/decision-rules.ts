/**
 * When a round's decisions decide the DAU, under the DAU's rule. Decisions are taken in the order they were
 * made and the first moment the round is decided wins, so a decision arriving after that changes nothing:
 * - `first`: the first approval or rejection decides;
 * - `majority`: approved once more than half of the committee approved; rejected once half or more
 *   rejected (a majority of approvals is then out of reach);
 * - `unanimous`: approved once every member approved; one rejection rejects at once.
 * A return for revision by any member returns the agreement, whatever the rule.
 */
import type { DecisionRule } from '../catalog/model';
import type { Verdict } from './model';

export interface CountedDecision {
  readonly verdict: Verdict;
  readonly reason: string | null;
  readonly decidedAt: string;
}

export type RoundConclusion =
  | { readonly outcome: 'pending' }
  | { readonly outcome: 'approved' }
  | { readonly outcome: 'rejected' | 'returned'; readonly reasons: readonly string[] };

/** A round that is decided: approved, rejected or returned. */
export type DecidedRound = Exclude<RoundConclusion, { readonly outcome: 'pending' }>;

export function concludeRound(
  rule: DecisionRule,
  committeeSize: number,
  decisions: readonly CountedDecision[],
): RoundConclusion {
  const ordered = [...decisions].sort((a, b) => a.decidedAt.localeCompare(b.decidedAt));
  const rejectionReasons: string[] = [];
  let approvals = 0;
  for (const decision of ordered) {
    if (decision.verdict === 'return') return { outcome: 'returned', reasons: [reasonOf(decision)] };
    if (decision.verdict === 'approve') approvals += 1;
    else rejectionReasons.push(reasonOf(decision));
    const rejections = rejectionReasons.length;
    switch (rule) {
      case 'first':
        return approvals > 0 ? { outcome: 'approved' } : { outcome: 'rejected', reasons: rejectionReasons };
      case 'majority':
        if (approvals * 2 > committeeSize) return { outcome: 'approved' };
        if (rejections * 2 >= committeeSize) return { outcome: 'rejected', reasons: rejectionReasons };
        break;
      case 'unanimous':
        if (rejections > 0) return { outcome: 'rejected', reasons: rejectionReasons };
        if (approvals >= committeeSize) return { outcome: 'approved' };
        break;
    }
  }
  return { outcome: 'pending' };
}

function reasonOf(decision: CountedDecision): string {
  return decision.reason ?? 'No reason given.';
}
