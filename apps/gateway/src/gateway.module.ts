import { DynamicModule, INestApplication, Module } from '@nestjs/common';
import { WizConfig } from '@wiz/config';
import { PlatformModule } from '@wiz/platform';
import { AgentsController } from './agents/agents.controller';
import { AgentsService } from './agents/agents.service';
import { ExecuteService } from './agents/execute.service';
import { AuthModule } from './auth/auth.module';
import { ConversationsModule } from '@wiz/conversations';
import { ConversationsController } from './conversations/conversations.controller';
import { MessagesController } from './conversations/messages.controller';
import { ProjectsController } from './conversations/projects.controller';
import { serveConsole } from './console/console.static';
import { DocsController } from './docs/docs.controller';
import { EventsHub } from './events/events.hub';
import { OwnerResolver } from './events/owner-resolver';
import { SseController } from './events/sse.controller';
import { WsGateway } from './events/ws.gateway';
import { LlmModule } from '@wiz/llm';
import { JobContextService } from './jobs/job-context.service';
import { JobsController } from './jobs/jobs.controller';
import { MemoryController } from './memory/memory.controller';
import { MemoryService } from './memory/memory.service';
import { MemoryStore } from '@wiz/agent';
import { ProvidersController } from './providers/providers.controller';
import { ProvidersService } from './providers/providers.service';
import { SchedulesController } from './schedules/schedules.controller';
import { TasksController } from './tasks/tasks.controller';
import { TasksService } from './tasks/tasks.service';

// The gateway's features: REST, and lifecycle events over WebSocket. Stateless: run any number.
@Module({
  imports: [AuthModule, LlmModule, ConversationsModule],
  controllers: [
    AgentsController,
    JobsController,
    SchedulesController,
    TasksController,
    SseController,
    DocsController,
    ProvidersController,
    ProjectsController,
    ConversationsController,
    MessagesController,
    MemoryController,
  ],
  providers: [
    AgentsService,
    ExecuteService,
    TasksService,
    EventsHub,
    OwnerResolver,
    WsGateway,
    ProvidersService,
    JobContextService,
    MemoryService,
    MemoryStore,
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
  serveConsole(app);
}
