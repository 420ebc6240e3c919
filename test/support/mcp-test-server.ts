import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

export const BIG_RESULT_CHARS = 200_000;

/** The tools every test server offers: quick, slow, failing, and one with a large result. */
export function registerTestTools(server: McpServer, calls: string[] = []): void {
  server.registerTool(
    'echo',
    { description: 'echoes its text', inputSchema: { text: z.string() } },
    async ({ text }) => (calls.push(`echo:${text}`), { content: [{ type: 'text', text: `echo: ${text}` }] }),
  );
  server.registerTool(
    'slow',
    { description: 'answers after ms milliseconds', inputSchema: { ms: z.number() } },
    async ({ ms }, extra) => {
      calls.push(`slow:${ms}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, ms);
        extra.signal.addEventListener('abort', () => (calls.push(`slow-aborted:${ms}`), clearTimeout(t), resolve()));
      });
      return { content: [{ type: 'text', text: `slept ${ms} ms` }] };
    },
  );
  server.registerTool('fail', { description: 'always fails' }, async () => {
    calls.push('fail');
    throw new Error('the fail tool failed on purpose');
  });
  server.registerTool('big', { description: 'a large result' }, async () => {
    calls.push('big');
    return { content: [{ type: 'text', text: 'x'.repeat(BIG_RESULT_CHARS) }] };
  });
}

// A real MCP server (the official SDK) over streamable HTTP on a loopback port, with sessions so
// that it can push `notifications/tools/list_changed`. Records calls and request headers.
export class McpTestServer {
  readonly calls: string[] = [];
  readonly headers: Array<Record<string, string | string[] | undefined>> = [];
  private http?: Server;
  private readonly sessions = new Map<string, { server: McpServer; transport: StreamableHTTPServerTransport }>();
  private readonly extra: string[] = [];

  get url(): string {
    return `http://127.0.0.1:${(this.http!.address() as AddressInfo).port}/mcp`;
  }

  async start(port = 0): Promise<string> {
    this.http = createServer((req, res) => void this.handle(req, res));
    this.http.listen(port, '127.0.0.1');
    await once(this.http, 'listening');
    return this.url;
  }

  async stop(): Promise<void> {
    for (const s of this.sessions.values()) await s.server.close().catch(() => undefined);
    this.sessions.clear();
    if (!this.http) return;
    this.http.closeAllConnections();
    this.http.close();
    await once(this.http, 'close');
    this.http = undefined;
  }

  /** Adds a tool to every session (and later ones): the SDK sends tools/list_changed. */
  addTool(name: string): void {
    this.extra.push(name);
    for (const s of this.sessions.values()) this.register(s.server, name);
  }

  private register(server: McpServer, name: string): void {
    server.registerTool(name, { description: `added later: ${name}` }, async () => ({
      content: [{ type: 'text', text: `${name} ran` }],
    }));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.headers.push(req.headers);
    const id = req.headers['mcp-session-id'];
    const existing = typeof id === 'string' ? this.sessions.get(id) : undefined;
    if (existing) return existing.transport.handleRequest(req, res);
    // An unknown session (e.g. after a restart) is a 404: the client starts a new one.
    if (req.method !== 'POST' || id) {
      res.writeHead(id ? 404 : 400).end();
      return;
    }
    const server = new McpServer({ name: 'probe', version: '1.0.0' });
    registerTestTools(server, this.calls);
    for (const name of this.extra) this.register(server, name);
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (sid) => void this.sessions.set(sid, { server, transport }),
    });
    await server.connect(transport);
    await transport.handleRequest(req, res);
  }
}
