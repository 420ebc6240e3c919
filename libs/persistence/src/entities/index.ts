import { AgentEntity } from './agent.entity';
import { JobEntity } from './job.entity';
import { OutboxEntity } from './outbox.entity';

export { AgentEntity, JobEntity, OutboxEntity };
export const ENTITIES = [AgentEntity, JobEntity, OutboxEntity];
