import * as df from 'durable-functions';
import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { z } from 'zod';
import { selectionSchema } from '../shared/catalog/model';
import { getRequestService } from '../shared/composition-root';
import { ifNoneMatchMatches, strongEntityTag } from '../shared/http/etag';
import { httpHandler, queryInteger, queryList } from '../shared/http/handler';
import type { ApiRoute } from '../shared/http/openapi';
import { requestStatusSchema } from '../shared/requests/model';
import {
  DEFAULT_DASHBOARD_PAGE,
  MAX_DASHBOARD_PAGE,
  requestPatchSchema,
  type VersionedView,
} from '../shared/requests/request-service';
import { timelineSchema } from '../shared/requests/timeline';
import { dashboardSchema, requestViewSchema } from '../shared/requests/views';
import { startOnSubmitted } from '../shared/lifecycle/on-submitted';
import { raiseEventTo } from '../shared/lifecycle/raise-event';
import { lifecycleEvents, lifecycleInstanceId } from '../shared/lifecycle/request-lifecycle-contract';

/**
 * Data requests (DESIGN §8): drafts from a catalog selection, the set-up wizard's autosave, submit, the
 * timeline and the dashboard. Who may see and change what is decided in the use cases.
 */

/** A selection may name up to 50,000 samples; a patch may carry one too. */
const MAX_BODY_BYTES = 2 * 1024 * 1024;

const idParameter = z.strictObject({ id: z.uuid('must be a request id (a UUID)') });

export const dashboardQuery = z.strictObject({
  status: queryList(requestStatusSchema, { max: 16 }),
  pageSize: queryInteger({ min: 1, max: MAX_DASHBOARD_PAGE, default: DEFAULT_DASHBOARD_PAGE }),
  continuation: z.string().min(1).max(4000).optional(),
});

function versioned({ view, etag }: VersionedView, status = 200, headers: Record<string, string> = {}) {
  return {
    status,
    headers: { etag: strongEntityTag(etag), 'cache-control': 'private, no-cache', ...headers },
    jsonBody: view,
  } satisfies HttpResponseInit;
}

const ifMatch = (request: HttpRequest) => request.headers.get('if-match');

export const createRequest = httpHandler(
  { auth: 'required', body: selectionSchema, maxBodyBytes: MAX_BODY_BYTES },
  async ({ body }, principal) => {
    const created = await getRequestService().create(principal, body);
    return versioned(created, 201, { location: `/api/requests/${created.view.id}` });
  },
);

export const listRequests = httpHandler(
  { auth: 'required', query: dashboardQuery },
  async ({ query }, principal) => ({
    headers: { 'cache-control': 'private, no-cache' },
    jsonBody: await getRequestService().dashboard(principal, {
      statuses: query.status,
      pageSize: query.pageSize,
      continuation: query.continuation,
    }),
  }),
);

export const getRequest = httpHandler(
  { auth: 'required', params: idParameter },
  async ({ params, request }, principal) => {
    const found = await getRequestService().get(principal, params.id);
    if (ifNoneMatchMatches(request.headers.get('if-none-match'), strongEntityTag(found.etag))) {
      return { status: 304, headers: { etag: strongEntityTag(found.etag) } };
    }
    return versioned(found);
  },
);

export const patchRequest = httpHandler(
  { auth: 'required', params: idParameter, body: requestPatchSchema, maxBodyBytes: MAX_BODY_BYTES },
  async ({ params, body, request }, principal) =>
    versioned(await getRequestService().patch(principal, params.id, body, ifMatch(request))),
);

export const deleteRequest = httpHandler(
  { auth: 'required', params: idParameter },
  async ({ params, request }, principal) => {
    await getRequestService().remove(principal, params.id, ifMatch(request));
    return { status: 204 };
  },
);

export const copyRequest = httpHandler(
  { auth: 'required', params: idParameter },
  async ({ params }, principal) => {
    const copied = await getRequestService().copy(principal, params.id);
    return versioned(copied, 201, { location: `/api/requests/${copied.view.id}` });
  },
);

export const submitRequest = httpHandler(
  { auth: 'required', params: idParameter },
  async ({ params, request }, principal, context) =>
    versioned(
      await getRequestService().submit(
        principal,
        params.id,
        ifMatch(request),
        startOnSubmitted(df.getClient(context), (line) => context.warn(line)),
      ),
    ),
);

export const withdrawBody = z
  .strictObject({ reason: z.string().trim().max(2000).default('') })
  .meta({ id: 'Withdrawal', description: 'Why the request is withdrawn (optional)' });

export const withdrawRequest = httpHandler(
  { auth: 'required', params: idParameter, body: withdrawBody, optionalBody: true },
  async ({ params, body, request }, principal, context) => {
    const client = df.getClient(context);
    const withdrawn = await getRequestService().withdraw(
      principal,
      params.id,
      ifMatch(request),
      body.reason,
      async (requestDocument, withdrawal) => {
        const instanceId = lifecycleInstanceId(requestDocument.id);
        const raised = await raiseEventTo(client, instanceId, lifecycleEvents.withdrawn, withdrawal);
        if (raised === 'no-instance') context.warn(`request ${requestDocument.id}: no lifecycle to withdraw`);
      },
    );
    return versioned(withdrawn);
  },
);

export const requestEvents = httpHandler(
  { auth: 'required', params: idParameter },
  async ({ params }, principal) => ({
    headers: { 'cache-control': 'private, no-cache' },
    jsonBody: await getRequestService().events(principal, params.id),
  }),
);

