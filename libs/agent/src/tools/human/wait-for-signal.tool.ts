import { z } from 'zod';
import { SignalNameSchema } from '@wiz/contracts';
import { defineTool } from '../tool';

export const waitForSignal = defineTool({
  name: 'wait_for_signal',
  description:
    'wait until the outside world sends the signal `name` to this job (POST /api/v1/jobs/<job>/signals/<name>) or timeoutSec seconds pass; its payload is the result',
  input: z.object({
    name: SignalNameSchema,
    timeoutSec: z
      .int()
      .min(1)
      .max(30 * 86_400),
  }),
  handler: async ({ name, timeoutSec }, ctx) => {
    const deadline = new Date(Date.now() + timeoutSec * 1_000);
    const { waitId } = ctx.waitFor({
      kind: 'signal',
      arguments: null,
      inputSchema: null,
      reason: `signal ${name}`,
      choices: null,
      signal: name,
      deadline,
      onTimeout: 'reject',
    });
    return { status: 'waiting-signal', waitId, signal: name, deadline: deadline.toISOString() };
  },
});
