import { randomUUID } from 'node:crypto';
import type { AgentEntity } from '@wiz/persistence';
import type { ToolContext } from '../tool';

// delegate_to_agent and ask_agent: check the guards, then ask the run to park after this step on
// a new child job for the target. The child is created with the park, in one transaction; its
// result replaces this placeholder when the job resumes.
export async function parkOn(
  ctx: ToolContext<'directory' | 'guards'>,
  tool: string,
  ref: string,
  input: string,
  data: Record<string, unknown> | null,
  deadline: Date | null,
): Promise<unknown> {
  const slot = ctx.reserveChild();
  try {
    const target = await ctx.directory.resolve(ctx.job.ownerId, ref);
    await ctx.guards.checkChild(ctx.job, ctx.agent, target, slot.before);
    return request(ctx, tool, target, input, data, deadline);
  } catch (e) {
    slot.release();
    throw e;
  }
}

function request(
  ctx: ToolContext,
  tool: string,
  target: AgentEntity,
  input: string,
  data: Record<string, unknown> | null,
  deadline: Date | null,
) {
  const childJobId = randomUUID();
  ctx.park({ toolCallId: ctx.toolCallId, tool, target, input, data, childJobId, deadline });
  return {
    status: 'waiting',
    agent: target.name,
    childJobId,
    ...(deadline ? { deadline: deadline.toISOString() } : {}),
  };
}
