import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { MessageRole, ParticipantKind } from '@wiz/contracts';
import { epochMs } from './columns';

// A message of a conversation, with its LLM-side representation (role, tool data) beside it so
// that an agent's context can be rebuilt faithfully. Soft-deleted: the row keeps its place.
@Entity({ name: 'messages' })
@Index('idx_messages_conversation', ['conversationId', 'createdAt', 'id'])
export class MessageEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 100 })
  ownerId!: string;

  @Column({ type: 'varchar', length: 36 })
  conversationId!: string;

  @Column({ type: 'varchar', length: 16 })
  authorKind!: ParticipantKind;

  @Column({ type: 'varchar', length: 100 })
  authorId!: string;

  @Column({ type: 'varchar', length: 200, nullable: true })
  authorName!: string | null;

  @Column({ type: 'text' })
  content!: string;

  @Column({ type: 'varchar', length: 16 })
  role!: MessageRole;

  @Column({ type: 'simple-json', nullable: true })
  toolData!: unknown;

  /** A person's message: the jobs it created. An agent's message: the job it answers. */
  @Column({ type: 'simple-json', default: '[]' })
  jobIds!: string[];

  @Column({ type: 'bigint', transformer: epochMs })
  createdAt!: Date;

  @Column({ type: 'bigint', transformer: epochMs })
  updatedAt!: Date;

  @Column({ type: 'bigint', transformer: epochMs, nullable: true })
  deletedAt!: Date | null;
}
