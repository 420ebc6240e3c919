import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { MCP_TOOL_SEPARATOR as SEPARATOR, type McpToolInfo } from '@wiz/contracts';

const MAX_NAME = 64; // what model APIs accept for a tool name

/** The name agents see: `<server>__<tool>`, in the characters model APIs accept. */
export const agentToolName = (server: string, tool: string): string =>
  `${server}${SEPARATOR}${tool.replace(/[^A-Za-z0-9_-]/g, '_')}`.slice(0, MAX_NAME);

export const toolInfosOf = (server: string, tools: readonly Tool[]): McpToolInfo[] =>
  tools.map((t) => ({
    name: agentToolName(server, t.name),
    serverTool: t.name,
    description: t.description ?? t.title ?? t.name,
    inputSchema: t.inputSchema as Record<string, unknown>,
  }));

/** Whether some pattern could name a tool of this server (`<server>__…`): its literal start fits. */
export const mayNameServer = (patterns: readonly string[], server: string): boolean =>
  patterns.some((p) => {
    const prefix = `${server}${SEPARATOR}`;
    const star = p.indexOf('*');
    if (star < 0) return p.startsWith(prefix);
    const literal = p.slice(0, star);
    return literal.startsWith(prefix) || prefix.startsWith(literal);
  });
