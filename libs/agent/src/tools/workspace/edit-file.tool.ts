import { z } from 'zod';
import { defineTool, ToolError } from '../tool';
import { WorkspacePath, workspaceDirOf } from './workspace-tool';

export const editFile = defineTool({
  name: 'edit_file',
  description: 'replace one exact occurrence of oldText by newText in a file of your workspace',
  input: z.object({ path: WorkspacePath, oldText: z.string().min(1), newText: z.string() }),
  needs: ['workspace'],
  handler: async ({ path, oldText, newText }, ctx) => {
    const dir = await workspaceDirOf(ctx);
    const content = await ctx.workspace.read(dir, path);
    const at = content.indexOf(oldText);
    if (at < 0) throw new ToolError(`oldText not found in "${path}"`);
    if (content.indexOf(oldText, at + 1) >= 0)
      throw new ToolError(`oldText occurs more than once in "${path}": give more of the text around it`);
    await ctx.workspace.write(dir, path, content.slice(0, at) + newText + content.slice(at + oldText.length));
    return { ok: true, path };
  },
});
