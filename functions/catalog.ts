import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { z } from 'zod';
import {
  catalogTabSchema,
  clickAnswerSchema,
  DEFAULT_PAGE_SIZE,
  dauSchema,
  fileTypeSchema,
  MAX_PAGE_SIZE,
  MAX_SEARCH_LENGTH,
  MAX_SELECTED_SAMPLES,
  sampleTypeSchema,
  selectionAnswerSchema,
  selectionSchema,
  sequencingTypeSchema,
  tissueTypeSchema,
  type CatalogFilters,
  type Dau,
  type Selection,
} from '../shared/catalog/model';
import { DEFAULT_MAX_CONCURRENT_MANIFESTS } from '../shared/catalog/catalog-service';
import { getCatalogService, getHeldDausLookup } from '../shared/composition-root';
import { ifNoneMatchMatches } from '../shared/http/etag';
import { httpHandler, queryInteger, queryList } from '../shared/http/handler';
import type { ApiRoute } from '../shared/http/openapi';
import type { Principal } from '../shared/identity/principal';

/**
 * The data browser's API. Every answer comes from this instance's in-memory index (DESIGN §5); a signed-in
 * caller (optional) also learns which DAUs they already hold.
 */

const filterParameters = {
  sequencingType: queryList(sequencingTypeSchema, { max: 3 }),
  sampleType: queryList(sampleTypeSchema, { max: 7 }),
  fileType: queryList(fileTypeSchema, { max: 5 }),
  tissueType: queryList(tissueTypeSchema, { max: 3 }),
};

/** Query string of `GET /api/catalog`. List parameters repeat (`?fileType=BAM&fileType=CNV`) or use commas. */
export const catalogQueryParameters = z.strictObject({
  tab: catalogTabSchema.default('diagnosis'),
  ...filterParameters,
  pageSize: queryInteger({ min: 1, max: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE }),
  continuation: z.string().min(1).max(1000).optional(),
  search: z.string().trim().min(1).max(MAX_SEARCH_LENGTH).optional(),
});

const MAX_MANIFEST_NAMES = 1000;

/** Query string of `GET /api/catalog/manifest`: rows of a tab, or sample names; filters as for a click. */
export const manifestQueryParameters = z
  .strictObject({
    tab: catalogTabSchema.optional(),
    rowId: queryList(z.string().min(1).max(200), { max: MAX_MANIFEST_NAMES }),
    sampleName: queryList(z.string().min(1).max(200), { max: MAX_MANIFEST_NAMES }),
    ...filterParameters,
  })
  .superRefine((query, context) => {
    if (query.rowId.length > 0 === query.sampleName.length > 0) {
      context.addIssue({
        code: 'custom',
        path: ['rowId'],
        message: 'give either rowId (with tab) or sampleName',
      });
    } else if (query.rowId.length > 0 && query.tab === undefined) {
      context.addIssue({ code: 'custom', path: ['tab'], message: 'is required with rowId' });
    }
  });

/** What anyone may read about a DAU: committee members' addresses stay private. */
export const publicDauSchema = dauSchema
  .omit({ docType: true, committeeMembers: true })
  .extend({ committeeSize: z.number().int() })
  .meta({ id: 'Dau' });

const SELECTION_MAX_BODY_BYTES = 2 * 1024 * 1024;

async function heldBy(principal: Principal | undefined): Promise<ReadonlySet<string>> {
  return principal === undefined ? new Set() : getHeldDausLookup().heldDauIds(principal.subjectId);
}

function tagged(request: HttpRequest, etag: string, jsonBody: unknown): HttpResponseInit {
  const headers = { etag, 'cache-control': 'private, no-cache' };
  return ifNoneMatchMatches(request.headers.get('if-none-match'), etag)
    ? { status: 304, headers }
    : { status: 200, headers, jsonBody };
}

function filtersOf(query: CatalogFilters): CatalogFilters {
  return {
    sequencingType: query.sequencingType,
    sampleType: query.sampleType,
    fileType: query.fileType,
    tissueType: query.tissueType,
  };
}

export const getCatalog = httpHandler(
  { auth: 'optional', query: catalogQueryParameters },
  async ({ query, request }, principal) => {
    const { tab, pageSize, continuation, search } = query;
    const answer = await getCatalogService().click(
      { tab, filters: filtersOf(query), pageSize, continuation, search },
      await heldBy(principal),
    );
    return tagged(request, answer.etag, answer.body);
  },
);

