import { promises as fs } from 'node:fs';
import { z } from 'zod';
import { defineTool, ToolError } from '../tool';
import { WorkspacePath, workspaceDirOf } from './workspace-tool';

export const listDir = defineTool({
  name: 'list_dir',
  description: 'list a directory of your workspace ("." for its top)',
  input: z.object({ path: WorkspacePath.default('.') }),
  needs: ['workspace'],
  handler: async ({ path }, ctx) => {
    const full = await ctx.workspace.resolve(await workspaceDirOf(ctx), path);
    const entries = await fs.readdir(full, { withFileTypes: true }).catch((e: NodeJS.ErrnoException) => {
      throw e.code === 'ENOENT' || e.code === 'ENOTDIR' ? new ToolError(`"${path}" is not a directory`) : e;
    });
    return {
      path,
      entries: entries.map((e) => ({ name: e.name, type: e.isDirectory() ? 'dir' : e.isFile() ? 'file' : 'other' })),
    };
  },
});
