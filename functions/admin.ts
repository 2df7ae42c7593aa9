import * as df from 'durable-functions';
import { app } from '@azure/functions';
import { z } from 'zod';
import { DAU_IDS } from '../shared/catalog/model';
import { getAccessService } from '../shared/composition-root';
import { httpHandler, queryInteger, queryList } from '../shared/http/handler';
import type { ApiRoute } from '../shared/http/openapi';
import {
  adminRequestListSchema,
  extensionDecisionBodySchema,
  revokeBodySchema,
} from '../shared/provisioning/access-service';
import { requestStatusSchema } from '../shared/requests/model';
import { grantSignals } from './provisioning';

/**
 * Staff routes (DESIGN §8): every submitted request, revocation, extension decisions. Admins only — anyone
 * else is refused with 403 (the routes' existence is no secret; what they list is).
 */

const admin = { role: 'admin' } as const;
const idParameter = z.strictObject({ id: z.uuid('must be a request id (a UUID)') });

export const adminRequestsQuery = z.strictObject({
  status: queryList(requestStatusSchema, { max: 16 }),
  dau: queryList(z.enum(DAU_IDS), { max: DAU_IDS.length }),
  pageSize: queryInteger({ min: 1, max: 200, default: 50 }),
  continuation: z.string().min(1).max(4000).optional(),
});

export const listAdminRequests = httpHandler(
  { auth: admin, query: adminRequestsQuery },
  async ({ query }, principal) => ({
    headers: { 'cache-control': 'private, no-cache' },
    jsonBody: await getAccessService().adminList(principal, {
      statuses: query.status,
      dauIds: query.dau,
      pageSize: query.pageSize,
      continuation: query.continuation,
    }),
  }),
);

export const revokeRequest = httpHandler(
  { auth: admin, params: idParameter, body: revokeBodySchema, maxBodyBytes: 16 * 1024 },
  async ({ params, body }, principal, context) => ({
    status: 202,
    jsonBody: await getAccessService().revoke(
      principal,
      params.id,
      body.reason,
      grantSignals(df.getClient(context)),
    ),
  }),
);

export const decideExtension = httpHandler(
  { auth: admin, params: idParameter, body: extensionDecisionBodySchema, maxBodyBytes: 16 * 1024 },
  async ({ params, body }, principal, context) => ({
    jsonBody: await getAccessService().decideExtension(
      principal,
      params.id,
      body,
      grantSignals(df.getClient(context)),
    ),
  }),
);

const anonymous = 'anonymous' as const;
app.http('listAdminRequests', {
  route: 'admin/requests',
  methods: ['GET'],
  authLevel: anonymous,
  handler: listAdminRequests,
});
app.http('revokeRequest', {
  route: 'admin/requests/{id}/revoke',
  methods: ['POST'],
  authLevel: anonymous,
  extraInputs: [df.input.durableClient()],
  handler: revokeRequest,
});
app.http('decideExtension', {
  route: 'admin/requests/{id}/extension/decision',
  methods: ['POST'],
  authLevel: anonymous,
  extraInputs: [df.input.durableClient()],
  handler: decideExtension,
});

/** For the OpenAPI document. */
export const adminRoutes: readonly ApiRoute[] = [
  {
    method: 'get',
    path: '/api/admin/requests',
    summary: "Every owner's submitted requests, newest first (admins)",
    description:
      'Filter by `status` and `dau` (each repeatable or comma-separated); page with `continuation`.',
    spec: listAdminRequests.spec,
    responses: { 200: { description: 'One page', schema: adminRequestListSchema } },
  },
  {
    method: 'post',
    path: '/api/admin/requests/{id}/revoke',
    summary:
      "Revoke a request's access now: the vended copies are deleted and the requester is told (admins)",
    description: 'A reason is required. 409 when the request holds no live access.',
    spec: revokeRequest.spec,
    responses: { 202: { description: 'The DAUs whose access is being removed' } },
    problemStatuses: [404, 409],
  },
  {
    method: 'post',
    path: '/api/admin/requests/{id}/extension/decision',
    summary:
      'Approve (the expiry moves by the DAU’s access duration) or reject a requested extension (admins)',
    spec: decideExtension.spec,
    responses: { 200: { description: 'The decision as recorded' } },
    problemStatuses: [404, 409],
  },
];
