import { z } from 'zod';
import { defineTool } from '../tool';
import { parkOn } from './park';

export const delegateToAgent = defineTool({
  name: 'delegate_to_agent',
  description:
    "hand a task to another agent (by name or id) and wait for its result, which comes back as this tool's result; your job pauses meanwhile",
  input: z.object({
    agent: z.string().min(1).max(200),
    task: z.string().min(1).max(50_000),
    context: z.string().max(50_000).optional(),
  }),
  needs: ['directory', 'guards'],
  handler: ({ agent, task, context }, ctx) =>
    parkOn(
      ctx,
      'delegate_to_agent',
      agent,
      context ? `${task}\n\nContext:\n${context}` : task,
      { delegatedBy: ctx.agent.name, parentJobId: ctx.job.id },
      null,
    ),
});