export const postSelection = httpHandler(
  { auth: 'optional', body: selectionSchema, maxBodyBytes: SELECTION_MAX_BODY_BYTES },
  async ({ body }, principal) => ({
    jsonBody: await getCatalogService().select(body, await heldBy(principal)),
  }),
);

export const getManifest = httpHandler(
  { auth: 'optional', query: manifestQueryParameters },
  async ({ query }, principal) => {
    const filters = filtersOf(query);
    const selection: Selection =
      query.sampleName.length > 0
        ? { sampleNames: query.sampleName, filters }
        : { tab: query.tab!, rowIds: query.rowId, filters };
    const { answer, chunks } = await getCatalogService().manifest(selection, principal);
    const encoder = new TextEncoder();
    // Pulled chunk by chunk, never held as one string; the chunks yield to the event loop between them.
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const next = await chunks.next();
        if (next.done === true) controller.close();
        else controller.enqueue(encoder.encode(next.value));
      },
      async cancel() {
        await chunks.return?.();
      },
    });
    return {
      status: 200,
      headers: {
        'content-type': 'text/tab-separated-values; charset=utf-8',
        'content-disposition': 'attachment; filename="SAMPLE_INFO.txt"',
        'x-catalog-files': String(answer.files),
        'x-catalog-index-version': answer.indexVersion,
      },
      body,
    };
  },
);

function toPublicDau(dau: Dau): z.infer<typeof publicDauSchema> {
  const { docType: _docType, committeeMembers, ...rest } = dau;
  return { ...rest, committeeSize: committeeMembers.length };
}

export const getDaus = httpHandler({ auth: 'optional' }, async ({ request }) => {
  const { body, etag } = await getCatalogService().daus();
  return tagged(request, etag, body.map(toPublicDau));
});

// Each instance indexes the catalog as it starts, so its first click does not wait for the snapshot and the
// change feed; a failure here is logged and the first request tries again.
app.hook.appStart(() => {
  const warmUp = async () => {
    await getCatalogService().fresh();
  };
  warmUp().catch((error: unknown) => console.warn(`catalog: not indexed at start (${String(error)})`));
});

app.http('catalog', { route: 'catalog', methods: ['GET'], authLevel: 'anonymous', handler: getCatalog });
app.http('catalogSelection', {
  route: 'catalog/selection',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: postSelection,
});
app.http('catalogManifest', {
  route: 'catalog/manifest',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: getManifest,
});
app.http('catalogDaus', {
  route: 'catalog/daus',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: getDaus,
});

/** For the OpenAPI document. */
export const catalogRoutes: readonly ApiRoute[] = [
  {
    method: 'get',
    path: '/api/catalog',
    summary: 'One click of the data browser: tab rows, facet counts, summary and DAUs',
    spec: getCatalog.spec,
    responses: {
      200: { description: 'The answer (strong ETag; If-None-Match gives 304)', schema: clickAnswerSchema },
    },
    notModified: true,
  },
  {
    method: 'post',
    path: '/api/catalog/selection',
    summary: `Resolve a selection (rows of a tab, or up to ${MAX_SELECTED_SAMPLES} sample names)`,
    spec: postSelection.spec,
    responses: {
      200: {
        description: 'Files, summary, DAUs and names that matched nothing',
        schema: selectionAnswerSchema,
      },
    },
  },
  {
    method: 'get',
    path: '/api/catalog/manifest',
    summary: 'The selection as a SAMPLE_INFO.txt-style TSV',
    description:
      'Lists the storage path of every file, so a selection that touches a controlled DAU needs a signed-in ' +
      'caller (401 otherwise); open DAUs only are public. At most ' +
      `${DEFAULT_MAX_CONCURRENT_MANIFESTS} manifests are produced at once per instance; beyond that the ` +
      'answer is 429 with Retry-After.',
    spec: getManifest.spec,
    responses: { 200: { description: 'Tab-separated manifest', contentType: 'text/tab-separated-values' } },
    problemStatuses: [429],
  },
  {
    method: 'get',
    path: '/api/catalog/daus',
    summary: 'Data Access Units: description, access type, embargo, data sets',
    spec: getDaus.spec,
    responses: { 200: { description: 'Every DAU', schema: z.array(publicDauSchema) } },
    notModified: true,
  },
];
