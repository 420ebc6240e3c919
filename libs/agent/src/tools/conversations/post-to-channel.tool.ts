import { z } from 'zod';
import { WizError } from '@wiz/contracts';
import { ToolError, defineTool } from '../tool';

export const postToChannel = defineTool({
  name: 'post_to_channel',
  description:
    'post a message as yourself into a conversation (a channel or DM you take part in); without `channel`, into the conversation this job came from',
  input: z.object({ channel: z.uuid().optional(), message: z.string().min(1).max(20_000) }),
  needs: ['messages'],
  handler: async ({ channel, message }, ctx) => {
    const conversationId = channel ?? ctx.job.conversationId;
    if (!conversationId) throw new ToolError('this job came from no conversation: name the channel (its id)');
    try {
      const posted = await ctx.messages.postAsAgent(ctx.job.ownerId, conversationId, ctx.agent.id, {
        content: message,
        jobId: ctx.job.id,
        traceId: ctx.job.traceId,
      });
      return { ok: true, messageId: posted.id, conversationId };
    } catch (e) {
      // Not a participant (or no such conversation of this owner): a refusal the model can read.
      if (e instanceof WizError) throw new ToolError(`you cannot post in conversation ${conversationId}: ${e.message}`);
      throw e;
    }
  },
});
