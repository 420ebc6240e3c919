import { Module } from '@nestjs/common';
import { PersistenceModule } from '@wiz/persistence';
import { QueueModule } from '@wiz/queue';
import { EventsModule } from '../events/events.module';
import { AgentJobRunner } from './agent-job.runner';
import { McpController } from './mcp.controller';
import { McpService } from './mcp.service';

// Wiz as an MCP server: the caller's agents as tools at /mcp (see docs/mcp.md).
@Module({
  imports: [PersistenceModule, QueueModule, EventsModule],
  controllers: [McpController],
  providers: [McpService, AgentJobRunner],
})
export class McpModule {}
