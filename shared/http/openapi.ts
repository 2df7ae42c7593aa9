/**
 * The OpenAPI 3.1 document, generated from the same zod schemas the handlers parse with (zod 4's
 * `z.toJSONSchema`), so the description cannot drift from what the API accepts and answers.
 */
import { z } from 'zod';
import { wrapperProblemStatuses, type HttpHandlerSpec } from './handler';
import { problemContentType, problemDetailsSchema } from './problem';

export interface ApiResponse {
  readonly description: string;
  readonly schema?: z.ZodType;
  /** Default application/json. */
  readonly contentType?: string;
}

export interface ApiRoute {
  readonly method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** As callers see it, e.g. `/api/catalog/{id}`. */
  readonly path: string;
  readonly summary: string;
  /** Longer text: who may call, limits, anything the summary cannot say. */
  readonly description?: string;
  readonly spec: HttpHandlerSpec;
  readonly responses: Readonly<Record<number, ApiResponse>>;
  /** Answers 304 to a matching If-None-Match. */
  readonly notModified?: boolean;
  /** Problem statuses the use case answers beyond the wrapper's own (e.g. 404, 412, 429). */
  readonly problemStatuses?: readonly number[];
}

type JsonSchema = Record<string, unknown>;

/** Input side of a schema (what callers send); transforms and defaults are described by their input. */
function inputSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _draft, ...rest } = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
  }) as JsonSchema;
  return rest;
}

function outputSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _draft, ...rest } = z.toJSONSchema(schema, {
    io: 'output',
    unrepresentable: 'any',
  }) as JsonSchema;
  return rest;
}

/** Object schemas (possibly refined) become one parameter per property. */
function parameters(location: 'query' | 'path', schema: z.ZodType | undefined): JsonSchema[] {
  if (schema === undefined) return [];
  const json = inputSchema(schema);
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...propertySchema } = property;
    return {
      name,
      in: location,
      required: location === 'path' || required.has(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: propertySchema,
      // Lists: repeat the parameter (`?fileType=BAM&fileType=CNV`) or separate values with commas.
      ...(JSON.stringify(propertySchema).includes('"array"') ? { style: 'form', explode: true } : {}),
    };
  });
}

const problemStatusText: Readonly<Record<number, string>> = {
  400: 'Bad input: every offending parameter is named, with the allowed values where they are few',
  401: 'The bearer token is missing (where required) or not valid',
  403: 'Not allowed',
  413: 'The body is too large',
  404: 'Not found (also for what the caller may not see)',
  409: 'Conflicts with the current state',
  412: 'The resource changed since it was read (If-Match did not match)',
  415: 'The body is not JSON',
  428: 'If-Match is required',
  429: 'Too busy: retry after the seconds in Retry-After',
  500: 'Internal error (the correlation id identifies it in the logs)',
  503: 'A dependency is unavailable',
};

export function buildOpenApiDocument(info: { title: string; version: string }, routes: readonly ApiRoute[]) {
  const paths: Record<string, Record<string, unknown>> = {};
  const problem = { [problemContentType]: { schema: outputSchema(problemDetailsSchema) } };
  for (const route of routes) {
    const responses: Record<string, unknown> = {};
    for (const [status, response] of Object.entries(route.responses)) {
      responses[status] = {
        description: response.description,
        ...(response.schema === undefined && response.contentType === undefined
          ? {}
          : {
              content: {
                [response.contentType ?? 'application/json']: {
                  schema: response.schema === undefined ? { type: 'string' } : outputSchema(response.schema),
                },
              },
            }),
      };
    }
    if (route.notModified === true)
      responses['304'] = { description: 'Not modified (If-None-Match matched the ETag)' };
    const problemStatuses = [...wrapperProblemStatuses(route.spec), ...(route.problemStatuses ?? [])];
    for (const status of problemStatuses.sort()) {
      responses[String(status)] ??= { description: problemStatusText[status] ?? 'Error', content: problem };
    }
    paths[route.path] = {
      ...paths[route.path],
      [route.method]: {
        summary: route.summary,
        ...(route.description === undefined ? {} : { description: route.description }),
        parameters: [...parameters('path', route.spec.params), ...parameters('query', route.spec.query)],
        ...(route.spec.body === undefined
          ? {}
          : {
              requestBody: {
                required: true,
                content: { 'application/json': { schema: inputSchema(route.spec.body) } },
              },
            }),
        responses,
        security: route.spec.auth === 'optional' ? [{}, { bearer: [] }] : [{ bearer: [] }],
      },
    };
  }
  return {
    openapi: '3.1.0',
    info,
    paths,
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
  };
}
