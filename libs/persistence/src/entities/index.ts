import { AgentEntity } from './agent.entity';
import { JobEntity } from './job.entity';
import { OutboxEntity } from './outbox.entity';
import { JobDependencyEntity } from './job-dependency.entity';
import { ScheduleEntity } from './schedule.entity';

export { AgentEntity, JobEntity, OutboxEntity, JobDependencyEntity, ScheduleEntity };
export const ENTITIES = [AgentEntity, JobEntity, OutboxEntity, JobDependencyEntity, ScheduleEntity];
