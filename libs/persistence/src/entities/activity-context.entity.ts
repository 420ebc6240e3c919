import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { ActivityContext } from '@wiz/contracts';
import { epochMs } from './columns';

type State = Omit<ActivityContext, 'jobId' | 'agentId' | 'createdAt' | 'updatedAt'>;

// A job's working state (ActivityContext), one row per job, rewritten as the loop advances but
// for its growing lists (messages, tool calls…): those are ActivityContextEntryEntity rows of the
// row's generation, appended step by step. Rows written before the entries existed hold the
// whole state here (generation 0, no entries).
@Entity({ name: 'activity_contexts' })
@Index('idx_activity_contexts_agent', ['agentId'])
export class ActivityContextEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  jobId!: string;

  @Column({ type: 'varchar', length: 100 })
  ownerId!: string;

  @Column({ type: 'varchar', length: 36 })
  agentId!: string;

  /** The state; ActivityContextsRepository.findByJob fills in the lists from the entries. */
  @Column({ type: 'simple-json' })
  state!: State;

  /** The generation of the entries that make up the lists (a rewrite starts a new one). */
  @Column({ type: 'integer', default: 0 })
  generation!: number;

  /** How many entries the generation has (the next entry's `seq`). */
  @Column({ type: 'integer', default: 0 })
  entries!: number;

  @Column({ type: 'bigint', transformer: epochMs })
  createdAt!: Date;

  @Column({ type: 'bigint', transformer: epochMs })
  updatedAt!: Date;
}
