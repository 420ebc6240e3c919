import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AgentEntity, ConversationEntity } from '../entities';

// Who owns a resource named in an event, for the gateway's `owner` topic. Unscoped on
// purpose: the answer decides which owner may see the event, never what a client is shown.
@Injectable()
export class OwnersRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** The owner of an agent, deleted or not (an agent's owner never changes); in `m`'s transaction if given. */
  async ofAgent(agentId: string, m: EntityManager = this.ds.manager): Promise<string | null> {
    const row = await m
      .getRepository(AgentEntity)
      .createQueryBuilder('a')
      .select('a.ownerId', 'ownerId')
      .where('a.id = :agentId', { agentId })
      .getRawOne<{ ownerId: string }>();
    return row?.ownerId ?? null;
  }

  /** The owner of a conversation (a conversation's owner never changes). */
  async ofConversation(conversationId: string, m: EntityManager = this.ds.manager): Promise<string | null> {
    const row = await m
      .getRepository(ConversationEntity)
      .createQueryBuilder('c')
      .select('c.ownerId', 'ownerId')
      .where('c.id = :conversationId', { conversationId })
      .getRawOne<{ ownerId: string }>();
    return row?.ownerId ?? null;
  }
}
