import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from './columns';

// One item of an agent's memory (memory_save): text, metadata to filter on, and its embedding
// (from the agent's provider) to search by meaning. Null embedding: the provider had none.
@Entity({ name: 'memory_items' })
@Index('idx_memory_items_agent', ['ownerId', 'agentId', 'createdAt'])
export class MemoryItemEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 100 })
  ownerId!: string;

  @Column({ type: 'varchar', length: 36 })
  agentId!: string;

  @Column({ type: 'text' })
  text!: string;

  @Column({ type: 'simple-json' })
  metadata!: Record<string, string | number | boolean>;

  @Column({ type: 'simple-json', nullable: true })
  embedding!: number[] | null;

  /** The job that saved it. */
  @Column({ type: 'varchar', length: 36, nullable: true })
  jobId!: string | null;

  @Column({ type: 'bigint', transformer: epochMs })
  createdAt!: Date;
}
