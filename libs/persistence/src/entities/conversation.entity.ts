import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { ConversationKind } from '@wiz/contracts';
import { epochMs } from './columns';

// A DM (one person, one agent) or a channel of a project.
@Entity({ name: 'conversations' })
@Index('idx_conversations_owner', ['ownerId', 'createdAt'])
@Index('idx_conversations_project', ['projectId'])
export class ConversationEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 100 })
  ownerId!: string;

  @Column({ type: 'varchar', length: 16 })
  kind!: ConversationKind;

  @Column({ type: 'varchar', length: 36, nullable: true })
  projectId!: string | null;

  @Column({ type: 'varchar', length: 200, nullable: true })
  name!: string | null;

  @Column({ type: 'bigint', transformer: epochMs })
  createdAt!: Date;

  @Column({ type: 'bigint', transformer: epochMs })
  updatedAt!: Date;

  /** Deleted: the row stays (its owner is still looked up by its events), marked; nothing else does. */
  @Column({ type: 'bigint', nullable: true, transformer: epochMs })
  deletedAt!: Date | null;
}