const anonymous = 'anonymous' as const;
app.http('createRequest', {
  route: 'requests',
  methods: ['POST'],
  authLevel: anonymous,
  handler: createRequest,
});
app.http('listRequests', {
  route: 'requests',
  methods: ['GET'],
  authLevel: anonymous,
  handler: listRequests,
});
app.http('getRequest', {
  route: 'requests/{id}',
  methods: ['GET'],
  authLevel: anonymous,
  handler: getRequest,
});
app.http('patchRequest', {
  route: 'requests/{id}',
  methods: ['PATCH'],
  authLevel: anonymous,
  handler: patchRequest,
});
app.http('deleteRequest', {
  route: 'requests/{id}',
  methods: ['DELETE'],
  authLevel: anonymous,
  handler: deleteRequest,
});
app.http('copyRequest', {
  route: 'requests/{id}/copy',
  methods: ['POST'],
  authLevel: anonymous,
  handler: copyRequest,
});
app.http('submitRequest', {
  route: 'requests/{id}/submit',
  methods: ['POST'],
  authLevel: anonymous,
  extraInputs: [df.input.durableClient()],
  handler: submitRequest,
});
app.http('withdrawRequest', {
  route: 'requests/{id}/withdraw',
  methods: ['POST'],
  authLevel: anonymous,
  extraInputs: [df.input.durableClient()],
  handler: withdrawRequest,
});
app.http('requestEvents', {
  route: 'requests/{id}/events',
  methods: ['GET'],
  authLevel: anonymous,
  handler: requestEvents,
});

const whoSees =
  'A requester reaches only their own requests (any other id answers 404, like a missing one); admins read ' +
  'every request; committee members read submitted requests that touch their DAUs, never drafts. Only the ' +
  'owner changes a request (403 for others who may read it).';

/** For the OpenAPI document. */
export const requestRoutes: readonly ApiRoute[] = [
  {
    method: 'post',
    path: '/api/requests',
    summary: 'Create a draft from a catalog selection (the body POST /api/catalog/selection takes)',
    description:
      'Resolves the selection to DAUs, files, samples and bytes now, and fills the institution from your profile. ' +
      'Answers 201 with Location and ETag.',
    spec: createRequest.spec,
    responses: { 201: { description: 'The new draft', schema: requestViewSchema } },
  },
  {
    method: 'get',
    path: '/api/requests',
    summary: 'Your dashboard: your requests, newest first, with status, per-DAU state and next action',
    description:
      'Pages with `continuation` (give back the token of the previous page with the same `status`).',
    spec: listRequests.spec,
    responses: { 200: { description: 'One page', schema: dashboardSchema } },
  },
  {
    method: 'get',
    path: '/api/requests/{id}',
    summary: 'A request with its wizard report, rules and next action',
    description: whoSees,
    spec: getRequest.spec,
    responses: { 200: { description: 'The request (ETag)', schema: requestViewSchema } },
    notModified: true,
    problemStatuses: [404],
  },
  {
    method: 'patch',
    path: '/api/requests/{id}',
    summary: 'Autosave: a JSON merge patch (RFC 7396) of the answers and, while a draft, the selection',
    description:
      'Needs If-Match with the ETag you read: 428 without it; 412 with `current` (the request as it is now) and ' +
      `its ETag when stale, so you can merge and retry. Send application/merge-patch+json or JSON. ${whoSees}`,
    spec: patchRequest.spec,
    responses: { 200: { description: 'The changed draft (new ETag)', schema: requestViewSchema } },
    problemStatuses: [404, 409, 412, 428],
  },
  {
    method: 'delete',
    path: '/api/requests/{id}',
    summary: 'Delete a draft (If-Match)',
    spec: deleteRequest.spec,
    responses: { 204: { description: 'Deleted' } },
    problemStatuses: [404, 409, 412, 428],
  },
  {
    method: 'post',
    path: '/api/requests/{id}/copy',
    summary: 'Start a new draft with the same answers and selection (e.g. after a declined signature)',
    spec: copyRequest.spec,
    responses: { 201: { description: 'The new draft', schema: requestViewSchema } },
    problemStatuses: [404],
  },
  {
    method: 'post',
    path: '/api/requests/{id}/submit',
    summary:
      'Submit: re-resolve the selection, check every rule, freeze the file ids (gzip manifest + SHA-256)',
    description:
      'Needs If-Match. A blocking rule answers its own problem type (e.g. `for-profit-refused`, ' +
      '`wizard-incomplete`) with every blocking rule in `rules`. Submitting an already submitted request ' +
      'answers it unchanged.',
    spec: submitRequest.spec,
    responses: { 200: { description: 'The submitted request (new ETag)', schema: requestViewSchema } },
    problemStatuses: [404, 412, 422, 428],
  },
  {
    method: 'post',
    path: '/api/requests/{id}/withdraw',
    summary: 'Withdraw a submitted request that still waits (for signatures, an upload or a committee)',
    description:
      'Needs If-Match. The request is `withdrawn` at once: an open envelope is voided, reviews end and their ' +
      'links stop working. DAUs already approved or vended keep their access. Withdrawing again answers the ' +
      'request unchanged; a draft is deleted instead (409).',
    spec: withdrawRequest.spec,
    responses: { 200: { description: 'The withdrawn request (new ETag)', schema: requestViewSchema } },
    problemStatuses: [404, 409, 412, 428],
  },
  {
    method: 'get',
    path: '/api/requests/{id}/events',
    summary: "The request's timeline, and whether its hash chain verifies",
    description: whoSees,
    spec: requestEvents.spec,
    responses: { 200: { description: 'Every event, oldest first', schema: timelineSchema } },
    problemStatuses: [404],
  },
];
