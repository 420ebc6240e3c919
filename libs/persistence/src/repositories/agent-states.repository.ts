import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { AgentStateEntity } from '../entities';

// Queries only; every query takes the owner (STYLE.md rule 6).
@Injectable()
export class AgentStatesRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  private repo(m?: EntityManager) {
    return (m ?? this.ds.manager).getRepository(AgentStateEntity);
  }

  find(ownerId: string, agentId: string): Promise<AgentStateEntity | null> {
    return this.repo().findOneBy({ ownerId, agentId });
  }

  async save(state: AgentStateEntity, m?: EntityManager): Promise<void> {
    await this.repo(m).upsert(state as QueryDeepPartialEntity<AgentStateEntity>, ['agentId']);
  }
}
