import { Inject, Injectable, Logger } from '@nestjs/common';
import { z } from 'zod';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { WIZ_CONFIG, WizConfig } from '@wiz/config';
import { globMatcher, MCP_TOOL_SEPARATOR } from '@wiz/contracts';
import { agentToolName, mayNameServer, McpConnection, McpPool } from '@wiz/mcp';
import type { AgentEntity } from '@wiz/persistence';
import { defineTool, ToolError, WizTool } from '../tool';

const ArgsSchema = z.record(z.string(), z.unknown());

// The tools of the owner's MCP servers that an agent's allow-list names (`github__*`), as
// WizTools: the same registry and execution path as the built-in ones (argument parsing, errors
// as `{ error }`, tool.called / tool.result events, any gate put there). No allow-list, or one
// that names no server: no MCP tool and no connection.
@Injectable()
export class McpToolSource {
  private readonly log = new Logger('Mcp');

  constructor(
    private readonly pool: McpPool,
    @Inject(WIZ_CONFIG) private readonly config: WizConfig,
  ) {}

  async toolsFor(agent: AgentEntity): Promise<WizTool[]> {
    const allow = agent.tools;
    if (!allow?.some((p) => p.includes(MCP_TOOL_SEPARATOR) || p.includes('*'))) return [];
    const allowed = globMatcher(allow);
    const servers = (await this.pool.serversOf(agent.ownerId)).filter(
      (s) => mayNameServer(allow, s.name) && !this.pool.refusal(s),
    );
    const lists = await Promise.all(
      servers.map(async (s) => {
        const conn = this.pool.connection(s);
        try {
          await conn.ensure();
        } catch (e) {
          // Down now: its last known tools stay offered (a call tries again and, failing, tells
          // the model why); never reached: the job goes on without them.
          this.log.warn(`agent ${agent.id}: ${(e as Error).message}`);
        }
        return conn.tools
          .map((t) => this.toolOf(conn, t.name, t.description ?? t.title ?? t.name, t.inputSchema))
          .filter((t) => allowed(t.name));
      }),
    );
    return lists.flat();
  }

  private toolOf(conn: McpConnection, name: string, description: string, schema: object): WizTool {
    const server = conn.target.name;
    return defineTool({
      name: agentToolName(server, name),
      description: `${description} (MCP server ${server})`.slice(0, 1_024),
      input: ArgsSchema,
      jsonSchema: schema as Record<string, unknown>,
      handler: async (args, ctx) => {
        let result: CallToolResult;
        try {
          result = await conn.callTool(name, args, {
            signal: ctx.signal,
            timeoutMs: this.config.WIZ_MCP_CALL_TIMEOUT_MS,
          });
        } catch (e) {
          if (ctx.signal.aborted) throw e;
          throw new ToolError(`MCP server ${server} failed on ${name}: ${conn.describe(e)}`);
        }
        const text = textOf(result, this.config.WIZ_MCP_MAX_RESULT_CHARS);
        if (result.isError) throw new ToolError(`${name} (MCP server ${server}) reported an error: ${text}`);
        return { result: text };
      },
    }) as unknown as WizTool;
  }
}

/** A tool result as text for the model, cut at `max` characters (saying so). */
export function textOf(r: CallToolResult, max: number): string {
  const parts = (r.content ?? []).map((c) =>
    c.type === 'text' ? c.text : c.type === 'resource_link' ? `[resource ${c.uri}]` : `[${c.type} content]`,
  );
  if (!parts.length && r.structuredContent) parts.push(JSON.stringify(r.structuredContent));
  const text = parts.join('\n');
  return text.length > max ? `${text.slice(0, max)}\n[cut: the result had ${text.length} characters]` : text;
}
