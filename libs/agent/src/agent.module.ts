import { Module } from '@nestjs/common';
import { PersistenceModule } from '@wiz/persistence';
import { QueueModule } from '@wiz/queue';
import { LlmModule } from '@wiz/llm';
import { ConversationsModule } from '@wiz/conversations';
import { ActorRegistry } from './actor-registry.service';
import { JobRunner } from './job-runner.service';
import { AgentMemory } from './loop/agent-memory.service';
import { AgentLoop } from './loop/agent-loop.service';
import { ContextStore } from './loop/context.store';
import { ContextRetention } from './loop/context-retention.service';
import { LiveEvents } from './loop/live-events';
import { Delegations } from './loop/delegations.service';
import { ToolServices } from './tools/tool-services';
import { Workspace } from './tools/workspace/workspace';
import { MemoryModule } from '@wiz/memory';
import { EmbedResponder, LlmEmbedder } from './embeddings';

@Module({
  imports: [
    PersistenceModule,
    QueueModule,
    LlmModule,
    ConversationsModule,
    MemoryModule.withEmbedder(LlmEmbedder, [LlmModule]),
  ],
  providers: [
    JobRunner,
    ActorRegistry,
    AgentLoop,
    AgentMemory,
    ContextStore,
    LiveEvents,
    ContextRetention,
    Delegations,
    ToolServices,
    Workspace,
    LlmEmbedder,
    EmbedResponder,
  ],
  exports: [ActorRegistry],
})
export class AgentModule {}
