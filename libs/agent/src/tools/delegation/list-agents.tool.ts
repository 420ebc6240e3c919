import { z } from 'zod';
import { defineTool } from '../tool';

export const listAgents = defineTool({
  name: 'list_agents',
  description: 'list the agents you work with: name, id, role, status, and whether you may delegate to them',
  input: z.object({}),
  needs: ['directory'],
  handler: async (_args, ctx) => {
    const agents = await ctx.directory.list(ctx.job.ownerId);
    return {
      agents: agents
        .filter((a) => a.id !== ctx.agent.id)
        .map((a) => ({
          id: a.id,
          name: a.name,
          role: a.role,
          status: a.status,
          mayDelegate: ctx.directory.mayReach(ctx.agent, a),
        })),
    };
  },
});
