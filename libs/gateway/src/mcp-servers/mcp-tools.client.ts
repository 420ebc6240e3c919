import { Inject, Injectable } from '@nestjs/common';
import { McpServerTools, McpServerToolsSchema, McpToolsRequest, WizError } from '@wiz/contracts';
import { BusService } from '@wiz/bus';
import { WIZ_CONFIG, WizConfig } from '@wiz/config';

// A server's tools, asked of one runtime (request/reply on `<p>.request.mcp-tools`): the runtime
// holds the connections and opens the secrets; the gateway never loads the MCP client.
@Injectable()
export class McpToolsClient {
  constructor(
    private readonly bus: BusService,
    @Inject(WIZ_CONFIG) private readonly config: WizConfig,
  ) {}

  async list(ownerId: string, serverId: string): Promise<McpServerTools> {
    const request: McpToolsRequest = { ownerId, serverId };
    let reply;
    try {
      reply = await this.bus.nc.request(this.bus.names.request('mcp-tools'), JSON.stringify(request), {
        timeout: this.config.WIZ_MCP_CONNECT_TIMEOUT_MS + 5_000,
      });
    } catch {
      throw new WizError('unavailable', 'no runtime answered: the MCP server connections live in the runtimes');
    }
    return McpServerToolsSchema.parse(reply.json());
  }
}
