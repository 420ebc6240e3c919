import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { MemoryItemEntity } from '../entities';

// Queries only; every query takes the owner (STYLE.md rule 6).
@Injectable()
export class MemoryItemsRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  private repo(m?: EntityManager) {
    return (m ?? this.ds.manager).getRepository(MemoryItemEntity);
  }

  async insert(item: MemoryItemEntity, m?: EntityManager): Promise<void> {
    await this.repo(m).insert(item);
  }

  /** All of an agent's items (the agent is being deleted: nothing can reach them any more). */
  async deleteOfAgent(ownerId: string, agentId: string, m?: EntityManager): Promise<void> {
    await this.repo(m).delete({ ownerId, agentId });
  }

  /** An agent's items, newest first. */
  recent(ownerId: string, agentId: string, limit: number): Promise<MemoryItemEntity[]> {
    return this.repo().find({ where: { ownerId, agentId }, order: { createdAt: 'DESC', id: 'ASC' }, take: limit });
  }
}
