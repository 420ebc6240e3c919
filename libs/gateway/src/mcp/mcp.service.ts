import { Injectable, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { Agent, isUuid, WizError } from '@wiz/contracts';
import { JobsService } from '@wiz/queue';
import { AgentsRepository } from '@wiz/persistence';
import type { AuthContext } from '@wiz/platform';
import { toAgent } from '../agents/agent.mapper';
import { agentToolNames } from './agent-tools';
import { AgentJobRunner, JobOutcome } from './agent-job.runner';
import { McpCalls } from './mcp-calls';

const PAGE = 500;
/** Agents offered as tools per owner (the oldest first). */
export const MAX_AGENT_TOOLS = 2_000;
const TaskSchema = z.string().min(1).max(200_000).describe('what the agent should do, in plain words');

const text = (t: string, isError = false): CallToolResult => ({ content: [{ type: 'text', text: t }], isError });

// Wiz as an MCP server (streamable HTTP, stateless): each POST gets a new MCP server and transport,
// with the caller's agents as `ask_<name>` tools, so any gateway replica answers any request.
// A tool call runs one job (AgentJobRunner) and answers its result; progress notifications follow
// the job's events when the request carries a progress token; the request's end (the client's
// `notifications/cancelled`, or the connection closing) cancels the job.
@Injectable()
export class McpService {
  private readonly log = new Logger('McpServer');
  private readonly calls = new McpCalls();

  constructor(
    private readonly agents: AgentsRepository,
    private readonly jobs: JobsService,
    private readonly runner: AgentJobRunner,
  ) {}

  async handle(auth: AuthContext, req: Request, res: Response): Promise<void> {
    this.calls.cancelFrom(auth, req.body);
    const server = await this.serverFor(auth);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      // Also aborts the handlers still running: a client that hung up cancels its job.
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    try {
      await transport.handleRequest(req, res, req.body);
    } catch (e) {
      this.log.error(`MCP request failed: ${e instanceof Error ? e.message : String(e)}`);
      if (!res.headersSent)
        res.status(500).json({ jsonrpc: '2.0', error: { code: -32603, message: 'internal error' }, id: null });
    }
  }

  private async serverFor(auth: AuthContext): Promise<McpServer> {
    const server = new McpServer(
      { name: 'wiz', version: '1' },
      { instructions: 'Each ask_<agent> tool gives a task to one of your Wiz agents and answers with its result.' },
    );
    const tools = agentToolNames(await this.ownAgents(auth.ownerId));
    for (const [name, agent] of tools) {
      server.registerTool(
        name,
        {
          title: `Ask ${agent.name}`,
          description: `Give a task to the Wiz agent "${agent.name}" (${agent.role}) and wait for its answer.`,
          inputSchema: { task: TaskSchema },
        },
        async ({ task }, extra) => {
          const token = extra._meta?.progressToken;
          let n = 0;
          const progress = (message: string) => {
            if (token === undefined) return;
            const params = { progressToken: token, progress: ++n, message };
            extra.sendNotification({ method: 'notifications/progress', params }).catch(() => undefined);
          };
          const call = this.calls.open(auth, extra.requestId, extra.signal);
          try {
            return answer(await this.runner.run(auth.ownerId, agent.id, task, call.signal, progress));
          } finally {
            call.done();
          }
        },
      );
    }
    server.registerTool(
      'list_agents',
      { title: 'List agents', description: 'Your Wiz agents: their tool name, id, name, role and status.' },
      async () =>
        text(
          JSON.stringify(
            [...tools].map(([tool, a]) => ({ tool, id: a.id, name: a.name, role: a.role, status: a.status })),
          ),
        ),
    );
    server.registerTool(
      'get_job',
      {
        title: 'Get a job',
        description: 'A Wiz job by id: its status, progress, result or failure reason.',
        inputSchema: { jobId: z.string().describe('the job id (from a tool result)') },
      },
      async ({ jobId }) => {
        try {
          if (!isUuid(jobId)) throw new WizError('not_found', `job ${jobId} not found`);
          return text(JSON.stringify(await this.jobs.get(auth.ownerId, jobId)));
        } catch (e) {
          if (e instanceof WizError) return text(e.message, true);
          throw e;
        }
      },
    );
    return server;
  }

  private async ownAgents(ownerId: string): Promise<Agent[]> {
    const all: Agent[] = [];
    for (let offset = 0; offset < MAX_AGENT_TOOLS; offset += PAGE) {
      const [page] = await this.agents.list(ownerId, { limit: PAGE, offset });
      all.push(...page.map(toAgent));
      if (page.length < PAGE) break;
    }
    return all;
  }
}

function answer(o: JobOutcome): CallToolResult {
  const meta = { _meta: { 'wiz/jobId': o.jobId } };
  if (o.status === 'completed') return { ...text(o.text), ...meta };
  return { ...text(`job ${o.jobId} ${o.status}: ${o.reason}`, true), ...meta };
}
