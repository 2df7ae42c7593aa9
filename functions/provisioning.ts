import * as df from 'durable-functions';
import type { ActivityHandler, DurableClient, OrchestrationHandler } from 'durable-functions';
import { app } from '@azure/functions';
import { z } from 'zod';
import { getAccessService, getVendingService } from '../shared/composition-root';
import { httpHandler, queryInteger } from '../shared/http/handler';
import type { ApiRoute } from '../shared/http/openapi';
import { dauVending } from '../shared/lifecycle/dau-vending';
import { grantAccess } from '../shared/lifecycle/grant-access';
import {
  checkCloseoutActivity,
  checkCloseoutInputSchema,
  completeVendingActivity,
  completeVendingInputSchema,
  copyVendingBatchActivity,
  copyVendingBatchInputSchema,
  endAccessActivity,
  endAccessInputSchema,
  extendGrantActivity,
  extendGrantInputSchema,
  grantAccessOrchestration,
  grantEvents,
  grantInstanceId,
  planVendingActivity,
  planVendingInputSchema,
  recordVendingProgressActivity,
  recordVendingProgressInputSchema,
  remindExpiryActivity,
  remindExpiryInputSchema,
  type GrantAccessInput,
  type VendingPlan,
} from '../shared/lifecycle/provisioning-activities';
import { existingInstance, raiseEventTo } from '../shared/lifecycle/raise-event';
import { dauVendingOrchestration } from '../shared/lifecycle/request-lifecycle-contract';
import {
  closeoutBodySchema,
  extensionBodySchema,
  vendedFilesSchema,
  type GrantSignals,
} from '../shared/provisioning/access-service';

/**
 * Vending and access (DESIGN §8): the `dauVending` and `grantAccess` orchestrations with their activities,
 * and the requester's routes — the vended files with download links, the close-out, the extension request.
 */

// --- orchestrations and activities -------------------------------------------------------------------

export const planVending: ActivityHandler = async (input: unknown): Promise<VendingPlan> => {
  const { requestId, dauId, now } = planVendingInputSchema.parse(input);
  return getVendingService().plan(requestId, dauId, now);
};

export const copyVendingBatch: ActivityHandler = async (input: unknown) => {
  const { requestId, dauId, space, batch } = copyVendingBatchInputSchema.parse(input);
  return getVendingService().copyBatch(requestId, dauId, space, batch);
};

export const recordVendingProgress: ActivityHandler = async (input: unknown) => {
  const { requestId, dauId, filesDone, bytesDone } = recordVendingProgressInputSchema.parse(input);
  await getVendingService().recordProgress(requestId, dauId, filesDone, bytesDone);
};

/** The grant is written, then its own orchestration started (once: its instance id is the grant's). */
export const completeVending: ActivityHandler = async (input: unknown, context) => {
  const parsed = completeVendingInputSchema.parse(input);
  const { grant, notification } = await getVendingService().complete(parsed);
  const grantInput: GrantAccessInput = {
    requestId: parsed.requestId,
    dauId: parsed.dauId,
    userId: grant.userId,
    expiresAt: grant.expiresAt,
  };
  await startOnce(df.getClient(context), grantInstanceId(parsed.requestId, parsed.dauId), grantInput);
  return {
    grantId: grant.id,
    expiresAt: grant.expiresAt,
    ...(notification === undefined ? {} : { notification }),
  };
};

export const remindGrantExpiry: ActivityHandler = async (input: unknown) => {
  const { requestId, dauId, expiresAt } = remindExpiryInputSchema.parse(input);
  const notification = await getAccessService().remindExpiry(requestId, dauId, expiresAt);
  return notification === undefined ? {} : { notification };
};

export const endGrantAccess: ActivityHandler = async (input: unknown) => {
  const { requestId, dauId, at, ending } = endAccessInputSchema.parse(input);
  const { notification, ...ended } = await getAccessService().endAccess({ requestId, dauId, at, ending });
  return { ...ended, ...(notification === undefined ? {} : { notification }) };
};

export const extendGrant: ActivityHandler = async (input: unknown) => {
  const { requestId, dauId, extensionId, approvedBy, at } = extendGrantInputSchema.parse(input);
  return getAccessService().extend({ requestId, dauId, extensionId, approvedBy, at });
};

export const checkGrantCloseout: ActivityHandler = async (input: unknown) => {
  const { requestId, dauId, at } = checkCloseoutInputSchema.parse(input);
  const notification = await getAccessService().checkCloseout(requestId, dauId, at);
  return notification === undefined ? {} : { notification };
};

async function startOnce(client: DurableClient, instanceId: string, input: GrantAccessInput): Promise<void> {
  const existing = await existingInstance(client, instanceId);
  if (existing !== undefined && existing !== null) return;
  await client.startNew(grantAccessOrchestration, { instanceId, input });
}

