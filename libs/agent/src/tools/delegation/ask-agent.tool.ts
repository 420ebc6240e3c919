import { z } from 'zod';
import { defineTool } from '../tool';
import { parkOn } from './park';

export const askAgent = defineTool({
  name: 'ask_agent',
  description: 'ask another agent (by name or id) a question and wait for its answer at most timeoutSec seconds',
  input: z.object({
    agent: z.string().min(1).max(200),
    question: z.string().min(1).max(50_000),
    timeoutSec: z.int().min(1).max(86_400).optional(),
  }),
  needs: ['directory', 'guards', 'config'],
  handler: ({ agent, question, timeoutSec }, ctx) => {
    const deadline = new Date(Date.now() + (timeoutSec ?? ctx.config.WIZ_ASK_TIMEOUT_SEC) * 1_000);
    return parkOn(ctx, 'ask_agent', agent, question, { askedBy: ctx.agent.name, parentJobId: ctx.job.id }, deadline);
  },
});
