import { Initial1763600000000 } from './1763600000000-initial';
import { JobQueue1763700000000 } from './1763700000000-job-queue';
import { JobLease1763750000000 } from './1763750000000-job-lease';
import { AgentActors1763800000000 } from './1763800000000-agent-actors';
import { ApiKeys1763900000000 } from './1763900000000-api-keys';
import { Conversations1764000000000 } from './1764000000000-conversations';
import { Tools1764100000000 } from './1764100000000-tools';
import { HumanInput1764200000000 } from './1764200000000-human-input';
import { OutboxDeadLetter1764250000000 } from './1764250000000-outbox-dead-letter';
import { JobsOwnerStatus1764260000000 } from './1764260000000-jobs-owner-status';
import { McpServers1764300000000 } from './1764300000000-mcp-servers';
import { Webhooks1764400000000 } from './1764400000000-webhooks';
import { Observability1764500000000 } from './1764500000000-observability';
import { ContextEntries1764540000000 } from './1764540000000-context-entries';
import { JobsNotStarted1764600000000 } from './1764600000000-jobs-not-started';
import { ConversationDeleted1764700000000 } from './1764700000000-conversation-deleted';

// Every migration, in order. Append, never edit one that has shipped.
export const MIGRATIONS = [
  Initial1763600000000,
  JobQueue1763700000000,
  JobLease1763750000000,
  AgentActors1763800000000,
  ApiKeys1763900000000,
  Conversations1764000000000,
  Tools1764100000000,
  HumanInput1764200000000,
  OutboxDeadLetter1764250000000,
  JobsOwnerStatus1764260000000,
  McpServers1764300000000,
  Webhooks1764400000000,
  Observability1764500000000,
  ContextEntries1764540000000,
  JobsNotStarted1764600000000,
  ConversationDeleted1764700000000,
];
