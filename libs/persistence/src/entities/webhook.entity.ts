import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from './columns';

// An owner's outgoing webhook. `secretEncrypted` is SecretBox ciphertext: the plain secret that
// signs deliveries is opened only by the runtime that sends them.
@Entity({ name: 'webhooks' })
@Index('idx_webhooks_owner', ['ownerId', 'createdAt'])
export class WebhookEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 100 })
  ownerId!: string;

  @Column({ type: 'text' })
  url!: string;

  @Column({ type: 'simple-json' })
  events!: string[];

  @Column({ type: 'text' })
  secretEncrypted!: string;

  @Column({ type: 'bigint', transformer: epochMs })
  createdAt!: Date;
}
