import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { getReviewDecisions } from '../shared/composition-root';
import { readBodyBytes } from '../shared/http/body';
import { AppError, isAppError, problems } from '../shared/http/errors';
import { correlated } from '../shared/http/handler';
import { decisionInputSchema } from '../shared/reviews/model';
import {
  renderErrorPage,
  renderRecordedPage,
  renderRefusalPage,
  renderReviewPage,
  reviewPageHeaders,
} from '../shared/reviews/pages';
import type { LinkRefusal, ReviewPage } from '../shared/reviews/use-cases/review-decisions';
import { raiseDecisionThrough } from './reviews';

/**
 * The committee's e-mailed decision link (DESIGN §6): `GET /api/review-links/{token}` shows the request and a
 * form and changes nothing (mail scanners open every link); the form's `POST` decides. The token is the
 * member's credential, checked by the use case on every call. Every answer is an HTML page with the review
 * headers — a bad link, a bad form or an outage included — never problem+json or a stack trace.
 */

const maxFormBytes = 16 * 1024;
const formFields = ['verdict', 'reason', 'remark', 'remarkVisibility'] as const;

const pageResponse = (status: number, body: string): HttpResponseInit => ({
  status,
  headers: reviewPageHeaders,
  body,
});

function refused(refusal: LinkRefusal): HttpResponseInit {
  const { status, body } = renderRefusalPage(refusal);
  return pageResponse(status, body);
}

const isRefusal = (value: ReviewPage | LinkRefusal): value is LinkRefusal => 'kind' in value;

/** Any failure as a page: expected ones (too large, wrong type, unconfigured) say what, others say "later". */
function asPage(
  handle: (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>,
): (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> {
  return correlated(async (request, context) => {
    try {
      return await handle(request, context);
    } catch (error) {
      if (isAppError(error) && error.status < 500) {
        const { status, body } = renderErrorPage(error.status, error.kind.title, error.detail);
        return pageResponse(status, body);
      }
      context.error(`review link: ${error instanceof Error ? error.message : String(error)}`);
      const { status, body } = renderErrorPage(
        503,
        'Review is unavailable right now',
        'Nothing was recorded. Please try again in a few minutes.',
      );
      return pageResponse(status, body);
    }
  });
}

const tokenOf = (request: HttpRequest) => request.params['token'] ?? '';

export const showReviewLink = asPage(async (request) => {
  const token = tokenOf(request);
  const view = await getReviewDecisions().viewLink(token);
  return isRefusal(view) ? refused(view) : pageResponse(200, renderReviewPage(view, token));
});

export const decideByReviewLink = asPage(async (request, context) => {
  const token = tokenOf(request);
  const mediaType = (request.headers.get('content-type') ?? '').split(';', 1)[0]!.trim().toLowerCase();
  if (mediaType !== 'application/x-www-form-urlencoded') {
    throw new AppError(problems.unsupportedMediaType, 'Send the decision form as it is on the page.');
  }
  const form = new URLSearchParams((await readBodyBytes(request, maxFormBytes)).toString('utf8'));
  const values = Object.fromEntries(
    formFields.flatMap((field) => (form.has(field) ? [[field, form.get(field)!]] : [])),
  );
  const parsed = decisionInputSchema.safeParse(values);
  const decisions = getReviewDecisions();
  if (!parsed.success) {
    const view = await decisions.viewLink(token);
    if (isRefusal(view)) return refused(view);
    const error = parsed.error.issues
      .map((issue) => `${issue.path.join('.') || 'form'}: ${issue.message}`)
      .join('; ');
    return pageResponse(400, renderReviewPage(view, token, { error, values }));
  }
  const recorded = await decisions.decideByLink(token, parsed.data, raiseDecisionThrough(context));
  if ('kind' in recorded) return refused(recorded);
  return pageResponse(200, renderRecordedPage(recorded.decision, recorded.replayed));
});

export const reviewLinkAgreement = asPage(async (request) => {
  const expires = request.query.get('expires') ?? '';
  const signature = request.query.get('signature') ?? '';
  if (!/^\d{1,12}$/.test(expires)) return refused({ kind: 'invalid' });
  const found = await getReviewDecisions().agreementByLink(tokenOf(request), Number(expires), signature);
  if ('kind' in found) return refused(found);
  return {
    headers: {
      'content-type': 'application/pdf',
      'content-length': String(found.pdf.byteLength),
      'content-disposition': `attachment; filename="agreement-v${found.version}.pdf"`,
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
    },
    body: found.pdf,
  };
});

app.http('showReviewLink', {
  route: 'review-links/{token}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: showReviewLink,
});
app.http('decideByReviewLink', {
  route: 'review-links/{token}',
  methods: ['POST'],
  authLevel: 'anonymous',
  extraInputs: [df.input.durableClient()],
  handler: decideByReviewLink,
});
app.http('reviewLinkAgreement', {
  route: 'review-links/{token}/agreement',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: reviewLinkAgreement,
});
