import type { z } from 'zod';

/**
 * The built-in tools' names, for the contracts that name tools (an agent's allow-list, approval
 * policies): the gateway checks them without loading the tools (libs/agent's registry, whose spec
 * keeps the two lists equal).
 */
export const BUILT_IN_TOOL_NAMES: readonly string[] = [
  'ask_agent',
  'ask_human',
  'create_subjob',
  'delegate_to_agent',
  'edit_file',
  'finish',
  'glob',
  'grep',
  'list_agents',
  'list_dir',
  'list_my_jobs',
  'memory_query',
  'memory_save',
  'post_to_channel',
  'read_file',
  'remember',
  'report_progress',
  'send_message_to_agent',
  'set_subjob_priority',
  'todo_read',
  'todo_write',
  'wait_for_signal',
  'write_file',
];
const BUILT_IN = new Set(BUILT_IN_TOOL_NAMES);

/** Between an MCP server's name and its tool's in the name agents see (`github__create_issue`). */
export const MCP_TOOL_SEPARATOR = '__';

/**
 * A plain name (no glob character, no `server__` prefix of an MCP tool) that is no built-in tool:
 * a typo that would otherwise allow, or gate, nothing. Globs and MCP names are not checked (an MCP
 * server's tools are known only once it is reached, and it may be added later).
 */
export const isUnknownToolName = (name: string): boolean =>
  !/[*?]/.test(name) && !name.includes(MCP_TOOL_SEPARATOR) && !BUILT_IN.has(name);

/** Adds an issue for each unknown tool name of `names` (see isUnknownToolName), at `path(name)`. */
export function checkToolNames(
  names: readonly string[],
  ctx: z.RefinementCtx,
  path: (name: string, i: number) => PropertyKey[],
): void {
  names.forEach((name, i) => {
    if (isUnknownToolName(name)) {
      ctx.addIssue({
        code: 'custom',
        path: path(name, i),
        message: `unknown tool "${name}": a built-in tool (${BUILT_IN_TOOL_NAMES.join(', ')}), an MCP server's tool as server__tool, or a glob`,
      });
    }
  });
}
