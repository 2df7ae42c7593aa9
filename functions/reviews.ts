import { app, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { ActivityHandler, OrchestrationHandler } from 'durable-functions';
import { z } from 'zod';
import { getReviewDecisions, getReviewRounds } from '../shared/composition-root';
import { httpHandler } from '../shared/http/handler';
import type { ApiRoute } from '../shared/http/openapi';
import { dauReview } from '../shared/lifecycle/dau-review';
import { raiseEventTo } from '../shared/lifecycle/raise-event';
import {
  dauReviewOrchestration,
  reviewEvents,
  reviewInstanceId,
} from '../shared/lifecycle/request-lifecycle-contract';
import {
  concludeReviewActivity,
  concludeReviewInputSchema,
  openReviewRoundActivity,
  openReviewRoundInputSchema,
  remindReviewersActivity,
  remindReviewersInputSchema,
  reviewDeadlinePassedActivity,
  reviewDeadlinePassedInputSchema,
  tallyReviewActivity,
  tallyReviewInputSchema,
} from '../shared/lifecycle/review-activities';
import { decisionInputSchema, reviewDecisionSchema } from '../shared/reviews/model';
import { reviewQueueSchema, type RaiseDecision } from '../shared/reviews/use-cases/review-decisions';

/**
 * Committee review per DAU (DESIGN §8): the `dauReview` orchestration (shared/lifecycle/dau-review.ts) with
 * its activities, and the signed-in committee member's routes — the review queue and a decision. The
 * e-mailed links are in review-links.ts. Who may decide is checked in the use case (`ReviewDecisions`).
 */

// --- orchestration and activities ---------------------------------------------------------------------------

export const dauReviewOrchestrator: OrchestrationHandler = dauReview;

export const openReviewRound: ActivityHandler = async (input: unknown) =>
  getReviewRounds().open(openReviewRoundInputSchema.parse(input));

export const remindReviewers: ActivityHandler = async (input: unknown) => ({
  notifications: await getReviewRounds().remind(remindReviewersInputSchema.parse(input)),
});

export const tallyReview: ActivityHandler = async (input: unknown) =>
  getReviewRounds().tally(tallyReviewInputSchema.parse(input));

export const concludeReview: ActivityHandler = async (input: unknown) => ({
  notifications: await getReviewRounds().conclude(concludeReviewInputSchema.parse(input)),
});

export const reviewDeadlinePassed: ActivityHandler = async (input: unknown) => ({
  notifications: await getReviewRounds().deadlinePassed(reviewDeadlinePassedInputSchema.parse(input)),
});

df.app.orchestration(dauReviewOrchestration, dauReviewOrchestrator);
df.app.activity(openReviewRoundActivity, { handler: openReviewRound });
df.app.activity(remindReviewersActivity, { handler: remindReviewers });
df.app.activity(tallyReviewActivity, { handler: tallyReview });
df.app.activity(concludeReviewActivity, { handler: concludeReview });
df.app.activity(reviewDeadlinePassedActivity, { handler: reviewDeadlinePassed });

// --- routes -------------------------------------------------------------------------------------------------

/** Tells the DAU's review that a decision was recorded, through this invocation's durable client. */
export function raiseDecisionThrough(context: InvocationContext): RaiseDecision {
  return async (requestId, dauId, event) => {
    const raised = await raiseEventTo(
      df.getClient(context),
      reviewInstanceId(requestId, dauId),
      reviewEvents.decision,
      event,
    );
    if (raised === 'no-instance') context.warn(`review of ${dauId} on ${requestId}: no instance to tell`);
  };
}

const decisionParameters = z.strictObject({
  requestId: z.uuid('must be a request id (a UUID)'),
  dauId: z.string().min(1).max(100),
});

/** A decision as answered: the record without its storage fields, and whether it was a repeat. */
export const recordedDecisionSchema = z
  .object({ decision: reviewDecisionSchema.omit({ id: true, docType: true }), replayed: z.boolean() })
  .meta({ id: 'RecordedReviewDecision' });

export const listReviews = httpHandler({ auth: 'required' }, async (_input, principal) => ({
  headers: { 'cache-control': 'private, no-store' },
  jsonBody: await getReviewDecisions().queue(principal),
}));

export const decideReview = httpHandler(
  { auth: 'required', params: decisionParameters, body: decisionInputSchema, maxBodyBytes: 16 * 1024 },
  async ({ params, body }, principal, context) => {
    const { decision, replayed } = await getReviewDecisions().decideSignedIn(
      principal,
      params.requestId,
      params.dauId,
      body,
      raiseDecisionThrough(context),
    );
    const { id: _id, docType: _docType, ...answered } = decision;
    return {
      status: replayed ? 200 : 201,
      headers: { 'cache-control': 'private, no-store' },
      jsonBody: { decision: answered, replayed },
    };
  },
);

app.http('listReviews', {
  route: 'reviews',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: listReviews,
});
app.http('decideReview', {
  route: 'reviews/{requestId}/{dauId}/decision',
  methods: ['POST'],
  authLevel: 'anonymous',
  extraInputs: [df.input.durableClient()],
  handler: decideReview,
});

/** For the OpenAPI document. */
export const reviewRoutes: readonly ApiRoute[] = [
  {
    method: 'get',
    path: '/api/reviews',
    summary: 'Your review queue: pending decisions on your committees’ DAUs, and the decisions you made',
    description:
      'Committee membership is the DAU documents’ committee e-mails matched to your token’s e-mail; anyone else gets empty lists.',
    spec: listReviews.spec,
    responses: { 200: { description: 'Pending and past decisions', schema: reviewQueueSchema } },
  },
  {
    method: 'post',
    path: '/api/reviews/{requestId}/{dauId}/decision',
    summary:
      'Decide on one DAU of a request: approve, reject (reason) or return for revision (what must change)',
    description:
      'Only members of the DAU’s committee (others: 404). One decision per member and review round: repeating ' +
      'it answers 200 with the decision as recorded and counts nothing twice; a different one answers 409.',
    spec: decideReview.spec,
    responses: {
      201: { description: 'Recorded', schema: recordedDecisionSchema },
      200: { description: 'Already recorded (a repeat)', schema: recordedDecisionSchema },
    },
    problemStatuses: [404, 409],
  },
];