/** Events for grants' orchestrations, raised through a route's (or an activity's) durable client. */
export function grantSignals(client: DurableClient): GrantSignals {
  const raise = async (requestId: string, dauId: string, event: string, payload: unknown): Promise<void> => {
    await raiseEventTo(client, grantInstanceId(requestId, dauId), event, payload);
  };
  return {
    revoked: (requestId, dauId, payload) => raise(requestId, dauId, grantEvents.revoked, payload),
    extended: (requestId, dauId, payload) => raise(requestId, dauId, grantEvents.extended, payload),
    closedOut: (requestId, dauId, payload) => raise(requestId, dauId, grantEvents.closedOut, payload),
  };
}

export const dauVendingOrchestrator: OrchestrationHandler = dauVending;
export const grantAccessOrchestrator: OrchestrationHandler = grantAccess;

df.app.orchestration(dauVendingOrchestration, dauVendingOrchestrator);
df.app.orchestration(grantAccessOrchestration, grantAccessOrchestrator);
df.app.activity(planVendingActivity, { handler: planVending });
df.app.activity(copyVendingBatchActivity, { handler: copyVendingBatch });
df.app.activity(recordVendingProgressActivity, { handler: recordVendingProgress });
df.app.activity(completeVendingActivity, {
  handler: completeVending,
  extraInputs: [df.input.durableClient()],
});
df.app.activity(remindExpiryActivity, { handler: remindGrantExpiry });
df.app.activity(endAccessActivity, { handler: endGrantAccess });
df.app.activity(extendGrantActivity, { handler: extendGrant });
df.app.activity(checkCloseoutActivity, { handler: checkGrantCloseout });

// --- HTTP ---------------------------------------------------------------------------------------------

const idParameter = z.strictObject({ id: z.uuid('must be a request id (a UUID)') });

export const MAX_FILES_PAGE = 5000;

export const filesQuery = z.strictObject({
  /** `true`: links are required (403 when download is not allowed); `false`: never links. */
  links: z
    .enum(['true', 'false'])
    .optional()
    .transform((value) => (value === undefined ? undefined : value === 'true')),
  pageSize: queryInteger({ min: 1, max: MAX_FILES_PAGE, default: 1000 }),
  continuation: z.string().min(1).max(4000).optional(),
});

export const listVendedFiles = httpHandler(
  { auth: 'required', params: idParameter, query: filesQuery },
  async ({ params, query }, principal) => ({
    headers: { 'cache-control': 'private, no-store' },
    jsonBody: await getAccessService().files(principal, params.id, query),
  }),
);

export const closeOutRequest = httpHandler(
  { auth: 'required', params: idParameter, body: closeoutBodySchema, maxBodyBytes: 16 * 1024 },
  async ({ params, body }, principal, context) => ({
    jsonBody: await getAccessService().closeOut(
      principal,
      params.id,
      body.statement,
      grantSignals(df.getClient(context)),
    ),
  }),
);

export const requestExtension = httpHandler(
  { auth: 'required', params: idParameter, body: extensionBodySchema, maxBodyBytes: 16 * 1024 },
  async ({ params, body }, principal) => ({
    status: 202,
    jsonBody: await getAccessService().requestExtension(principal, params.id, body.reason),
  }),
);

const anonymous = 'anonymous' as const;
app.http('listVendedFiles', {
  route: 'requests/{id}/files',
  methods: ['GET'],
  authLevel: anonymous,
  handler: listVendedFiles,
});
app.http('closeOutRequest', {
  route: 'requests/{id}/closeout',
  methods: ['POST'],
  authLevel: anonymous,
  extraInputs: [df.input.durableClient()],
  handler: closeOutRequest,
});
app.http('requestExtension', {
  route: 'requests/{id}/extension',
  methods: ['POST'],
  authLevel: anonymous,
  handler: requestExtension,
});

/** For the OpenAPI document. */
export const provisioningRoutes: readonly ApiRoute[] = [
  {
    method: 'get',
    path: '/api/requests/{id}/files',
    summary: 'The vended files of a request, with a read-only download link each when download was granted',
    description:
      'Links are SAS URLs valid for at most an hour, issued only while access lasts and only for DAUs whose ' +
      'agreement granted download (open data always). `links=true` insists on links: 403 ' +
      '`download-not-allowed` otherwise; `links=false` lists without. Pages with `continuation`. The owner ' +
      'and admins only (404 for anyone else).',
    spec: listVendedFiles.spec,
    responses: { 200: { description: 'One page of files', schema: vendedFilesSchema } },
    problemStatuses: [404],
  },
  {
    method: 'post',
    path: '/api/requests/{id}/closeout',
    summary: 'Close out: attest that every downloaded copy of the data is destroyed',
    description: 'Recorded once per grant (a repeat answers the first record). The owner only.',
    spec: closeOutRequest.spec,
    responses: { 200: { description: 'The grants closed out' } },
    problemStatuses: [403, 404, 409],
  },
  {
    method: 'post',
    path: '/api/requests/{id}/extension',
    summary: 'Ask for another access period before access expires (an admin decides)',
    description: 'A repeat while one waits answers the waiting one. 409 without live access.',
    spec: requestExtension.spec,
    responses: { 202: { description: 'The extension waiting for a decision' } },
    problemStatuses: [403, 404, 409],
  },
];
