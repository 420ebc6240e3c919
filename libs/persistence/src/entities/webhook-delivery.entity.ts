import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { DeliveryAttempt, DeliveryStatus } from '@wiz/contracts';
import { epochMs } from './columns';

// One event for one webhook, tried until delivered or out of attempts. Unique per (webhook,
// event), so a redelivered event never makes a second delivery. `nextAttemptAt` is both the
// retry time and the claim: a sender moves it forward before it sends.
@Entity({ name: 'webhook_deliveries' })
@Index('uq_webhook_deliveries_event', ['webhookId', 'eventId'], { unique: true })
@Index('idx_webhook_deliveries_due', ['status', 'nextAttemptAt'])
@Index('idx_webhook_deliveries_webhook', ['webhookId', 'createdAt'])
export class WebhookDeliveryEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 36 })
  webhookId!: string;

  @Column({ type: 'varchar', length: 100 })
  ownerId!: string;

  @Column({ type: 'varchar', length: 64 })
  eventId!: string;

  @Column({ type: 'varchar', length: 100 })
  eventType!: string;

  /** The request body, sent byte for byte the same on every attempt. */
  @Column({ type: 'text' })
  body!: string;

  @Column({ type: 'varchar', length: 16 })
  status!: DeliveryStatus;

  @Column({ type: 'integer', default: 0 })
  attemptCount!: number;

  @Column({ type: 'simple-json' })
  attempts!: DeliveryAttempt[];

  @Column({ type: 'bigint', transformer: epochMs, nullable: true })
  nextAttemptAt!: Date | null;

  @Column({ type: 'bigint', transformer: epochMs })
  createdAt!: Date;

  @Column({ type: 'bigint', transformer: epochMs, nullable: true })
  deliveredAt!: Date | null;
}
