import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { urlPolicyOf, WIZ_CONFIG, WizConfig } from '@wiz/config';
import { McpServerEntity, McpServersRepository } from '@wiz/persistence';
import { SECRET_BOX, SecretBox } from '@wiz/secrets';
import { McpConnection, McpTarget } from './mcp-connection';

// The runtime's MCP connections, one per server, opened on demand and shared by every job of its
// owner; rebuilt when the server's configuration changes, closed when idle or removed.
@Injectable()
export class McpPool implements OnModuleInit, OnApplicationShutdown {
  private readonly log = new Logger('Mcp');
  private readonly connections = new Map<string, McpConnection>();
  private sweeper?: NodeJS.Timeout;

  constructor(
    private readonly servers: McpServersRepository,
    @Inject(SECRET_BOX) private readonly secrets: SecretBox,
    @Inject(WIZ_CONFIG) private readonly config: WizConfig,
  ) {}

  onModuleInit(): void {
    this.sweeper = setInterval(() => void this.sweep(), Math.min(this.config.WIZ_MCP_IDLE_MS, 60_000));
    this.sweeper.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.all([...this.connections.values()].map((c) => c.close()));
    this.connections.clear();
  }

  /** The owner's servers (none when it has none: no query beyond one select). */
  serversOf(ownerId: string): Promise<McpServerEntity[]> {
    return this.servers.all(ownerId);
  }

  async server(ownerId: string, id: string): Promise<McpServerEntity | null> {
    return this.servers.findById(ownerId, id);
  }

  /** Whether this runtime may connect to the server (stdio needs the operator's consent). */
  refusal(e: McpServerEntity): string | undefined {
    if (e.transport === 'stdio' && !this.config.WIZ_MCP_STDIO)
      return 'stdio MCP servers are off on this runtime (WIZ_MCP_STDIO)';
    return undefined;
  }

  /** The pooled connection of a server (a new one when its configuration changed). */
  connection(e: McpServerEntity): McpConnection {
    const revision = e.updatedAt.getTime();
    const existing = this.connections.get(e.id);
    if (existing && existing.target.revision === revision && existing.state !== 'closed') return existing;
    if (existing) void existing.close();
    const conn = new McpConnection(this.targetOf(e, revision), {
      connectTimeoutMs: this.config.WIZ_MCP_CONNECT_TIMEOUT_MS,
      urlPolicy: urlPolicyOf(this.config),
    });
    this.connections.set(e.id, conn);
    return conn;
  }

  private targetOf(e: McpServerEntity, revision: number): McpTarget {
    const opened = e.secretsEncrypted
      ? (JSON.parse(this.secrets.decrypt(e.secretsEncrypted)) as Pick<McpTarget, 'headers' | 'env'>)
      : { headers: {}, env: {} };
    return {
      id: e.id,
      ownerId: e.ownerId,
      name: e.name,
      transport: e.transport,
      url: e.url,
      command: e.command,
      args: e.args,
      headers: opened.headers ?? {},
      env: opened.env ?? {},
      revision,
    };
  }

  // Closes connections unused for WIZ_MCP_IDLE_MS (a stdio server's process ends with it).
  private async sweep(): Promise<void> {
    const cutoff = Date.now() - this.config.WIZ_MCP_IDLE_MS;
    for (const [id, c] of this.connections) {
      if (c.lastUsed >= cutoff) continue;
      this.connections.delete(id);
      this.log.debug(`closing idle MCP connection to ${c.target.name}`);
      await c.close();
    }
  }
}
