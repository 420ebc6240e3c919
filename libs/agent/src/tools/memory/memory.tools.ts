import { z } from 'zod';
import { MemoryMetadataSchema as Metadata } from '@wiz/contracts';
import { defineTool } from '../tool';

export const memorySave = defineTool({
  name: 'memory_save',
  description:
    'save a text to your memory, with metadata (key → string/number/boolean) to filter on later; kept across jobs',
  input: z.object({ text: z.string().min(1).max(20_000), metadata: Metadata.optional() }),
  needs: ['memory'],
  handler: async ({ text, metadata }, ctx) => ({
    ok: true,
    ...(await ctx.memory.save(ctx.agent, ctx.job.id, text, metadata ?? {}, ctx.job.traceId)),
  }),
});

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
