import { Module } from '@nestjs/common';
import { PersistenceModule } from '@wiz/persistence';
import { QueueModule } from '@wiz/queue';
import { LlmModule } from '@wiz/llm';
import { ConversationsModule } from '@wiz/conversations';
import { ActorRegistry } from './actor.registry';
import { AgentStateCache } from './agent-state.cache';
import { JobRunner } from './job.runner';
import { AgentMemoryService } from './loop/agent-memory.service';
import { AgentLoopService } from './loop/agent-loop.service';
import { ContextStore } from './loop/context.store';
import { ContextRetentionWorker } from './loop/context-retention.worker';
import { LiveEvents } from './loop/live-events';
import { DelegationsService } from './loop/delegations.service';
import { HumanInputService } from './loop/human-input.service';
import { SteerWatch } from './loop/steer-watch';
import { ToolBox } from './tools/tool-box';
import { RunJournalService } from './loop/run/run-journal.service';
import { AgentDirectory } from './tools/deps/agent-directory';
import { DelegationGuards } from './tools/deps/delegation-guards';
import { JobDesk } from './tools/deps/job-desk';
import { Workspace } from './tools/workspace/workspace';
import { MemoryModule } from '@wiz/memory';
import { EmbedResponder, LlmEmbedder } from './embeddings';
import { McpModule } from '@wiz/mcp';
import { McpToolSource } from './tools/mcp/mcp.tools';

@Module({
  imports: [
    PersistenceModule,
    QueueModule,
    LlmModule,
    ConversationsModule,
    MemoryModule.withEmbedder(LlmEmbedder, [LlmModule]),
    McpModule,
  ],
  providers: [
    JobRunner,
    ActorRegistry,
    AgentStateCache,
    AgentLoopService,
    AgentMemoryService,
    ContextStore,
    LiveEvents,
    ContextRetentionWorker,
    DelegationsService,
    HumanInputService,
    SteerWatch,
    ToolBox,
    RunJournalService,
    AgentDirectory,
    DelegationGuards,
    JobDesk,
    Workspace,
    LlmEmbedder,
    EmbedResponder,
    McpToolSource,
  ],
  exports: [ActorRegistry, AgentStateCache],
})
export class AgentModule {}
