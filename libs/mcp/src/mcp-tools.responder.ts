import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Subscription } from 'nats';
import { McpServerTools, McpToolsRequestSchema } from '@wiz/contracts';
import { BusService } from '@wiz/bus';
import { McpPool } from './mcp-pool.service';
import { toolInfosOf } from './tool-names';

// Serves the gateways' `GET /api/v1/mcp-servers/:id/tools` (`<p>.request.mcp-tools`, one runtime
// of the queue group answers): connects if needed and lists the server's tools.
@Injectable()
export class McpToolsResponder implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('Mcp');
  private sub?: Subscription;

  constructor(
    private readonly bus: BusService,
    private readonly pool: McpPool,
  ) {}

  onApplicationBootstrap(): void {
    this.sub = this.bus.nc.subscribe(this.bus.names.request('mcp-tools'), {
      queue: 'wiz-runtime',
      callback: (err, msg) => {
        if (err) return;
        const request = McpToolsRequestSchema.safeParse(msg.json());
        if (!request.success) {
          this.log.warn('ignoring a malformed mcp-tools request');
          msg.respond(JSON.stringify({ state: 'failed', error: 'malformed request', tools: [] }));
          return;
        }
        void this.answer(request.data.ownerId, request.data.serverId).then((r) => msg.respond(JSON.stringify(r)));
      },
    });
  }

  onApplicationShutdown(): void {
    this.sub?.unsubscribe();
  }

  async answer(ownerId: string, serverId: string): Promise<McpServerTools> {
    const server = await this.pool.server(ownerId, serverId);
    if (!server) return { state: 'failed', error: 'no such MCP server', tools: [] };
    const refused = this.pool.refusal(server);
    if (refused) return { state: 'refused', error: refused, tools: [] };
    const conn = this.pool.connection(server);
    try {
      await conn.ensure();
      return { state: 'connected', tools: toolInfosOf(server.name, conn.tools) };
    } catch {
      return { state: 'failed', error: conn.lastError, tools: [] };
    }
  }
}
