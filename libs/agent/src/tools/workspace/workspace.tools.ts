import { promises as fs } from 'node:fs';
import { z } from 'zod';
import { defineTool, ToolContext, ToolError } from '../tool';
import { globToRegExp } from './glob';

const Path = z.string().min(1).max(1_000);
const dirOf = (ctx: ToolContext<'workspace'>) => ctx.workspace.dirOf(ctx.job.ownerId, ctx.agent.id);
const MAX_MATCHES = 200;

// The workspace tools: files in the agent's own directory (see workspace.ts for the rules).
export const readFile = defineTool({
  name: 'read_file',
  description: 'read a text file of your workspace (path relative to it)',
  input: z.object({ path: Path }),
  needs: ['workspace'],
  handler: async ({ path }, ctx) => ({ path, content: await ctx.workspace.read(await dirOf(ctx), path) }),
});

export const writeFile = defineTool({
  name: 'write_file',
  description: 'create or overwrite a text file of your workspace',
  input: z.object({ path: Path, content: z.string() }),
  needs: ['workspace'],
  handler: async ({ path, content }, ctx) => ({
    ok: true,
    path,
    bytes: await ctx.workspace.write(await dirOf(ctx), path, content),
  }),
});

export const editFile = defineTool({
  name: 'edit_file',
  description: 'replace one exact occurrence of oldText by newText in a file of your workspace',
  input: z.object({ path: Path, oldText: z.string().min(1), newText: z.string() }),
  needs: ['workspace'],
  handler: async ({ path, oldText, newText }, ctx) => {
    const dir = await dirOf(ctx);
    const content = await ctx.workspace.read(dir, path);
    const at = content.indexOf(oldText);
    if (at < 0) throw new ToolError(`oldText not found in "${path}"`);
    if (content.indexOf(oldText, at + 1) >= 0)
      throw new ToolError(`oldText occurs more than once in "${path}": give more of the text around it`);
    await ctx.workspace.write(dir, path, content.slice(0, at) + newText + content.slice(at + oldText.length));
    return { ok: true, path };
  },
});

export const listDir = defineTool({
  name: 'list_dir',
  description: 'list a directory of your workspace ("." for its top)',
  input: z.object({ path: Path.default('.') }),
  needs: ['workspace'],
  handler: async ({ path }, ctx) => {
    const full = await ctx.workspace.resolve(await dirOf(ctx), path);
    const entries = await fs.readdir(full, { withFileTypes: true }).catch((e: NodeJS.ErrnoException) => {
      throw e.code === 'ENOENT' || e.code === 'ENOTDIR' ? new ToolError(`"${path}" is not a directory`) : e;
    });
    return {
      path,
      entries: entries.map((e) => ({ name: e.name, type: e.isDirectory() ? 'dir' : e.isFile() ? 'file' : 'other' })),
    };
  },
});

export const globFiles = defineTool({
  name: 'glob',
  description: 'find files of your workspace by a glob pattern (e.g. "src/**/*.md")',
  input: z.object({ pattern: z.string().min(1).max(500) }),
  needs: ['workspace'],
  handler: async ({ pattern }, ctx) => {
    const re = globToRegExp(pattern);
    const files = (await ctx.workspace.walk(await dirOf(ctx))).filter((f) => re.test(f));
    return { files: files.slice(0, MAX_MATCHES), truncated: files.length > MAX_MATCHES };
  },
});

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
    let re: RegExp;
    try {
      re = new RegExp(pattern, ignoreCase ? 'i' : '');
    } catch (e) {
      throw new ToolError(`invalid regular expression: ${(e as Error).message}`);
    }
    const only = glob ? globToRegExp(glob) : null;
    const dir = await dirOf(ctx);
    const matches: Array<{ path: string; line: number; text: string }> = [];
    for (const f of await ctx.workspace.walk(dir)) {
      if (only && !only.test(f)) continue;
      const text = await ctx.workspace.read(dir, f).catch(() => null); // oversize: skipped
      text?.split('\n').forEach((line, i) => {
        if (matches.length < MAX_MATCHES && re.test(line))
          matches.push({ path: f, line: i + 1, text: line.slice(0, 300) });
      });
      if (matches.length >= MAX_MATCHES) break;
    }
    return { matches, truncated: matches.length >= MAX_MATCHES };
  },
});
