import { z } from 'zod';
import { MemoryMetadataSchema as Metadata } from '@wiz/contracts';
import { defineTool } from '../tool';

export const memoryQuery = defineTool({
  name: 'memory_query',
  description:
    'search your memory: by meaning (query), by metadata (filter: exact values), or both; newest first without a query',
  input: z.object({
    query: z.string().min(1).max(5_000).optional(),
    filter: Metadata.optional(),
    limit: z.int().min(1).max(50).default(5),
  }),
  needs: ['memory'],
  handler: async ({ query, filter, limit }, ctx) => ({
    items: await ctx.memory.query(ctx.agent, { query, filter, limit }),
  }),
});
