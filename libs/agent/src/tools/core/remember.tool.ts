import { z } from 'zod';
import { defineTool } from '../tool';

export const remember = defineTool({
  name: 'remember',
  local: true,
  description: 'save a lesson or a fact to your long-term memory (kept for your next jobs)',
  input: z.object({ note: z.string().min(1).max(2_000), topic: z.string().min(1).max(200).optional() }),
  handler: async ({ note, topic }, ctx) => {
    ctx.state.learnings.push(topic ? `[${topic}] ${note}` : note);
    return { ok: true };
  },
});
