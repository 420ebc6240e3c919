import { DynamicModule, INestApplication, Module } from '@nestjs/common';
import { authEnabled, WIZ_CONFIG, WizConfig } from '@wiz/config';
import { PlatformModule } from '@wiz/platform';
import { AgentsModule } from './agents/agents.module';
import { ApprovalsModule } from './approvals/approvals.module';
import { AuthModule } from './auth/auth.module';
import { ConversationsApiModule } from './conversations/conversations-api.module';
import { DocsModule } from './docs/docs.module';
import { EventsModule } from './events/events.module';
import { WsGateway } from './events/ws.gateway';
import { JobsModule } from './jobs/jobs.module';
import { MemoryApiModule } from './memory/memory-api.module';
import { McpModule } from './mcp/mcp.module';
import { McpServersModule } from './mcp-servers/mcp-servers.module';
import { ProvidersModule } from './providers/providers.module';
import { SchedulesModule } from './schedules/schedules.module';
import { TasksModule } from './tasks/tasks.module';
import { UsageModule } from './usage/usage.module';
import { WebhooksModule } from './webhooks/webhooks.module';
import { serveConsole } from './console/console.static';

// The gateway's features: REST, and lifecycle events over WebSocket. Stateless: run any number.
@Module({
  imports: [
    AuthModule,
    AgentsModule,
    JobsModule,
    SchedulesModule,
    TasksModule,
    EventsModule,
    DocsModule,
    ProvidersModule,
    ConversationsApiModule,
    MemoryApiModule,
    UsageModule,
    McpServersModule,
    McpModule,
    ApprovalsModule,
    WebhooksModule,
  ],
})
export class GatewayModule {}

@Module({})
export class GatewayAppModule {
  static forRoot(config: WizConfig): DynamicModule {
    return { module: GatewayAppModule, imports: [PlatformModule.forRoot(config, 'wiz-gateway'), GatewayModule] };
  }
}

export function attachGateway(app: INestApplication): void {
  app.get(WsGateway).attach();
  serveConsole(app, authEnabled(app.get<WizConfig>(WIZ_CONFIG)));
}
