import { z } from 'zod';
import { defineTool } from '../tool';
import { clip } from '@wiz/contracts';

export const listMyJobs = defineTool({
  name: 'list_my_jobs',
  description: 'list the child jobs of this job (sub-jobs and delegations): status, priority, result or failure',
  input: z.object({}),
  needs: ['jobs'],
  handler: async (_args, ctx) => {
    const children = await ctx.jobs.childrenOf(ctx.job.ownerId, ctx.job.id);
    return {
      jobs: children.map((j) => ({
        id: j.id,
        agentId: j.agentId,
        input: clip(j.input, 200),
        status: j.status,
        priority: j.priority,
        progress: j.progress,
        result: clip(j.result?.text, 500),
        failureReason: j.failureReason,
      })),
    };
  },
});
