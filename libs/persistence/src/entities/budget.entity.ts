import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from './columns';

const asNullableNumber = {
  to: (v: number | null) => v,
  from: (v: string | number | null) => (v == null ? null : Number(v)),
};

// An owner's spending limit over a calendar period (UTC day or month), for all its agents
// (agentId '') or one. Null limits are unset.
@Entity({ name: 'budgets' })
@Index('idx_budgets_scope', ['ownerId', 'agentId', 'period'], { unique: true })
export class BudgetEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 100 })
  ownerId!: string;

  @Column({ type: 'varchar', length: 36 })
  agentId!: string;

  @Column({ type: 'varchar', length: 8 })
  period!: 'day' | 'month';

  @Column({ type: 'bigint', nullable: true, transformer: asNullableNumber })
  maxTokens!: number | null;

  @Column({ type: 'bigint', nullable: true, transformer: asNullableNumber })
  maxCostNanoUsd!: number | null;

  @Column({ type: 'bigint', transformer: epochMs })
  updatedAt!: Date;
}
