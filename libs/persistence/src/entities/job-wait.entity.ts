import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { WaitKind, WaitResolution, WaitStatus } from '@wiz/contracts';
import { epochMs } from './columns';

// A parked job's wait on a person or the outside world: a gated tool call's approval, an
// ask_human question, a wait_for_signal. Resolved once (a compare-and-set on `status`).
@Entity({ name: 'job_waits' })
@Index('idx_job_waits_owner_status', ['ownerId', 'status', 'createdAt'])
@Index('idx_job_waits_job', ['jobId', 'status'])
@Index('idx_job_waits_conversation', ['conversationId', 'status'])
export class JobWaitEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 100 })
  ownerId!: string;

  @Column({ type: 'varchar', length: 36 })
  jobId!: string;

  @Column({ type: 'varchar', length: 36 })
  agentId!: string;

  @Column({ type: 'varchar', length: 36, nullable: true })
  conversationId!: string | null;

  @Column({ type: 'varchar', length: 16 })
  kind!: WaitKind;

  @Column({ type: 'varchar', length: 16 })
  status!: WaitStatus;

  @Column({ type: 'varchar', length: 200 })
  toolCallId!: string;

  @Column({ type: 'varchar', length: 200 })
  tool!: string;

  @Column({ type: 'simple-json', nullable: true })
  arguments!: Record<string, unknown> | null;

  /** The tool's input JSON Schema (approvals): what an edit's arguments must satisfy. */
  @Column({ type: 'simple-json', nullable: true })
  inputSchema!: Record<string, unknown> | null;

  @Column({ type: 'text' })
  reason!: string;

  @Column({ type: 'simple-json', nullable: true })
  choices!: string[] | null;

  @Column({ type: 'varchar', length: 100, nullable: true })
  signal!: string | null;

  @Column({ type: 'bigint', transformer: epochMs, nullable: true })
  deadline!: Date | null;

  @Column({ type: 'varchar', length: 16, default: 'reject' })
  onTimeout!: 'reject' | 'approve';

  @Column({ type: 'simple-json', nullable: true })
  resolution!: WaitResolution | null;

  @Column({ type: 'bigint', transformer: epochMs })
  createdAt!: Date;

  @Column({ type: 'bigint', transformer: epochMs, nullable: true })
  resolvedAt!: Date | null;
}
