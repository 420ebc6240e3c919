import { z } from 'zod';
import { ToolError, defineTool } from '../tool';

export const sendMessageToAgent = defineTool({
  name: 'send_message_to_agent',
  description: 'send a message to another agent (by name or id) without waiting: it becomes a job of theirs',
  input: z.object({ agent: z.string().min(1).max(200), message: z.string().min(1).max(50_000) }),
  needs: ['directory', 'jobs', 'config'],
  handler: async ({ agent, message }, ctx) => {
    const target = await ctx.directory.resolve(ctx.job.ownerId, agent);
    if (!ctx.directory.mayReach(ctx.agent, target)) throw new ToolError(`you may not message ${target.name}`);
    // A message is a job that may send messages: the hops of a chain (A→B→A→…, or an agent
    // messaging itself) are carried in the job's data and bounded like delegation depth.
    const hops = messageHopsOf(ctx.job.data) + 1;
    const max = ctx.config.WIZ_DELEGATION_MAX_DEPTH;
    if (hops > max)
      throw new ToolError(
        `this job is the answer to a chain of ${hops - 1} messages: at most ${max} (WIZ_DELEGATION_MAX_DEPTH); answer with finish instead`,
      );
    // Keyed by the calling job and tool call: a step run again after a crash sends it once.
    const job = await ctx.jobs.submit(
      ctx.job.ownerId,
      {
        agentId: target.id,
        input: message,
        data: { from: ctx.agent.name, fromJobId: ctx.job.id, messageHops: hops },
        idempotencyKey: `msg:${ctx.job.id}:${ctx.toolCallId}`,
      },
      ctx.job.traceId,
    );
    return { ok: true, agent: target.name, jobId: job.id };
  },
});

/** How many messages led to a job (0 for one a person or a schedule created). */
export function messageHopsOf(data: Record<string, unknown> | null | undefined): number {
  const hops = data?.messageHops;
  return typeof hops === 'number' && Number.isInteger(hops) && hops > 0 ? hops : 0;
}
