import { z } from 'zod';
import { defineTool } from '../tool';

export const finish = defineTool({
  name: 'finish',
  description: 'give your final answer; call it once, when you are done',
  input: z.object({ answer: z.string().min(1).max(200_000) }),
  handler: async ({ answer }) => ({ ok: true, answer }),
});
