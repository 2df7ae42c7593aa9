/**
 * The durable contract of the request orchestration's own activities (names and input/output schemas), for
 * the orchestrator (request-lifecycle.ts) and the function file that registers them
 * (`functions/request-lifecycle.ts`).
 */
import { z } from 'zod';
import { notificationSchema } from '../notifications/model';

/** Reads what the orchestration needs to plan the request's way: its DAUs and agreement route. */
export const planRequestLifecycleActivity = 'planRequestLifecycle';
/** Starts the branch of every open or held DAU as an instance of its own (`dauBranch`, no review). */
export const startOpenBranchesActivity = 'startOpenBranches';
/** Ends every review still waiting after a withdrawal (raises `Withdrawn` to each). */
export const endReviewBranchesActivity = 'endReviewBranches';
/** Records on the timeline that a stage of one DAU failed beyond its retries. */
export const recordStageFailureActivity = 'recordStageFailure';

export const requestRefSchema = z.object({ requestId: z.uuid() });

export const lifecyclePlanSchema = z.object({
  route: z.enum(['electronic', 'manual', 'none']),
  daus: z.array(z.object({ id: z.string().min(1), agreementRequired: z.boolean() })),
  /** The requester's "request submitted" mail, when they have an address. */
  submittedNotification: notificationSchema.optional(),
});
export type LifecyclePlan = z.input<typeof lifecyclePlanSchema>;

export const endReviewBranchesInputSchema = z.object({
  requestId: z.uuid(),
  dauIds: z.array(z.string().min(1)),
  by: z.string().min(1).max(200),
});

export const recordStageFailureInputSchema = z.object({
  requestId: z.uuid(),
  dauId: z.string().min(1),
  stage: z.enum(['review', 'vending']),
  reason: z.string().max(2000),
});

export const startOpenBranchesInputSchema = z.object({
  requestId: z.uuid(),
  dauIds: z.array(z.string().min(1)).min(1),
  approvedAt: z.iso.datetime(),
});

/** The input of `dauBranch`: with `review`, the DAU is reviewed first; without, it vends from `approvedAt`. */
export const dauBranchInputSchema = z.object({
  requestId: z.uuid(),
  dauId: z.string().min(1).max(100),
  review: z.boolean(),
  approvedAt: z.iso.datetime().optional(),
});
export type DauBranchInput = z.infer<typeof dauBranchInputSchema>;
