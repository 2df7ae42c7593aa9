import { app } from '@azure/functions';
import { httpHandler } from '../shared/http/handler';

/** The caller as the API sees them: proof that sign-in works end to end. */
export const me = httpHandler({ auth: 'required' }, async (_input, principal) => ({ jsonBody: principal }));

app.http('me', {
  route: 'me',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: me,
});
