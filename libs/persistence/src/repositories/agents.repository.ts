import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { AgentEntity } from '../entities';

export interface Page {
  limit: number;
  offset: number;
}

// Queries only; every query takes the owner (STYLE.md rule 6).
@Injectable()
export class AgentsRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  private repo(m?: EntityManager) {
    return (m ?? this.ds.manager).getRepository(AgentEntity);
  }

  async insert(agent: AgentEntity, m?: EntityManager): Promise<void> {
    await this.repo(m).insert(agent);
  }

  findById(ownerId: string, id: string, m?: EntityManager): Promise<AgentEntity | null> {
    return this.repo(m).findOneBy({ ownerId, id, deletedAt: IsNull() });
  }

  list(ownerId: string, page: Page): Promise<[AgentEntity[], number]> {
    return this.repo().findAndCount({
      where: { ownerId, deletedAt: IsNull() },
      order: { createdAt: 'ASC', id: 'ASC' },
      take: page.limit,
      skip: page.offset,
    });
  }

  // Busy/idle follow the agent's current job; an `inactive` agent stays inactive.
  async markBusy(ownerId: string, id: string, busy: boolean, m?: EntityManager): Promise<void> {
    await this.repo(m).update({ ownerId, id, status: busy ? 'active' : 'busy' }, { status: busy ? 'busy' : 'active' });
  }

  async update(ownerId: string, id: string, patch: Partial<AgentEntity>, m?: EntityManager): Promise<boolean> {
    const r = await this.repo(m).update({ ownerId, id, deletedAt: IsNull() }, patch);
    return r.affected === 1;
  }
}
