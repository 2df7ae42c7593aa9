import { app, type HttpResponseInit } from '@azure/functions';
import { getProfileService } from '../shared/composition-root';
import { strongEntityTag } from '../shared/http/etag';
import { httpHandler } from '../shared/http/handler';
import type { ApiRoute } from '../shared/http/openapi';
import { profileInputSchema } from '../shared/users/model';
import { meSchema, type MeAnswer } from '../shared/users/profile-service';

/** The caller as the API sees them (the token's identity) and their profile. */

function answer({ me, etag }: MeAnswer, status = 200): HttpResponseInit {
  return {
    status,
    headers: {
      'cache-control': 'private, no-cache',
      ...(etag === undefined ? {} : { etag: strongEntityTag(etag) }),
    },
    jsonBody: me,
  };
}

export const me = httpHandler({ auth: 'required' }, async (_input, principal) =>
  answer(await getProfileService().me(principal)),
);

export const putMe = httpHandler(
  { auth: 'required', body: profileInputSchema, maxBodyBytes: 16 * 1024 },
  async ({ body, request }, principal) => {
    const result = await getProfileService().put(principal, body, request.headers.get('if-match'));
    return answer(result, result.created ? 201 : 200);
  },
);

app.http('me', { route: 'me', methods: ['GET'], authLevel: 'anonymous', handler: me });
app.http('putMe', { route: 'me', methods: ['PUT'], authLevel: 'anonymous', handler: putMe });

/** For the OpenAPI document. */
export const meRoutes: readonly ApiRoute[] = [
  {
    method: 'get',
    path: '/api/me',
    summary: 'The signed-in caller and their profile',
    description: 'The profile is null until the first PUT; once it exists the answer carries its ETag.',
    spec: me.spec,
    responses: { 200: { description: 'The caller and their profile', schema: meSchema } },
  },
  {
    method: 'put',
    path: '/api/me',
    summary: 'Set your profile: name, institution (optional ROR id), country, organisation type',
    description:
      'The first PUT creates the profile (201, without If-Match); every later one needs If-Match with the ' +
      'ETag of the profile it changes (428 without, 412 with the current profile when stale). The e-mail ' +
      'always comes from the token.',
    spec: putMe.spec,
    responses: {
      200: { description: 'The profile was changed', schema: meSchema },
      201: { description: 'The profile was created', schema: meSchema },
    },
    problemStatuses: [412, 428],
  },
];
