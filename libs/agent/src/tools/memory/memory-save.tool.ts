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
