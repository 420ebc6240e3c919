import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import type { AgentStatus, Page } from '@wiz/contracts';
import { AgentEntity, BudgetEntity, JobEntity } from '../entities';
import { Sql } from '../sql';
import { forUpdate } from '../write-lock';

export type Claim =
  /**
   * `previous`: the job that held the agent before (the same job when it already held it);
   * `turnedBusy`: the claim moved the agent's status from `active` to `busy`.
   */
  | { verdict: 'claimed'; agent: AgentEntity; previous: string | null; turnedBusy: boolean }
  | { verdict: 'missing' }
  | { verdict: 'paused' }
  | { verdict: 'busy'; holder: string };

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

  async findById(ownerId: string, id: string, m?: EntityManager): Promise<AgentEntity | null> {
    const [row] = await new Sql(m ?? this.ds.manager).find(AgentEntity, { ownerId, id, deletedAt: null });
    return row ?? null;
  }

  /**
   * A live agent, and whether any budget (the owner's or the agent's own) applies to its jobs:
   * what a submit needs to know before its transaction, in one statement.
   */
  async findForSubmit(
    ownerId: string,
    id: string,
    m?: EntityManager,
  ): Promise<{ agent: AgentEntity; budgeted: boolean } | null> {
    const sql = new Sql(m ?? this.ds.manager);
    const [row] = await sql.rows(
      `SELECT a.*, ${budgetApplies(sql, 'a')} AS "wizBudgeted"
       FROM ${sql.table(AgentEntity)} a WHERE a."ownerId" = ${sql.p(1)} AND a."id" = ${sql.p(2)} AND a."deletedAt" IS NULL`,
      [ownerId, id],
    );
    return row ? { agent: sql.hydrate(AgentEntity, row), budgeted: Boolean(row['wizBudgeted']) } : null;
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
   * other job (a holder that is no longer `active` is stale and loses it).
   *
   * The common case, a free agent, is JobsRepository.claimAndMove (`claimFree`). Otherwise,
   * here, the agent row is locked first and the holder read in a second statement: in one UPDATE,
   * Postgres would re-check a subquery against the snapshot from before the lock wait and let two
   * runtimes in. (`claimFree` only compares the row's own columns, which Postgres re-checks on
   * the locked row.)
   */
  async claim(ownerId: string, id: string, jobId: string, m: EntityManager): Promise<Claim> {
    const agent = await m.getRepository(AgentEntity).findOne({ where: { ownerId, id }, ...forUpdate(m) });
    if (!agent || agent.deletedAt) return { verdict: 'missing' };
    if (agent.paused) return { verdict: 'paused' };
    if (agent.runningJobId && agent.runningJobId !== jobId) {
      const holder = await m
        .getRepository(JobEntity)
        .findOne({ select: { id: true, status: true }, where: { id: agent.runningJobId } });
      if (holder?.status === 'active') return { verdict: 'busy', holder: holder.id };
    }
    await m
      .createQueryBuilder()
      .update(AgentEntity)
      .set({ runningJobId: jobId, status: () => `CASE WHEN status = 'active' THEN 'busy' ELSE status END` })
      .where('id = :id', { id })
      .execute();
    const previous = agent.runningJobId;
    const turnedBusy = agent.status === 'active';
    if (turnedBusy) agent.status = 'busy';
    return { verdict: 'claimed', agent, previous, turnedBusy };
  }

  /** Frees the agent if `jobId` holds it (busy turns back to active); its status after, or null if it was not held. */
  async release(ownerId: string, id: string, jobId: string, m: EntityManager): Promise<AgentStatus | null> {
    const sql = new Sql(m);
    const [row] = await sql.rows(releaseHeld(sql, 1), [id, ownerId, jobId]);
    return row ? (row['status'] as AgentStatus) : null;
  }

  async update(ownerId: string, id: string, patch: Partial<AgentEntity>, m?: EntityManager): Promise<boolean> {
    const r = await this.repo(m).update({ ownerId, id, deletedAt: IsNull() }, patch);
    return r.affected === 1;
  }
}

/** Whether a budget (the owner's, or the agent's own) applies to the jobs of agent row `a`. */
export function budgetApplies(sql: Sql, a: string): string {
  return `EXISTS (SELECT 1 FROM ${sql.table(BudgetEntity)} b WHERE b."ownerId" = ${a}."ownerId" AND b."agentId" IN ('', ${a}."id"))`;
}

/**
 * The claim of a free agent, not paused nor deleted (busy if it was active), returning its row:
 * parameters (the job's id, the agent's id, its owner) from the `from`-th on.
 */
export function claimFree(sql: Sql, from: number): string {
  return `UPDATE ${sql.table(AgentEntity)} SET "runningJobId" = ${sql.p(from)}, "status" = CASE WHEN "status" = 'active' THEN 'busy' ELSE "status" END
    WHERE "id" = ${sql.p(from + 1)} AND "ownerId" = ${sql.p(from + 2)} AND "deletedAt" IS NULL AND "paused" = false AND "runningJobId" IS NULL
    RETURNING *`;
}

/**
 * Frees the agent a job holds (busy turns back to active), returning its status: parameters (the
 * agent's id, its owner, the job's id) from the `from`-th on; `also`: SQL ANDed to the condition.
 */
export function releaseHeld(sql: Sql, from: number, also = ''): string {
  return `UPDATE ${sql.table(AgentEntity)} SET "runningJobId" = NULL, "status" = CASE WHEN "status" = 'busy' THEN 'active' ELSE "status" END
    WHERE "id" = ${sql.p(from)} AND "ownerId" = ${sql.p(from + 1)} AND "runningJobId" = ${sql.p(from + 2)}${also}
    RETURNING "status"`;
}
