import { z } from 'zod';
import { defineTool } from '../tool';
import { globToRegExp } from './glob';
import { MAX_MATCHES, workspaceDirOf } from './workspace-tool';

export const globFiles = defineTool({
  name: 'glob',
  description: 'find files of your workspace by a glob pattern (e.g. "src/**/*.md")',
  input: z.object({ pattern: z.string().min(1).max(500) }),
  needs: ['workspace'],
  handler: async ({ pattern }, ctx) => {
    const re = globToRegExp(pattern);
    const files = (await ctx.workspace.walk(await workspaceDirOf(ctx))).filter((f) => re.test(f));
    return { files: files.slice(0, MAX_MATCHES), truncated: files.length > MAX_MATCHES };
  },
});
