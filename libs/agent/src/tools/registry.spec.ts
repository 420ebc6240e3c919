import { z } from 'zod';
import { BUILT_IN_TOOL_NAMES, ToolAllowListSchema } from '@wiz/contracts';
import { toAiTools, toolsFor, TOOLS } from './registry';
import { defineTool, ToolContext, ToolError } from './tool';

describe(toAiTools.name, () => {
  const echo = defineTool({
    name: 'echo',
    description: 'echo',
    input: z.object({ n: z.int().min(1) }),
    handler: async ({ n }) => {
      if (n === 13) throw new ToolError('unlucky number');
      return { n };
    },
  });
  const sut = toAiTools([echo], () => ({}) as ToolContext);
  const run = (input: unknown) => sut['echo']!.execute!(input as never, { toolCallId: 't1', messages: [] });

  it('runs the handler with validated arguments', async () => {
    await expect(run({ n: 2 })).resolves.toEqual({ n: 2 });
  });

  it('answers invalid arguments with an error result, without running the handler', async () => {
    await expect(run({ n: 0 })).resolves.toEqual({ error: expect.stringContaining('invalid arguments for echo') });
  });

  it('turns a handler error into the tool result', async () => {
    await expect(run({ n: 13 })).resolves.toEqual({ error: 'unlucky number' });
  });
});

describe(toolsFor.name, () => {
  it('gives every tool by default, and the allow-list plus finish otherwise', () => {
    expect(toolsFor(null).map((t) => t.name)).toEqual(TOOLS.filter((t) => !t.optIn).map((t) => t.name));
    expect(toolsFor(['grep', 'unknown']).map((t) => t.name)).toEqual(['finish', 'grep']);
  });

  it('answers an allow-list glob of the most stars its schema takes (a regular expression took 85 s with 14)', () => {
    const glob = `a${'*'.repeat(98)}x`;
    expect(ToolAllowListSchema.safeParse([glob]).success).toBe(true);
    expect(toolsFor([glob]).map((t) => t.name)).toEqual(['finish']);
  });

  it('names each tool once, in snake_case', () => {
    const names = TOOLS.map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.every((n) => /^[a-z][a-z0-9_]*$/.test(n))).toBe(true);
  });

  it('is the list of built-in names the contracts check allow-lists and approval policies against', () => {
    expect([...TOOLS.map((t) => t.name)].sort()).toEqual([...BUILT_IN_TOOL_NAMES].sort());
  });
});
