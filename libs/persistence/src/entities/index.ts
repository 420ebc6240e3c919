import { AgentEntity } from './agent.entity';
import { JobEntity } from './job.entity';
import { OutboxEntity } from './outbox.entity';
import { JobDependencyEntity } from './job-dependency.entity';
import { ScheduleEntity } from './schedule.entity';
import { ApiKeyEntity } from './api-key.entity';

export { AgentEntity, JobEntity, OutboxEntity, JobDependencyEntity, ScheduleEntity, ApiKeyEntity };
export const ENTITIES = [AgentEntity, JobEntity, OutboxEntity, JobDependencyEntity, ScheduleEntity, ApiKeyEntity];
