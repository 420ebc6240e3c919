import { AgentEntity } from './agent.entity';
import { JobEntity } from './job.entity';
import { OutboxEntity } from './outbox.entity';
import { JobDependencyEntity } from './job-dependency.entity';
import { ScheduleEntity } from './schedule.entity';
import { ApiKeyEntity } from './api-key.entity';
import { ProviderEntity } from './provider.entity';
import { ActivityContextEntity } from './activity-context.entity';
import { ActivityContextEntryEntity } from './activity-context-entry.entity';
import { AgentStateEntity } from './agent-state.entity';
import { MemoryItemEntity } from './memory-item.entity';
import { ProjectEntity } from './project.entity';
import { ConversationEntity } from './conversation.entity';
import { ConversationParticipantEntity } from './conversation-participant.entity';
import { MessageEntity } from './message.entity';
import { UsageRecordEntity } from './usage-record.entity';
import { BudgetEntity } from './budget.entity';
import { McpServerEntity } from './mcp-server.entity';
import { JobWaitEntity } from './job-wait.entity';
import { JobSteerEntity } from './job-steer.entity';
import { OwnerSettingsEntity } from './owner-settings.entity';
import { WebhookEntity } from './webhook.entity';
import { WebhookDeliveryEntity } from './webhook-delivery.entity';

export type { AgentActivity } from './agent-state.entity';
export {
  AgentEntity,
  JobEntity,
  OutboxEntity,
  JobDependencyEntity,
  ScheduleEntity,
  ApiKeyEntity,
  ProviderEntity,
  ActivityContextEntity,
  ActivityContextEntryEntity,
  AgentStateEntity,
  MemoryItemEntity,
  ProjectEntity,
  ConversationEntity,
  ConversationParticipantEntity,
  MessageEntity,
  UsageRecordEntity,
  BudgetEntity,
  McpServerEntity,
  JobWaitEntity,
  JobSteerEntity,
  OwnerSettingsEntity,
  WebhookEntity,
  WebhookDeliveryEntity,
};
export const ENTITIES = [
  AgentEntity,
  JobEntity,
  OutboxEntity,
  JobDependencyEntity,
  ScheduleEntity,
  ApiKeyEntity,
  ProviderEntity,
  ActivityContextEntity,
  ActivityContextEntryEntity,
  AgentStateEntity,
  MemoryItemEntity,
  ProjectEntity,
  ConversationEntity,
  ConversationParticipantEntity,
  MessageEntity,
  UsageRecordEntity,
  BudgetEntity,
  McpServerEntity,
  JobWaitEntity,
  JobSteerEntity,
  OwnerSettingsEntity,
  WebhookEntity,
  WebhookDeliveryEntity,
];
