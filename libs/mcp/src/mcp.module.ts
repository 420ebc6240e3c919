import { Module } from '@nestjs/common';
import { PersistenceModule } from '@wiz/persistence';
import { SecretsModule } from '@wiz/secrets';
import { McpPool } from './mcp-pool.service';
import { McpToolsResponder } from './mcp-tools.responder';

// The runtime's MCP client side: pooled connections to the owners' servers, and the answer to
// the gateways' tool listings. Never loaded by the gateway (see .dependency-cruiser.cjs).
@Module({
  imports: [PersistenceModule, SecretsModule],
  providers: [McpPool, McpToolsResponder],
  exports: [McpPool],
})
export class McpModule {}
