import { z } from 'zod';
import { defineTool } from '../tool';

// A child job that runs on its own: the caller goes on (unlike delegate_to_agent, it does not wait).
export const createSubjob = defineTool({
  name: 'create_subjob',
  description:
    'create a sub-job of this job for yourself or another agent (by name or id); you do not wait for it (see list_my_jobs)',
  input: z.object({
    input: z.string().min(1).max(50_000),
    agent: z.string().min(1).max(200).optional(),
    priority: z.int().min(-1_000).max(1_000).optional(),
    delaySec: z.int().min(0).max(86_400).optional(),
  }),
  needs: ['directory', 'guards', 'jobs'],
  handler: async ({ input, agent, priority, delaySec }, ctx) => {
    const slot = ctx.reserveChild();
    let target = ctx.agent;
    try {
      if (agent) target = await ctx.directory.resolve(ctx.job.ownerId, agent);
      await ctx.guards.checkChild(ctx.job, ctx.agent, target, slot.before);
    } catch (e) {
      slot.release();
      throw e;
    }
    const job = await ctx.jobs.submit(
      ctx.job.ownerId,
      {
        agentId: target.id,
        input,
        parentJobId: ctx.job.id,
        priority,
        delay: delaySec ? delaySec * 1_000 : undefined,
        idempotencyKey: `sub:${ctx.job.id}:${ctx.toolCallId}`,
      },
      ctx.job.traceId,
    );
    return { ok: true, jobId: job.id, agent: target.name, status: job.status };
  },
});
