import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { AgentEntity, JobEntity } from '../entities';
import { forUpdate } from '../write-lock';

export type Claim =
  /** `previous`: the job that held the agent before (the same job when it already held it). */
  | { verdict: 'claimed'; agent: AgentEntity; previous: string | null }
  | { verdict: 'missing' }
  | { verdict: 'paused' }
  | { verdict: 'busy'; holder: string };

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
   * other job (a holder that is no longer `active` is stale and loses it). The agent row is
   * locked first and the holder read in a second statement: in one UPDATE, Postgres would
   * re-check a subquery against the snapshot from before the lock wait and let two runtimes in.
   */
  async claim(ownerId: string, id: string, jobId: string, m: EntityManager): Promise<Claim> {
    const agent = await m.getRepository(AgentEntity).findOne({ where: { ownerId, id }, ...forUpdate(m) });
    if (!agent || agent.deletedAt) return { verdict: 'missing' };
    if (agent.paused) return { verdict: 'paused' };
    if (agent.runningJobId && agent.runningJobId !== jobId) {
      const holder = await m.getRepository(JobEntity).findOne({ select: { id: true, status: true }, where: { id: agent.runningJobId } });
      if (holder?.status === 'active') return { verdict: 'busy', holder: holder.id };
    }
    await m
      .createQueryBuilder()
      .update(AgentEntity)
      .set({ runningJobId: jobId, status: () => `CASE WHEN status = 'active' THEN 'busy' ELSE status END` })
      .where('id = :id', { id })
      .execute();
    return { verdict: 'claimed', agent, previous: agent.runningJobId };
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


  async update(ownerId: string, id: string, patch: Partial<AgentEntity>, m?: EntityManager): Promise<boolean> {
    const r = await this.repo(m).update({ ownerId, id, deletedAt: IsNull() }, patch);
    return r.affected === 1;
  }
}
