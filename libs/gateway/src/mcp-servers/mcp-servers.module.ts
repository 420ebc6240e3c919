import { Module } from '@nestjs/common';
import { PersistenceModule } from '@wiz/persistence';
import { SecretsModule } from '@wiz/secrets';
import { McpServersController } from './mcp-servers.controller';
import { McpServersService } from './mcp-servers.service';
import { McpToolsClient } from './mcp-tools.client';

// MCP servers as tool sources: their configuration (secrets sealed with the SecretBox); their
// tools and connection state come from a runtime over the bus.
@Module({
  imports: [PersistenceModule, SecretsModule],
  controllers: [McpServersController],
  providers: [McpServersService, McpToolsClient],
  exports: [McpServersService],
})
export class McpServersModule {}
