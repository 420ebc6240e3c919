import type { ApiRoute } from './routes/api-route';
import { SYSTEM_ROUTES } from './routes/system.routes';
import { AGENTS_ROUTES } from './routes/agents.routes';
import { JOBS_ROUTES } from './routes/jobs.routes';
import { SCHEDULES_ROUTES } from './routes/schedules.routes';
import { TASKS_ROUTES } from './routes/tasks.routes';
import { CONVERSATIONS_ROUTES } from './routes/conversations.routes';
import { KEYS_ROUTES } from './routes/keys.routes';
import { MEMORY_ROUTES } from './routes/memory.routes';
import { PROVIDERS_ROUTES } from './routes/providers.routes';
import { USAGE_ROUTES } from './routes/usage.routes';
import { MCP_SERVERS_ROUTES } from './routes/mcp-servers.routes';
import { MCP_ROUTES } from './routes/mcp.routes';
import { HUMAN_INPUT_ROUTES } from './routes/human-input.routes';
import { WEBHOOKS_ROUTES } from './routes/webhooks.routes';

export type { ApiRoute } from './routes/api-route';

// Every REST route, one file per feature under routes/: the source of the OpenAPI document.
// A test checks this table against the routes the app really registers.
export const API_ROUTES: ApiRoute[] = [
  ...SYSTEM_ROUTES,
  ...AGENTS_ROUTES,
  ...JOBS_ROUTES,
  ...SCHEDULES_ROUTES,
  ...TASKS_ROUTES,
  ...CONVERSATIONS_ROUTES,
  ...KEYS_ROUTES,
  ...MEMORY_ROUTES,
  ...PROVIDERS_ROUTES,
  ...USAGE_ROUTES,
  ...MCP_SERVERS_ROUTES,
  ...MCP_ROUTES,
  ...HUMAN_INPUT_ROUTES,
  ...WEBHOOKS_ROUTES,
];
