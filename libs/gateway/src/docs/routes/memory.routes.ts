import { z } from 'zod';
import {
  AdjustBehaviorOfSchema,
  AgentSchema,
  MemoryItemSchema,
  MemoryQuerySchema,
  SaveMemorySchema,
} from '@wiz/contracts';
import type { ApiRoute } from './api-route';

export const MEMORY_ROUTES: ApiRoute[] = [
  {
    method: 'post',
    path: '/api/v1/memory/save',
    summary: "save a text (and metadata) to an agent's memory; embedded for search by meaning",
    tag: 'memory',
    body: SaveMemorySchema,
    status: 201,
    response: z.object({ id: z.uuid(), embedded: z.boolean() }),
  },
  {
    method: 'get',
    path: '/api/v1/memory/query',
    summary: "an agent's memory items by meaning (query) and/or metadata (filter, a JSON object)",
    tag: 'memory',
    query: MemoryQuerySchema,
    status: 200,
    response: z.object({ items: z.array(MemoryItemSchema) }),
  },
  {
    method: 'post',
    path: '/api/v1/behavior/adjust',
    summary: 'merge behavior rules into an agent (POST /agents/:id/behavior with the agent in the body)',
    tag: 'agents',
    body: AdjustBehaviorOfSchema,
    status: 200,
    response: AgentSchema,
  },
];
