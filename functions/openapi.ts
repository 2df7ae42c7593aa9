import { app } from '@azure/functions';
import { correlated } from '../shared/http/handler';
import { buildOpenApiDocument } from '../shared/http/openapi';
import { agreementRoutes } from './agreements';
import { catalogRoutes } from './catalog';
import { meRoutes } from './me';
import { requestRoutes } from './requests';
import { provisioningRoutes } from './provisioning';
import { adminRoutes } from './admin';
import { reviewRoutes } from './reviews';

/** `GET /api/openapi.json`: the API description, generated once from the handlers' own zod schemas. */
const document = JSON.stringify(
  buildOpenApiDocument({ title: 'Data Requests API', version: '0.1.0' }, [
    ...catalogRoutes,
    ...meRoutes,
    ...requestRoutes,
    ...provisioningRoutes,
    ...adminRoutes,
    ...agreementRoutes,
    ...reviewRoutes,
  ]),
);

app.http('openapi', {
  route: 'openapi.json',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: correlated(() =>
    Promise.resolve({ status: 200, headers: { 'content-type': 'application/json' }, body: document }),
  ),
});
