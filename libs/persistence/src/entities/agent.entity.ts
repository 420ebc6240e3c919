import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { ApprovalPolicies, AgentStatus, DoubleTexting, LoopSettings, ModelConfig } from '@wiz/contracts';
import { epochMs } from './columns';

@Entity({ name: 'agents' })
@Index('idx_agents_owner', ['ownerId', 'createdAt'])
export class AgentEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 100 })
  ownerId!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'text' })
  role!: string;

  @Column({ type: 'text', nullable: true })
  backstory!: string | null;

  @Column({ type: 'text', nullable: true })
  goal!: string | null;

  @Column({ type: 'text', nullable: true })
  systemPrompt!: string | null;

  @Column({ type: 'simple-json' })
  model!: ModelConfig;

  /** Budgets and planning; unset fields take the WIZ_AGENT_* defaults. */
  @Column({ type: 'simple-json', default: '{}' })
  loop!: LoopSettings;

  /** Behavior rules (POST /agents/:id/behavior), part of the system prompt. */
  @Column({ type: 'simple-json', default: '[]' })
  behaviorRules!: string[];

  @Column({ type: 'integer', default: 0 })
  behaviorVersion!: number;

  /** Allowed tools (names); null: the default set. */
  @Column({ type: 'simple-json', nullable: true })
  tools!: string[] | null;

  /** Agents (ids or names) it may delegate to or message; null: any agent of its owner. */
  @Column({ type: 'simple-json', nullable: true })
  delegates!: string[] | null;

  /** Tool approval policies (name or glob → policy); null: the owner's default only. */
  @Column({ type: 'simple-json', nullable: true })
  approvals!: ApprovalPolicies | null;

  @Column({ type: 'varchar', length: 16 })
  status!: AgentStatus;

  /** A paused agent's queue holds its jobs; running ones finish. */
  @Column({ type: 'boolean', default: false })
  paused!: boolean;

  /** The one job this agent runs now, cluster-wide (the fence of one job per agent). */
  @Column({ type: 'varchar', length: 36, nullable: true })
  runningJobId!: string | null;

  /** A person's second message while the agent still answers the first: queue, reject or interrupt. */
  @Column({ type: 'varchar', length: 16, default: 'queue' })
  doubleTexting!: DoubleTexting;

  // The mailbox partition, fixed at creation (see libs/contracts/src/subjects.ts).
  @Column({ type: 'integer' })
  partition!: number;

  @Column({ type: 'bigint', transformer: epochMs })
  createdAt!: Date;

  @Column({ type: 'bigint', transformer: epochMs })
  updatedAt!: Date;

  // Soft delete: jobs keep pointing at a real row; a deleted agent takes no new jobs.
  @Column({ type: 'bigint', transformer: epochMs, nullable: true })
  deletedAt!: Date | null;
}
