import { Column, Entity, PrimaryColumn } from 'typeorm';
import { epochMs } from './columns';

export interface AgentActivity {
  jobId: string;
  input: string;
  outcome: 'completed' | 'failed';
  summary: string;
  at: string;
}

// AgentInternalState: an agent's long-term memory, loaded for every job and updated at its end.
@Entity({ name: 'agent_states' })
export class AgentStateEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  agentId!: string;

  @Column({ type: 'varchar', length: 100 })
  ownerId!: string;

  @Column({ type: 'simple-json' })
  goals!: string[];

  @Column({ type: 'simple-json' })
  learnings!: string[];

  @Column({ type: 'simple-json' })
  activities!: AgentActivity[];

  @Column({ type: 'simple-json' })
  knowledge!: Record<string, string>;

  @Column({ type: 'bigint', transformer: epochMs })
  updatedAt!: Date;
}
