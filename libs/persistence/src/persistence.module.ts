import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { WIZ_CONFIG, WizConfig } from '@wiz/config';
import { dataSourceOptions, initializeStore, StoreOptions } from './data-source';
import { AgentsRepository } from './repositories/agents.repository';
import { JobsRepository } from './repositories/jobs.repository';
import { OutboxRepository } from './repositories/outbox.repository';
import { SchedulesRepository } from './repositories/schedules.repository';
import { ApiKeysRepository } from './repositories/api-keys.repository';
import { OwnersRepository } from './repositories/owners.repository';
import { ProvidersRepository } from './repositories/providers.repository';
import { ActivityContextsRepository } from './repositories/activity-contexts.repository';
import { AgentStatesRepository } from './repositories/agent-states.repository';
import { MemoryItemsRepository } from './repositories/memory-items.repository';
import { ConversationsRepository } from './repositories/conversations.repository';
import { MessagesRepository } from './repositories/messages.repository';
import { UsageRepository } from './repositories/usage.repository';
import { McpServersRepository } from './repositories/mcp-servers.repository';
import { JobWaitsRepository } from './repositories/job-waits.repository';
import { WebhooksRepository } from './repositories/webhooks.repository';
import { OwnerCaps } from './owner-caps';
import { StoreUpkeep } from './store-upkeep';
import { SqliteCheckpoints } from './sqlite-checkpoints';

const repositories = [
  AgentsRepository,
  UsageRepository,
  JobsRepository,
  OutboxRepository,
  SchedulesRepository,
  ApiKeysRepository,
  OwnersRepository,
  ProvidersRepository,
  ActivityContextsRepository,
  AgentStatesRepository,
  MemoryItemsRepository,
  ConversationsRepository,
  MessagesRepository,
  McpServersRepository,
  JobWaitsRepository,
  WebhooksRepository,
  OwnerCaps,
  StoreUpkeep,
];

export const storeOptionsOf = (c: WizConfig): StoreOptions => ({
  databaseUrl: c.DATABASE_URL,
  schema: c.WIZ_DB_SCHEMA,
  dataDir: c.WIZ_DATA_DIR,
});

// Imported by every module that uses a repository (one instance: a static module).
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [WIZ_CONFIG],
      useFactory: (c: WizConfig) => dataSourceOptions(storeOptionsOf(c)),
      // Opening also creates the schema and runs pending migrations (never `synchronize`).
      dataSourceFactory: (options) => initializeStore(options!),
    }),
  ],
  providers: [...repositories, SqliteCheckpoints],
  exports: repositories,
})
export class PersistenceModule {}
