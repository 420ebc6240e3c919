import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { Attempt, Backoff, JobResult, JobStatus } from '@wiz/contracts';
import { epochMs } from './columns';

/** A job not started yet (queued, delayed, waiting on dependencies), as SQL: idx_jobs_not_started's predicate. */
export const NOT_STARTED_SQL = `"status" IN ('queued', 'delayed', 'waiting')`;

@Entity({ name: 'jobs' })
@Index('idx_jobs_agent_status', ['agentId', 'status'])
@Index('idx_jobs_owner_created', ['ownerId', 'createdAt'])
// The jobs not started yet, that the queues' bounds count (JobsRepository.waitingCounts).
@Index('idx_jobs_not_started', ['ownerId', 'agentId'], { where: NOT_STARTED_SQL })
@Index('idx_jobs_status_run_at', ['status', 'runAt'])
@Index('idx_jobs_status_lease', ['status', 'leaseUntil'])
@Index('idx_jobs_parent', ['parentJobId'])
@Index('idx_jobs_conversation', ['conversationId', 'agentId'])
@Index('idx_jobs_idempotency', ['ownerId', 'idempotencyKey'], { unique: true })
export class JobEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 100 })
  ownerId!: string;

  @Column({ type: 'varchar', length: 36 })
  agentId!: string;

  @Column({ type: 'varchar', length: 20 })
  status!: JobStatus;

  /** Its agent's mailbox partition (copied so that a promotion needs no agent lookup). */
  @Column({ type: 'integer', default: 0 })
  partition!: number;

  @Column({ type: 'text' })
  input!: string;

  @Column({ type: 'simple-json', nullable: true })
  data!: Record<string, unknown> | null;

  @Column({ type: 'varchar', length: 36, nullable: true })
  parentJobId!: string | null;

  @Column({ type: 'simple-json' })
  dependsOn!: string[];

  @Column({ type: 'integer', default: 0 })
  priority!: number;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ type: 'integer', default: 1 })
  maxAttempts!: number;

  @Column({ type: 'simple-json', nullable: true })
  backoff!: Backoff | null;

  @Column({ type: 'integer', nullable: true })
  timeoutMs!: number | null;

  @Column({ type: 'boolean', default: false })
  ignoreDependencyFailures!: boolean;

  @Column({ type: 'varchar', length: 200, nullable: true })
  idempotencyKey!: string | null;

  /** Every attempt and its error, in order. */
  @Column({ type: 'simple-json', default: '[]' })
  attemptLog!: Attempt[];

  /** When a `delayed` job becomes due (delay, runAt, retry backoff). */
  @Column({ type: 'bigint', transformer: epochMs, nullable: true })
  runAt!: Date | null;

  /** While `active`: until when its runtime is known alive (renewed as it runs). */
  @Column({ type: 'bigint', transformer: epochMs, nullable: true })
  leaseUntil!: Date | null;

  @Column({ type: 'integer', default: 0 })
  progress!: number;

  @Column({ type: 'simple-json', nullable: true })
  result!: JobResult | null;

  @Column({ type: 'text', nullable: true })
  failureReason!: string | null;

  @Column({ type: 'varchar', length: 64 })
  traceId!: string;

  /** W3C `traceparent` of the span that created the job: a run with no message context joins it. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  traceParent?: string | null;

  /** The conversation whose message created this job (its reply is posted there). */
  @Column({ type: 'varchar', length: 36, nullable: true })
  conversationId!: string | null;

  // Compare-and-set fence: every transition is `UPDATE … WHERE revision = :seen`, so a stale
  // worker (late ack, redelivery on another replica) can never overwrite a newer state.
  @Column({ type: 'integer', default: 0 })
  revision!: number;

  @Column({ type: 'bigint', transformer: epochMs })
  createdAt!: Date;

  @Column({ type: 'bigint', transformer: epochMs })
  updatedAt!: Date;

  @Column({ type: 'bigint', transformer: epochMs, nullable: true })
  startedAt!: Date | null;

  @Column({ type: 'bigint', transformer: epochMs, nullable: true })
  finishedAt!: Date | null;
}
