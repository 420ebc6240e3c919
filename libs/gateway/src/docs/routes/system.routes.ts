import { HealthSchema } from '@wiz/contracts';
import type { ApiRoute } from './api-route';

export const SYSTEM_ROUTES: ApiRoute[] = [
  {
    method: 'get',
    path: '/health',
    summary: 'NATS and database reachability (503 when one is down)',
    tag: 'health',
    status: 200,
    response: HealthSchema,
    public: true,
  },
  {
    method: 'get',
    path: '/api/docs',
    summary: 'this API, as a browsable page',
    tag: 'docs',
    status: 200,
    public: true,
  },
  {
    method: 'get',
    path: '/api/docs/assets/:name',
    summary: "the page's Swagger UI files (swagger-ui.css, swagger-ui-bundle.js, init.js), served locally",
    tag: 'docs',
    status: 200,
    public: true,
  },
  {
    method: 'get',
    path: '/api/docs.json',
    summary: 'this API as an OpenAPI 3.1 document',
    tag: 'docs',
    status: 200,
    public: true,
  },
  {
    method: 'get',
    path: '/api/ws-schema.json',
    summary: 'the WebSocket protocol (GET /ws) as JSON Schema',
    tag: 'docs',
    status: 200,
    public: true,
  },
];
