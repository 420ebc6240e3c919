import { z } from 'zod';
import { HealthSchema } from '@wiz/contracts';
import type { ApiRoute } from './api-route';

// Terminus's answer: `status` and one entry per check in `info` (up) or `error` (down).
const ProbeCheckSchema = z.object({ status: z.string(), detail: z.string().optional() });
const ProbeSchema = z.object({
  status: z.enum(['ok', 'error']),
  info: z.record(z.string(), ProbeCheckSchema).optional(),
  error: z.record(z.string(), ProbeCheckSchema).optional(),
  details: z.record(z.string(), ProbeCheckSchema),
});
const probe = (path: string, summary: string): ApiRoute => ({
  method: 'get',
  path,
  summary,
  tag: 'health',
  status: 200,
  response: ProbeSchema,
  public: true,
});

export const SYSTEM_ROUTES: ApiRoute[] = [
  {
    method: 'get',
    path: '/health',
    summary: 'the readiness checks as one object per check (503 when one is down); same checks as /readyz',
    tag: 'health',
    status: 200,
    response: HealthSchema,
    public: true,
  },
  probe('/livez', 'liveness: the process answers (no dependency is checked)'),
  probe(
    '/readyz',
    'readiness: database, NATS, the streams, and on a runtime its mailbox leases (503 when one is down)',
  ),
  probe('/startupz', 'startup: answers once migrations ran and the process started'),
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
