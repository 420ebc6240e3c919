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

  /**
   * The fence of one job per agent, cluster-wide: the agent takes `jobId` only when it runs no
   * other job (a holder that is no longer `active` is stale and loses it). The row update is
   * what serialises two runtimes racing for the same agent.
   */
  async claim(ownerId: string, id: string, jobId: string, m: EntityManager): Promise<boolean> {
    const r = await m
      .createQueryBuilder()
      .update(AgentEntity)
      .set({ runningJobId: jobId, status: () => `CASE WHEN status = 'active' THEN 'busy' ELSE status END` })
      .where('id = :id AND "ownerId" = :ownerId AND "deletedAt" IS NULL AND paused = :paused', { id, ownerId, paused: false })
      .andWhere(
        `("runningJobId" IS NULL OR "runningJobId" = :jobId OR NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = "runningJobId" AND j.status = 'active'))`,
        { jobId },
      )
      .execute();
    return r.affected === 1;
  }

  /** Frees the agent if `jobId` holds it; busy turns back to active. */
  async release(ownerId: string, id: string, jobId: string, m: EntityManager): Promise<void> {
    await m
      .createQueryBuilder()
      .update(AgentEntity)
      .set({ runningJobId: null, status: () => `CASE WHEN status = 'busy' THEN 'active' ELSE status END` })
      .where('id = :id AND "ownerId" = :ownerId AND "runningJobId" = :jobId', { id, ownerId, jobId })
      .execute();
  }

  /** Even a deleted agent: the runtime needs its state to settle jobs queued before deletion. */
  findAny(ownerId: string, id: string, m?: EntityManager): Promise<AgentEntity | null> {
    return this.repo(m).findOneBy({ ownerId, id });
  }

  async update(ownerId: string, id: string, patch: Partial<AgentEntity>, m?: EntityManager): Promise<boolean> {
    const r = await this.repo(m).update({ ownerId, id, deletedAt: IsNull() }, patch);
    return r.affected === 1;
  }
}
