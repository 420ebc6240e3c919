import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from './columns';

const asNumber = { to: (v: number) => v, from: (v: string | number) => Number(v) };

// One model call's token usage and its price: the ledger behind /api/v1/usage, a job's cost and
// the owners' budgets. Cost in nano-USD (integers: exact sums on both stores).
@Entity({ name: 'usage_records' })
@Index('idx_usage_owner_time', ['ownerId', 'createdAt'])
@Index('idx_usage_job', ['jobId'])
export class UsageRecordEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 100 })
  ownerId!: string;

  @Column({ type: 'varchar', length: 36 })
  agentId!: string;

  @Column({ type: 'varchar', length: 36 })
  jobId!: string;

  @Column({ type: 'varchar', length: 100 })
  provider!: string;

  @Column({ type: 'varchar', length: 200 })
  model!: string;

  @Column({ type: 'bigint', transformer: asNumber })
  inputTokens!: number;

  @Column({ type: 'bigint', transformer: asNumber })
  outputTokens!: number;

  @Column({ type: 'bigint', transformer: asNumber })
  costNanoUsd!: number;

  @Column({ type: 'bigint', transformer: epochMs })
  createdAt!: Date;
}
