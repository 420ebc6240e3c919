import { z } from 'zod';
import { defineTool } from '../tool';
import { WorkspacePath, workspaceDirOf } from './workspace-tool';

export const readFile = defineTool({
  name: 'read_file',
  description: 'read a text file of your workspace (path relative to it)',
  input: z.object({ path: WorkspacePath }),
  needs: ['workspace'],
  handler: async ({ path }, ctx) => ({ path, content: await ctx.workspace.read(await workspaceDirOf(ctx), path) }),
});
