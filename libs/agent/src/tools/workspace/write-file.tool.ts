import { z } from 'zod';
import { defineTool } from '../tool';
import { WorkspacePath, workspaceDirOf } from './workspace-tool';

export const writeFile = defineTool({
  name: 'write_file',
  description: 'create or overwrite a text file of your workspace',
  input: z.object({ path: WorkspacePath, content: z.string() }),
  needs: ['workspace'],
  handler: async ({ path, content }, ctx) => ({
    ok: true,
    path,
    bytes: await ctx.workspace.write(await workspaceDirOf(ctx), path, content),
  }),
});
