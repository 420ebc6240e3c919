import { z } from 'zod';
import { defineTool } from '../tool';
import { globToRegExp } from './glob';
import { compileRegex } from './linear-regex';
import { MAX_MATCHES, workspaceDirOf } from './workspace-tool';

/** grep stops (truncated) after reading this much, or after this long. */
export const GREP_MAX_BYTES = 32 * 1024 * 1024;
export const GREP_MAX_MS = 10_000;

export const grepFiles = defineTool({
  name: 'grep',
  description: 'search the files of your workspace for a regular expression; optional glob filter',
  input: z.object({
    pattern: z.string().min(1).max(500),
    glob: z.string().min(1).max(500).optional(),
    ignoreCase: z.boolean().optional(),
  }),
  needs: ['workspace'],
  handler: async ({ pattern, glob, ignoreCase }, ctx) => {
    const re = compileRegex(pattern, ignoreCase);
    const only = glob ? globToRegExp(glob) : null;
    const dir = await workspaceDirOf(ctx);
    const matches: Array<{ path: string; line: number; text: string }> = [];
    const deadline = Date.now() + GREP_MAX_MS;
    let read = 0;
    let stopped = false;
    for (const f of await ctx.workspace.walk(dir)) {
      if (only && !only.test(f)) continue;
      if (read >= GREP_MAX_BYTES || Date.now() > deadline) {
        stopped = true;
        break;
      }
      const text = await ctx.workspace.read(dir, f).catch(() => null); // oversize: skipped
      read += text?.length ?? 0;
      text?.split('\n').forEach((line, i) => {
        if (matches.length < MAX_MATCHES && re.test(line))
          matches.push({ path: f, line: i + 1, text: line.slice(0, 300) });
      });
      if (matches.length >= MAX_MATCHES) break;
    }
    return { matches, truncated: stopped || matches.length >= MAX_MATCHES };
  },
});
