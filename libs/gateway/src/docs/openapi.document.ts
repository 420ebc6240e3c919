import { OpenAPIRegistry, OpenApiGeneratorV31, ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { ErrorBodySchema } from '@wiz/contracts';
import { API_ROUTES } from './api-routes';

// The OpenAPI 3.1 document, generated from the zod contracts by @asteasolutions/zod-to-openapi
// (maintained, supports zod 4). Built once per process.
let cached: object | undefined;

export function openApiDocument(): object {
  if (cached) return cached;
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
    description: 'an API key: Authorization: Bearer <key>',
  });
  const error = {
    description: 'an error (one shape for all)',
    content: { 'application/json': { schema: ErrorBodySchema } },
  };
  for (const r of API_ROUTES) {
    const params = [...r.path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
    const responses: Record<number, ResponseConfig> = {
      [r.status]: {
        description: r.sse ? 'a text/event-stream of events' : r.summary,
        ...(r.response
          ? { content: { 'application/json': { schema: r.response } } }
          : r.sse
            ? { content: { 'text/event-stream': { schema: z.string() } } }
            : {}),
      },
    };
    for (const [status, a] of Object.entries(r.also ?? {})) {
      responses[Number(status)] = {
        description: a.description,
        ...(a.schema ? { content: { 'application/json': { schema: a.schema } } } : {}),
      };
    }
    if (!r.public) Object.assign(responses, { 400: error, 401: error, 404: error, 429: error });
    registry.registerPath({
      method: r.method,
      path: r.path.replace(/:(\w+)/g, '{$1}'),
      summary: r.summary,
      tags: [r.tag],
      ...(r.public ? { security: [] } : {}),
      request: {
        ...(params.length ? { params: z.object(Object.fromEntries(params.map((p) => [p, z.string()]))) } : {}),
        ...(r.query ? { query: r.query } : {}),
        ...(r.body ? { body: { content: { 'application/json': { schema: r.body } } } } : {}),
      },
      responses,
    });
  }
  cached = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Wiz API',
      version: '1',
      description: 'REST API of the Wiz gateway. Events: WebSocket GET /ws (see /api/ws-schema.json) or SSE.',
    },
    security: [{ apiKey: [] }],
  });
  return cached;
}
