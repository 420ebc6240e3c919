import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from './columns';

export type OutboxKind = 'event' | 'command';

const jsonHeaders = {
  to: (v: Record<string, string> | null | undefined) => (v ? JSON.stringify(v) : null),
  from: (v: string | null) => (v ? (JSON.parse(v) as Record<string, string>) : null),
};
const asNumber = { to: (v: number) => v, from: (v: string | number) => Number(v) };

// Transactional outbox: a state change and the bus messages it implies commit together; the
// relay publishes them with `Nats-Msg-Id` = id (JetStream drops duplicates) and deletes them.
@Entity({ name: 'outbox' })
@Index('idx_outbox_claim', ['claimedUntil'])
export class OutboxEntity {
  /** The message id on the bus. */
  @PrimaryColumn({ type: 'varchar', length: 100 })
  id!: string;

  /** Publication order: epoch µs-like counter, increasing within a process. */
  @Column({ type: 'bigint', transformer: asNumber })
  seq!: number;

  @Column({ type: 'varchar', length: 16 })
  kind!: OutboxKind;

  @Column({ type: 'varchar', length: 300 })
  subject!: string;

  @Column({ type: 'text' })
  payload!: string;

  /** Message headers (W3C trace context), as a JSON object; null: none. */
  @Column({ type: 'text', nullable: true, transformer: jsonHeaders })
  headers!: Record<string, string> | null;

  @Column({ type: 'bigint', transformer: epochMs })
  createdAt!: Date;

  // Rows written by a process are claimed by it until this time; a dead process's rows are
  // swept by any other once the claim lapses.
  @Column({ type: 'bigint', transformer: epochMs })
  claimedUntil!: Date;

  /** Set when the bus refused the row for good (e.g. over its message limit): never retried. */
  @Column({ type: 'text', nullable: true })
  deadReason?: string | null;
}
