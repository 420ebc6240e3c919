import { z } from 'zod';
import { defineTool } from '../tool';

export const askHuman = defineTool({
  name: 'ask_human',
  description:
    'ask a person a question (optionally with choices) and wait for the answer, at most timeoutSec seconds; the answer is the result',
  input: z.object({
    question: z.string().min(1).max(10_000),
    choices: z.array(z.string().min(1).max(200)).min(2).max(20).optional(),
    timeoutSec: z
      .int()
      .min(1)
      .max(30 * 86_400)
      .optional(),
  }),
  needs: ['config'],
  handler: async ({ question, choices, timeoutSec }, ctx) => {
    const deadline = new Date(Date.now() + (timeoutSec ?? ctx.config.WIZ_ASK_TIMEOUT_SEC) * 1_000);
    const { waitId } = ctx.waitFor({
      kind: 'question',
      arguments: null,
      inputSchema: null,
      reason: question,
      choices: choices ?? null,
      signal: null,
      deadline,
      onTimeout: 'reject',
    });
    return { status: 'waiting-answer', waitId, deadline: deadline.toISOString() };
  },
});
