import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Brackets, DataSource, EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { MessageEntity } from '../entities';

export interface MessageCursor {
  createdAt: number;
  id: string;
}

// Messages of conversations. Queries only; every query takes the owner.
@Injectable()
export class MessagesRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  private repo(m?: EntityManager) {
    return (m ?? this.ds.manager).getRepository(MessageEntity);
  }

  async insert(msg: MessageEntity, m?: EntityManager): Promise<void> {
    await this.repo(m).insert(msg as QueryDeepPartialEntity<MessageEntity>);
  }

  findById(ownerId: string, conversationId: string, id: string, m?: EntityManager): Promise<MessageEntity | null> {
    return this.repo(m).findOneBy({ ownerId, conversationId, id });
  }

  async update(
    ownerId: string,
    id: string,
    patch: Partial<Pick<MessageEntity, 'content' | 'updatedAt' | 'deletedAt' | 'jobIds'>>,
    m?: EntityManager,
  ): Promise<boolean> {
    const r = await this.repo(m).update({ ownerId, id }, patch);
    return r.affected === 1;
  }

  /** Newest first, strictly older than `before` when given (keyset paging on createdAt, id). */
  page(
    ownerId: string,
    conversationId: string,
    limit: number,
    before?: MessageCursor,
    m?: EntityManager,
  ): Promise<MessageEntity[]> {
    const q = this.repo(m)
      .createQueryBuilder('msg')
      .where('msg.ownerId = :ownerId AND msg.conversationId = :conversationId', { ownerId, conversationId });
    if (before) {
      q.andWhere(
        new Brackets((b) =>
          b
            .where('msg.createdAt < :at', { at: before.createdAt })
            .orWhere('msg.createdAt = :at AND msg.id < :id', { at: before.createdAt, id: before.id }),
        ),
      );
    }
    return q.orderBy('msg.createdAt', 'DESC').addOrderBy('msg.id', 'DESC').take(limit).getMany();
  }
}
