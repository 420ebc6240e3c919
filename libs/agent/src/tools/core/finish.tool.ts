import { z } from 'zod';
import { defineTool } from '../tool';

export const finish = defineTool({
  name: 'finish',
  local: true,
  description: 'give your final answer; call it once, when you are done',
  input: z.object({ answer: z.string().min(1).max(200_000) }),
  handler: async ({ answer }) => ({ ok: true, answer }),
});
