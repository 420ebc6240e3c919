import { z } from 'zod';
import { isTerminal } from '@wiz/contracts';
import { defineTool, ToolError } from '../tool';

export const setSubjobPriority = defineTool({
  name: 'set_subjob_priority',
  description: 'change the priority of one of your sub-jobs that has not started (higher runs first)',
  input: z.object({ jobId: z.uuid(), priority: z.int().min(-1_000).max(1_000) }),
  needs: ['jobs'],
  handler: async ({ jobId, priority }, ctx) => {
    for (;;) {
      const job = await ctx.jobs.find(ctx.job.ownerId, jobId);
      if (!job || job.parentJobId !== ctx.job.id) throw new ToolError(`job ${jobId} is not a sub-job of this job`);
      if (isTerminal(job.status) || job.status === 'active')
        throw new ToolError(`job ${jobId} is ${job.status}: its priority no longer matters`);
      // A compare-and-set on the job's revision: retried if the job moved meanwhile.
      if (await ctx.jobs.setPriority(job, priority)) {
        return { ok: true, jobId, priority };
      }
    }
  },
});
