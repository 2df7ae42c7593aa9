import type { Readable } from 'node:stream';
import { app, type HttpResponseInit } from '@azure/functions';
import { RestError, type ContainerClient } from '@azure/storage-blob';
import { getDocumentsContainer } from '../shared/composition-root';
import { notFound } from '../shared/http/errors';
import { httpHandler } from '../shared/http/handler';
import { agreementTemplateBlobName } from '../shared/platform/documents';

/**
 * `GET /api/agreements/template`: the Data Access Agreement template (PDF) for requesters who sign by
 * hand, streamed from the private documents container. Conditional: `If-None-Match` with the current
 * ETag answers 304 without a body.
 */
export function createAgreementTemplateHandler(documents: () => ContainerClient) {
  return httpHandler({ auth: 'optional' }, async ({ request }): Promise<HttpResponseInit> => {
    const blob = documents().getBlobClient(agreementTemplateBlobName);
    const ifNoneMatch = request.headers.get('if-none-match') ?? undefined;
    try {
      const download = await blob.download(0, undefined, { conditions: { ifNoneMatch } });
      return {
        status: 200,
        headers: {
          'content-type': 'application/pdf',
          'content-length': String(download.contentLength ?? 0),
          etag: download.etag ?? '',
          'cache-control': 'no-cache',
          'content-disposition': `inline; filename="${agreementTemplateBlobName}"`,
        },
        body: download.readableStreamBody as Readable,
      };
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 304) {
        return { status: 304, headers: { etag: error.response?.headers.get('etag') ?? ifNoneMatch ?? '' } };
      }
      if (error instanceof RestError && error.statusCode === 404) {
        throw notFound('The Data Access Agreement template is not available.');
      }
      throw error;
    }
  });
}

export const agreementTemplate = createAgreementTemplateHandler(getDocumentsContainer);

app.http('agreementTemplate', {
  route: 'agreements/template',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: agreementTemplate,
});
