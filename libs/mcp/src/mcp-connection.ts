import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { SseError } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { CallToolResult, McpError, Tool } from '@modelcontextprotocol/sdk/types.js';
import { guardedFetch, UrlPolicy, UrlRefused } from '@wiz/net';

/** A server as the runtime connects to it: its configuration with the secrets opened. */
export interface McpTarget {
  id: string;
  ownerId: string;
  name: string;
  transport: 'http' | 'stdio';
  url: string | null;
  command: string | null;
  args: string[];
  headers: Record<string, string>;
  env: Record<string, string>;
  /** Changes when the server's configuration does (its updatedAt): a new connection then. */
  revision: number;
}

export interface ConnectOptions {
  connectTimeoutMs: number;
  /** Which addresses HTTP requests may reach (checked on each request and redirect hop). */
  urlPolicy: UrlPolicy;
}

export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'failed' | 'closed';

// One pooled connection to an MCP server: connects on demand (streamable HTTP, falling back to
// SSE; or a child process over stdio), keeps its tool list fresh on `notifications/tools/
// list_changed`, and is rebuilt on next use after the transport closed.
export class McpConnection {
  state: ConnectionState = 'idle';
  tools: Tool[] = [];
  lastError?: string;
  lastUsed = Date.now();
  private client?: Client;
  private connecting?: Promise<Client>;

  constructor(
    readonly target: McpTarget,
    private readonly options: ConnectOptions,
  ) {}

  /** The connected client (connecting now if needed). */
  ensure(): Promise<Client> {
    this.lastUsed = Date.now();
    if (this.client && this.state === 'connected') return Promise.resolve(this.client);
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  async callTool(
    name: string,
    args: Record<string, unknown>,
    opts: { signal?: AbortSignal; timeoutMs: number },
  ): Promise<CallToolResult> {
    const call = async () =>
      (await (
        await this.ensure()
      ).callTool({ name, arguments: args }, undefined, {
        signal: opts.signal,
        timeout: opts.timeoutMs,
        maxTotalTimeout: opts.timeoutMs,
      })) as CallToolResult;
    try {
      return await call();
    } catch (e) {
      if (e instanceof McpError) throw e; // the server answered: the connection is fine
      // The transport failed: reconnect on next use. A server that no longer knows our session
      // (404, e.g. it restarted) did not run the call: reconnect and send it once more.
      await this.drop();
      if (e instanceof StreamableHTTPError && e.code === 404) return call();
      throw e;
    }
  }

  private async drop(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (this.state === 'connected') this.state = 'idle';
    await c?.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.state = 'closed';
    const c = this.client;
    this.client = undefined;
    await c?.close().catch(() => undefined);
  }

  /** A message without secrets (header and env values scrubbed) nor upstream bodies. */
  describe(e: unknown): string {
    // An upstream body is not echoed (it may hold anything): its status only.
    let m =
      e instanceof StreamableHTTPError || e instanceof SseError
        ? e.code && e.code > 0
          ? `the server answered HTTP ${e.code}`
          : 'the server closed the connection or answered something else than MCP'
        : e instanceof Error
          ? e.message
          : String(e);
    for (const v of [...Object.values(this.target.headers), ...Object.values(this.target.env)])
      if (v.length >= 4) m = m.split(v).join('***');
    return m.length > 500 ? `${m.slice(0, 500)}…` : m;
  }

  private async connect(): Promise<Client> {
    this.state = 'connecting';
    try {
      const client = await this.open();
      this.client = client;
      client.onclose = () => {
        if (this.client === client) {
          this.client = undefined;
          if (this.state === 'connected') this.state = 'idle';
        }
      };
      this.tools = (await client.listTools(undefined, { timeout: this.options.connectTimeoutMs })).tools;
      this.state = 'connected';
      this.lastError = undefined;
      return client;
    } catch (e) {
      this.state = 'failed';
      this.lastError = this.describe(e);
      await this.client?.close().catch(() => undefined);
      this.client = undefined;
      throw new Error(`cannot reach MCP server ${this.target.name}: ${this.lastError}`);
    }
  }

  private newClient(): Client {
    return new Client(
      { name: 'wiz', version: '0.1.0' },
      {
        listChanged: {
          tools: {
            onChanged: (error, tools) => {
              if (!error && tools) this.tools = tools;
            },
          },
        },
      },
    );
  }

  private async open(): Promise<Client> {
    const t = this.target;
    const timeout = { timeout: this.options.connectTimeoutMs };
    if (t.transport === 'stdio') {
      const client = this.newClient();
      const transport = new StdioClientTransport({
        command: t.command!,
        args: t.args,
        env: { ...getDefaultEnvironment(), ...t.env },
        stderr: 'ignore',
      });
      await client.connect(transport, timeout);
      return client;
    }
    const url = new URL(t.url!);
    const http = {
      requestInit: { headers: t.headers },
      fetch: this.options.urlPolicy.guard ? guardedFetch(this.options.urlPolicy) : undefined,
    };
    const attempt = async (transport: Transport) => {
      const client = this.newClient();
      this.client = client;
      await client.connect(transport, timeout);
      return client;
    };
    try {
      return await attempt(new StreamableHTTPClientTransport(url, http));
    } catch (e) {
      // An older server speaks the HTTP+SSE transport: the SDK's documented fallback.
      if (refused(e)) throw e;
      await this.client?.close().catch(() => undefined);
      return attempt(new SSEClientTransport(url, http));
    }
  }
}

// A refused URL is refused on every transport: no fallback (the SDK may wrap the fetch error).
function refused(e: unknown): boolean {
  for (let c: unknown = e, depth = 0; c instanceof Error && depth < 5; c = c.cause, depth++)
    if (c instanceof UrlRefused || /private or local address/.test(c.message)) return true;
  return false;
}
