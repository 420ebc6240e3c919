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

  find(ownerId: string, agentId: string, m?: EntityManager): Promise<AgentStateEntity | null> {
    return this.repo(m).findOneBy({ ownerId, agentId });
  }

  async save(state: AgentStateEntity, m?: EntityManager): Promise<void> {
    await this.repo(m).upsert(state as QueryDeepPartialEntity<AgentStateEntity>, ['agentId']);
  }

  /** Compare-and-set: writes `state` only if the stored row is still the one written at `previous`. */
  async replace(state: AgentStateEntity, previous: Date, m?: EntityManager): Promise<boolean> {
    const r = await (m ?? this.ds.manager)
      .createQueryBuilder()
      .update(AgentStateEntity)
      .set({
        goals: state.goals,
        learnings: state.learnings,
        activities: state.activities,
        knowledge: state.knowledge,
        updatedAt: state.updatedAt,
      } as QueryDeepPartialEntity<AgentStateEntity>)
      .where('"agentId" = :agentId AND "ownerId" = :ownerId AND "updatedAt" = :previous', {
        agentId: state.agentId,
        ownerId: state.ownerId,
        previous: previous.getTime(),
      })
      .execute();
    return r.affected === 1;
  }
}
