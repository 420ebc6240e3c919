import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { ActivityContext } from '@wiz/contracts';
import { epochMs } from './columns';

type State = Omit<ActivityContext, 'jobId' | 'agentId' | 'createdAt' | 'updatedAt'>;

// A job's working state (ActivityContext), one row per job, rewritten as the loop advances.
@Entity({ name: 'activity_contexts' })
@Index('idx_activity_contexts_agent', ['agentId'])
export class ActivityContextEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  jobId!: string;

  @Column({ type: 'varchar', length: 100 })
  ownerId!: string;

  @Column({ type: 'varchar', length: 36 })
  agentId!: string;

  @Column({ type: 'simple-json' })
  state!: State;

  @Column({ type: 'bigint', transformer: epochMs })
  createdAt!: Date;

  @Column({ type: 'bigint', transformer: epochMs })
  updatedAt!: Date;
}
