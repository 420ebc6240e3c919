import { z } from 'zod';
import { ToolError, defineTool } from '../tool';

export const sendMessageToAgent = defineTool({
  name: 'send_message_to_agent',
  description: 'send a message to another agent (by name or id) without waiting: it becomes a job of theirs',
  input: z.object({ agent: z.string().min(1).max(200), message: z.string().min(1).max(50_000) }),
  needs: ['directory', 'jobs'],
  handler: async ({ agent, message }, ctx) => {
    const target = await ctx.directory.resolve(ctx.job.ownerId, agent);
    if (!ctx.directory.mayReach(ctx.agent, target)) throw new ToolError(`you may not message ${target.name}`);
    // Keyed by the calling job and tool call: a step run again after a crash sends it once.
    const job = await ctx.jobs.submit(
      ctx.job.ownerId,
      {
        agentId: target.id,
        input: message,
        data: { from: ctx.agent.name, fromJobId: ctx.job.id },
        idempotencyKey: `msg:${ctx.job.id}:${ctx.toolCallId}`,
      },
      ctx.job.traceId,
    );
    return { ok: true, agent: target.name, jobId: job.id };
  },
});
