import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { ParticipantKind } from '@wiz/contracts';
import { epochMs } from './columns';

// A person (a user id of the owner) or an agent in a conversation.
@Entity({ name: 'conversation_participants' })
@Index('idx_participants_member', ['ownerId', 'kind', 'participantId'])
export class ConversationParticipantEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  conversationId!: string;

  @PrimaryColumn({ type: 'varchar', length: 16 })
  kind!: ParticipantKind;

  @PrimaryColumn({ type: 'varchar', length: 100 })
  participantId!: string;

  @Column({ type: 'varchar', length: 100 })
  ownerId!: string;

  @Column({ type: 'varchar', length: 200, nullable: true })
  name!: string | null;

  @Column({ type: 'bigint', transformer: epochMs })
  joinedAt!: Date;
}
