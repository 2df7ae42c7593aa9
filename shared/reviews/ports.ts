import type { Counts, Selection } from '../catalog/model';
import type { ReviewDecision, ReviewRound, RoundOutcome } from './model';

/** What a selection holds in one DAU (files, samples, subjects, bytes), for the committee's page. */
export interface DauSelectionCounts {
  countsIn(selection: Selection, dauId: string): Promise<Counts>;
}

/** Review rounds and decisions (Cosmos `reviews`, partition `/requestId`). */
export interface ReviewStore {
  /** Creates the round unless it exists; answers the round as stored (a retried open keeps its deadline). */
  openRound(round: ReviewRound): Promise<ReviewRound>;
  findRound(requestId: string, dauId: string, round: number): Promise<ReviewRound | undefined>;
  /** Closes the round with its outcome; a closed round stays as it was closed. */
  closeRound(
    requestId: string,
    dauId: string,
    round: number,
    outcome: RoundOutcome,
    at: string,
  ): Promise<ReviewRound>;
  /** Records a decision unless one with its id exists; answers the stored one and whether this call made it. */
  recordDecision(decision: ReviewDecision): Promise<{ decision: ReviewDecision; created: boolean }>;
  findDecision(requestId: string, id: string): Promise<ReviewDecision | undefined>;
  /** A DAU's decisions on a request (one round, or every round), oldest first. */
  decisionsOn(requestId: string, dauId: string, round?: number): Promise<ReviewDecision[]>;
  /** Open rounds the member sits on, across requests. */
  openRoundsOf(memberEmail: string): Promise<ReviewRound[]>;
  /** The member's decisions, across requests, newest first. */
  decisionsBy(memberEmail: string): Promise<ReviewDecision[]>;
}
