import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';
import { LOCAL_OWNER } from '@wiz/platform';
import { JobExecutionService, JobsService } from '@wiz/queue';
import { AgentsService } from '@wiz/gateway';
import { McpToolSource } from '../libs/agent/src/tools/mcp/mcp.tools';
import { McpServersService } from '../libs/gateway/src/mcp-servers/mcp-servers.service';
import { startBenchServer } from './server';
import { BenchOptions, SuiteResult } from './suite';
import {
  Cleanup,
  deferred,
  deleteStreams,
  dropSchema,
  isolation,
  percentile,
  round,
  setFakeRules,
  startFakeLlm,
  within,
} from './support';

export interface McpBenchOptions extends BenchOptions {
  /** Tool calls measured each way (through the loop, and direct). */
  calls: number;
}

const WARMUP = 20;

// The cost Wiz adds to an MCP tool call, in one process as `npm start` runs it. A local MCP server
// (the official SDK, streamable HTTP with sessions, on a loopback port) offers an instant `echo`
// tool; one job at a time, the scripted model calls `bench__echo` and then answers. Measured per
// call, through the agent loop: the time from the AI SDK handing the tool call to the MCP tool's
// handler (McpToolSource: the pooled connection, the call with the job's signal and timeout, the
// result turned into text) to its result; and the same call made directly with an SDK Client
// (client.callTool, a connection of its own) at the same moment of each job, just before or just
// after Wiz's call (alternating). The figure is p50(through Wiz) − p50(direct): what Wiz's MCP
// path costs on top of the protocol itself.
export async function mcpBench(o: McpBenchOptions): Promise<SuiteResult> {
  const iso = isolation('mcp');
  const cleanup = new Cleanup();
  try {
    const echo = await startEchoServer();
    cleanup.add('stop the MCP echo server', echo.stop);
    const llm = await startFakeLlm();
    cleanup.add('stop fake-llm', llm.stop);
    cleanup.add(`drop schema ${iso.schema}`, () => dropSchema(iso.schema));
    cleanup.add(`delete streams ${iso.prefix}_*`, () => deleteStreams(iso.prefix));
    await setFakeRules(llm.baseUrl, [
      { match: { hasToolResult: false }, reply: { toolCalls: [{ name: 'bench__echo', arguments: { text: 'hi' } }] } },
      { match: { hasToolResult: true }, reply: { content: 'done' } },
    ]);
    const { app } = await startBenchServer(cleanup, iso, llm.baseUrl);
    await app.get(McpServersService).create(LOCAL_OWNER, { name: 'bench', transport: 'http', url: echo.url });

    const direct = new Client({ name: 'bench', version: '1.0.0' });
    await direct.connect(new StreamableHTTPClientTransport(new URL(echo.url)));
    cleanup.add('close the direct client', () => direct.close());
    const viaWiz: number[] = [];
    const directMs: number[] = [];
    timeMcpHandlers(app.get(McpToolSource), viaWiz, async () => {
      const t0 = performance.now();
      await direct.callTool({ name: 'echo', arguments: { text: 'hi' } });
      directMs.push(performance.now() - t0);
    });
    const execution = app.get(JobExecutionService);
    let done = deferred();
    const complete = execution.complete.bind(execution);
    execution.complete = async (job, result) => {
      const ok = await complete(job, result);
      setImmediate(done.resolve);
      return ok;
    };
    const agent = await app.get(AgentsService).create(LOCAL_OWNER, {
      name: 'Echoer',
      role: 'a benchmark agent',
      loop: { planning: false },
      tools: ['bench__echo'],
    });
    const jobs = app.get(JobsService);
    for (let i = 0; i < o.calls + WARMUP; i++) {
      done = deferred();
      await jobs.submit(LOCAL_OWNER, { agentId: agent.id, input: `echo ${i}` });
      await within(done.promise, 30_000);
      if (i === WARMUP - 1) {
        viaWiz.length = 0;
        directMs.length = 0;
      }
    }
    if (viaWiz.length !== o.calls)
      throw new Error(`expected ${o.calls} MCP calls through the loop, saw ${viaWiz.length}`);
    viaWiz.sort((a, b) => a - b);
    directMs.sort((a, b) => a - b);
    const wizP50 = percentile(viaWiz, 50);
    const directP50 = percentile(directMs, 50);
    return {
      figures: {
        'mcp.toolCallOverheadMsP50': round(wizP50 - directP50, 3),
        'mcp.toolCallMsP50': round(wizP50, 3),
        'mcp.directCallMsP50': round(directP50, 3),
      },
      context: { 'mcp: measured calls each way': o.calls, 'mcp: store': 'postgres' },
    };
  } finally {
    const errors = await cleanup.run();
    if (errors.length) console.error(`bench: cleanup incomplete:\n  ${errors.join('\n  ')}`);
  }
}

// Wraps the handler of every MCP tool the loop is given, to time each call as the loop makes it,
// and to make the direct call at the same moment of the loop (before it on even calls, after it on
// odd ones), so both see the same background work of the process (events, the store, the model).
function timeMcpHandlers(source: McpToolSource, viaWiz: number[], direct: () => Promise<void>): void {
  const toolsFor = source.toolsFor.bind(source);
  let n = 0;
  source.toolsFor = async (agent) =>
    (await toolsFor(agent)).map((t) => ({
      ...t,
      handler: async (args, ctx) => {
        const directFirst = n++ % 2 === 0;
        if (directFirst) await direct();
        const t0 = performance.now();
        try {
          return await t.handler(args, ctx);
        } finally {
          viaWiz.push(performance.now() - t0);
          if (!directFirst) await direct();
        }
      },
    }));
}

/**
 * An MCP server with one instant tool, `echo`, over streamable HTTP with sessions on loopback;
 * `onCall` runs as the tool's handler starts.
 */
export async function startEchoServer(onCall?: () => void): Promise<{ url: string; stop: () => Promise<void> }> {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const id = req.headers['mcp-session-id'];
    const known = typeof id === 'string' ? sessions.get(id) : undefined;
    if (known) return known.handleRequest(req, res);
    if (req.method !== 'POST' || id) return void res.writeHead(id ? 404 : 400).end();
    const server = new McpServer({ name: 'bench', version: '1.0.0' });
    server.registerTool(
      'echo',
      { description: 'echoes its text', inputSchema: { text: z.string() } },
      async ({ text }) => {
        onCall?.();
        return { content: [{ type: 'text', text }] };
      },
    );
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (sid) => void sessions.set(sid, transport),
    });
    await server.connect(transport);
    await transport.handleRequest(req, res);
  };
  const http: Server = createServer((req, res) => void handle(req, res));
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`,
    stop: async () => {
      for (const t of sessions.values()) await t.close().catch(() => undefined);
      http.closeAllConnections();
      http.close();
      await once(http, 'close');
    },
  };
}
