import { z } from 'zod';
import { defineTool } from '../tool';

export const reportProgress = defineTool({
  name: 'report_progress',
  description: 'report how far the job is (0–100) so the user can follow it',
  input: z.object({ percent: z.number().min(0).max(100), note: z.string().max(500).optional() }),
  handler: async ({ percent }, ctx) => {
    await ctx.progress(percent);
    return { ok: true, progress: Math.round(percent) };
  },
});
