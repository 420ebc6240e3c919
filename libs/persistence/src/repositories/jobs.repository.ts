import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In, IsNull, LessThanOrEqual, Not } from 'typeorm';
import type { AgentStatus, JobCounts, JobListQuery, JobStatus } from '@wiz/contracts';
import { JOB_STATUSES } from '@wiz/contracts';
import { AgentEntity, JobDependencyEntity, JobEntity, JobSteerEntity } from '../entities';
import { NOT_STARTED_SQL } from '../entities/job.entity';
import { Sql } from '../sql';
import { forUpdate, writeTransaction } from '../write-lock';
import { budgetApplies, claimFree, releaseHeld } from './agents.repository';

/**
 * An owner's jobs not started yet (of one of its agents, when `agent`), counted up to a cap: a
 * scalar subquery on parameters `k`… in order (owner, agent if any, cap), so that on SQLite, whose
 * placeholders bind in order of appearance, a statement lists its parameters as it uses them. Its
 * condition is idx_jobs_not_started's predicate, so that it reads that index only.
 */
function waitingCount(table: string, p: (k: number) => string, k: number, agent: boolean): string {
  const ofAgent = agent ? ` AND "agentId" = ${p(k + 1)}` : '';
  const cap = p(agent ? k + 2 : k + 1);
  return `(SELECT COUNT(*) FROM (SELECT 1 FROM ${table} WHERE "ownerId" = ${p(k)}${ofAgent} AND ${NOT_STARTED_SQL} LIMIT ${cap}) c)`;
}

// Queries only; every query takes the owner (STYLE.md rule 6).
@Injectable()
export class JobsRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  private repo(m?: EntityManager) {
    return (m ?? this.ds.manager).getRepository(JobEntity);
  }

  // The hot path (submit, claim, complete) uses plain SQL (see Sql): TypeORM's query building
  // was the largest part of the server's CPU per job.
  async insert(job: JobEntity, m?: EntityManager): Promise<void> {
    await new Sql(m ?? this.ds.manager).insert(JobEntity, [job]);
  }

  async findById(ownerId: string, id: string, m?: EntityManager): Promise<JobEntity | null> {
    const [row] = await new Sql(m ?? this.ds.manager).find(JobEntity, { ownerId, id });
    return row ?? null;
  }

  /**
   * A job about to run, and whether a person's steering message waits for it: one statement, so
   * that a run reads the steering messages only when there are some (most jobs have none).
   */
  async findForRun(ownerId: string, id: string): Promise<{ job: JobEntity; steered: boolean } | null> {
    const sql = new Sql(this.ds.manager);
    const [row] = await sql.rows(
      `SELECT j.*, EXISTS (SELECT 1 FROM ${sql.table(JobSteerEntity)} s WHERE s."jobId" = j."id" AND s."consumedAt" IS NULL) AS "wizSteered"
       FROM ${sql.table(JobEntity)} j WHERE j."ownerId" = ${sql.p(1)} AND j."id" = ${sql.p(2)}`,
      [ownerId, id],
    );
    return row ? { job: sql.hydrate(JobEntity, row), steered: Boolean(row['wizSteered']) } : null;
  }

  /** Read and lock (Postgres) inside `m`'s transaction: concurrent deciders wait for this one. */
  lockById(ownerId: string, id: string, m: EntityManager): Promise<JobEntity | null> {
    return this.repo(m).findOne({ where: { ownerId, id }, ...forUpdate(m) });
  }

  findByIds(ownerId: string, ids: string[], m?: EntityManager): Promise<JobEntity[]> {
    return ids.length ? this.repo(m).findBy({ ownerId, id: In(ids) }) : Promise.resolve([]);
  }

  lockByIds(ownerId: string, ids: string[], m: EntityManager): Promise<JobEntity[]> {
    return ids.length
      ? this.repo(m).find({ where: { ownerId, id: In(ids) }, order: { id: 'ASC' }, ...forUpdate(m) })
      : Promise.resolve([]);
  }

  findByIdempotencyKey(ownerId: string, key: string, m?: EntityManager): Promise<JobEntity | null> {
    return this.repo(m).findOneBy({ ownerId, idempotencyKey: key });
  }

  async list(ownerId: string, q: JobListQuery): Promise<[JobEntity[], number]> {
    return this.repo().findAndCount({
      where: {
        ownerId,
        ...(q.status ? { status: In(q.status) } : {}),
        ...(q.agentId ? { agentId: q.agentId } : {}),
        ...(q.parentJobId ? { parentJobId: q.parentJobId } : {}),
      },
      order: { createdAt: 'DESC', id: 'ASC' },
      take: q.limit,
      skip: q.offset,
    });
  }

  /**
   * Inserts `job` only while its agent has fewer than `agentCap` jobs not started yet and its
   * owner fewer than `ownerCap` (the counts of `waitingCounts`, in the insert's statement: one
   * round trip for a submit's bound and its insert); whether it did.
   */
  insertBounded(job: JobEntity, agentCap: number, ownerCap: number, m: EntityManager): Promise<boolean> {
    return this.insertChecked(job, { caps: { agent: agentCap, owner: ownerCap } }, m);
  }

  /**
   * Inserts `job` only if what `o` names holds, checked in the insert's own statement; whether it
   * did. `caps`: as insertBounded. `runnableAgent`: the job's agent is still the owner's, not
   * deleted and not inactive, and no budget of the owner or of the agent applies (what
   * AgentsRepository.findForSubmit reads), for a submit that did not read its agent first.
   * In a group of submits, sent with the commit: a job whose condition fails fails the group, and
   * each submit then runs alone (StateChangesService), where this returns false.
   */
  insertChecked(
    job: JobEntity,
    o: { caps?: { agent: number; owner: number }; runnableAgent?: boolean },
    m: EntityManager,
  ): Promise<boolean> {
    const sql = new Sql(m);
    const t = sql.table(JobEntity);
    // Parameters in the order the condition uses them (SQLite binds `?` in order of appearance).
    const params: unknown[] = [];
    const conds: Array<(p: (k: number) => string) => string> = [];
    if (o.runnableAgent) {
      const k = params.push(job.agentId, job.ownerId) - 1;
      conds.push(
        (p) =>
          `EXISTS (SELECT 1 FROM ${sql.table(AgentEntity)} a WHERE a."id" = ${p(k)} AND a."ownerId" = ${p(k + 1)}` +
          ` AND a."deletedAt" IS NULL AND a."status" <> 'inactive' AND NOT ${budgetApplies(sql, 'a')})`,
      );
    }
    if (o.caps) {
      const { agent, owner } = o.caps;
      const k = params.push(job.ownerId, job.agentId, agent, agent, job.ownerId, owner, owner) - 6;
      conds.push(
        (p) => `${waitingCount(t, p, k, true)} < ${p(k + 3)} AND ${waitingCount(t, p, k + 4, false)} < ${p(k + 6)}`,
      );
    }
    if (!conds.length) return this.insert(job, m).then(() => true);
    return sql.insertIf(JobEntity, job, (p) => conds.map((c) => c(p)).join(' AND '), params, { inGroup: true });
  }

  /**
   * How many jobs not started yet (queued, delayed, waiting on dependencies) one agent of the
   * owner has, counted up to `agentCap`, and the owner has, up to `ownerCap`: one statement that
   * reads at most that many index entries of each, not all of them.
   */
  async waitingCounts(
    ownerId: string,
    agentId: string,
    agentCap: number,
    ownerCap: number,
    m?: EntityManager,
  ): Promise<{ agent: number; owner: number }> {
    const sql = new Sql(m ?? this.ds.manager);
    const t = sql.table(JobEntity);
    const p = (k: number) => sql.p(k);
    const [row] = await sql.rows(
      `SELECT ${waitingCount(t, p, 1, true)} AS "agent", ${waitingCount(t, p, 4, false)} AS "owner"`,
      [ownerId, agentId, agentCap, ownerId, ownerCap],
    );
    return { agent: Number(row?.['agent'] ?? 0), owner: Number(row?.['owner'] ?? 0) };
  }

  async counts(ownerId: string, agentId?: string): Promise<JobCounts> {
    const rows: Array<{ status: JobStatus; n: string | number }> = await this.repo()
      .createQueryBuilder('j')
      .select('j.status', 'status')
      .addSelect('COUNT(*)', 'n')
      .where('j.ownerId = :ownerId', { ownerId })
      .andWhere(agentId ? 'j.agentId = :agentId' : '1=1', { agentId })
      .groupBy('j.status')
      .getRawMany();
    const counts = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as JobCounts;
    for (const r of rows) counts[r.status] = Number(r.n);
    return counts;
  }

  childrenOf(ownerId: string, parentJobId: string, m?: EntityManager): Promise<JobEntity[]> {
    return this.repo(m).find({ where: { ownerId, parentJobId }, order: { createdAt: 'ASC' } });
  }

  /** Delayed jobs that are due, oldest first (any owner: the scheduler serves everyone). */
  /** Parked jobs (`waiting-children`, `waiting-input`) with a wake-up time (runAt) that has passed. */
  dueParked(now: Date, limit: number): Promise<JobEntity[]> {
    return this.due(`"status" IN ('waiting-children', 'waiting-input') AND "runAt" <=`, '"runAt"', now, limit);
  }

  dueDelayed(now: Date, limit: number): Promise<JobEntity[]> {
    return this.due(`"status" = 'delayed' AND "runAt" <=`, '"runAt"', now, limit);
  }

  /** Active jobs whose runtime stopped renewing their lease (any owner: runtimes serve everyone). */
  lapsedActive(now: Date, limit: number): Promise<JobEntity[]> {
    return this.due(`"status" = 'active' AND "leaseUntil" <`, '"leaseUntil"', now, limit);
  }

  // The periodic sweeps' reads, several a second per runtime: plain SQL (see Sql).
  private async due(condition: string, orderBy: string, now: Date, limit: number): Promise<JobEntity[]> {
    const sql = new Sql(this.ds.manager);
    const rows = await sql.rows(
      `SELECT * FROM ${sql.table(JobEntity)} WHERE ${condition} ${sql.p(1)} ORDER BY ${orderBy} ASC LIMIT ${sql.p(2)}`,
      [now.getTime(), limit],
    );
    return rows.map((r) => sql.hydrate(JobEntity, r));
  }

  /** Extends running jobs' leases (a job another transaction holds is renewed at the next beat). */
  renewLeases(ids: string[], until: Date): Promise<void> {
    return new Sql(this.ds.manager).setUnlocked(JobEntity, 'leaseUntil', until.getTime(), ids, `"status" = 'active'`);
  }

  /** An agent's next queued jobs, in the order it should run them. */
  async nextQueued(ownerId: string, agentId: string, limit: number): Promise<JobEntity[]> {
    const sql = new Sql(this.ds.manager);
    const rows = await sql.rows(
      `SELECT * FROM ${sql.table(JobEntity)} WHERE "ownerId" = ${sql.p(1)} AND "agentId" = ${sql.p(2)} AND "status" = 'queued'
       ORDER BY "priority" DESC, "createdAt" ASC, "id" ASC LIMIT ${sql.p(3)}`,
      [ownerId, agentId, limit],
    );
    return rows.map((r) => sql.hydrate(JobEntity, r));
  }

  /**
   * Agents that have queued jobs but run none, are not paused, and whose queued jobs have all
   * sat unchanged since `before`: their mailbox commands may be gone (see StalledJobsWorker).
   */
  async idleWithQueued(before: Date, limit: number): Promise<Array<{ ownerId: string; agentId: string }>> {
    return this.repo()
      .createQueryBuilder('j')
      .innerJoin(AgentEntity, 'a', 'a.id = j.agentId')
      .select('j.ownerId', 'ownerId')
      .addSelect('j.agentId', 'agentId')
      .where('j.status = :queued', { queued: 'queued' })
      .andWhere('a.paused = :no AND a.deletedAt IS NULL AND a.runningJobId IS NULL', { no: false })
      .groupBy('j.ownerId')
      .addGroupBy('j.agentId')
      .having('MAX(j.updatedAt) < :before', { before: before.getTime() })
      .limit(limit)
      .getRawMany();
  }

  /** Queued jobs per mailbox partition and when the longest-waiting one was queued (metrics). */
  async queuedByPartition(): Promise<Array<{ partition: number; depth: number; oldest: Date }>> {
    const rows: Array<{ partition: unknown; depth: unknown; oldest: unknown }> = await this.repo()
      .createQueryBuilder('j')
      .select('j.partition', 'partition')
      .addSelect('COUNT(*)', 'depth')
      .addSelect('MIN(j.updatedAt)', 'oldest')
      .where('j.status = :queued', { queued: 'queued' })
      .groupBy('j.partition')
      .getRawMany();
    return rows.map((r) => ({
      partition: Number(r.partition),
      depth: Number(r.depth),
      oldest: new Date(Number(r.oldest)),
    }));
  }

  async addDependencies(jobId: string, dependsOn: string[], m: EntityManager): Promise<void> {
    if (dependsOn.length)
      await m.getRepository(JobDependencyEntity).insert(dependsOn.map((d) => ({ jobId, dependsOnId: d })));
  }

  /** Ids of the jobs that depend on `jobId` (links are only made between jobs of one owner). */
  async dependentIds(jobId: string, m: EntityManager): Promise<string[]> {
    const sql = new Sql(m);
    const rows = await sql.rows(
      `SELECT "jobId" FROM ${sql.table(JobDependencyEntity)} WHERE "dependsOnId" = ${sql.p(1)}`,
      [jobId],
    );
    return rows.map((r) => r['jobId'] as string);
  }

  /** Finished jobs past the retention policy: beyond the newest `keep`, or older than `before`. */
  async expired(
    status: 'completed' | 'failed' | 'cancelled',
    keep: number,
    before: Date,
    limit: number,
  ): Promise<string[]> {
    const old = await this.repo().find({
      select: { id: true },
      where: { status, finishedAt: LessThanOrEqual(before) },
      take: limit,
    });
    const beyond = await this.repo().find({
      select: { id: true },
      where: { status, finishedAt: Not(IsNull()) },
      order: { finishedAt: 'DESC' },
      skip: keep,
      take: limit,
    });
    return [...new Set([...old, ...beyond].map((j) => j.id))].slice(0, limit);
  }

  async deleteMany(ids: string[]): Promise<void> {
    if (!ids.length) return;
    await writeTransaction(this.ds, async (m) => {
      await m.getRepository(JobDependencyEntity).delete({ jobId: In(ids) });
      await m.getRepository(JobDependencyEntity).delete({ dependsOnId: In(ids) });
      await m.getRepository(JobEntity).delete({ id: In(ids) });
    });
  }

  /** Marks a job as looked at (not a transition: the revision stays). */
  async touch(ownerId: string, id: string, at: Date, m: EntityManager): Promise<void> {
    await this.repo(m).update({ ownerId, id }, { updatedAt: at });
  }

  /** Progress of an active job: not a transition, the revision stays. */
  async setProgress(ownerId: string, id: string, progress: number, m: EntityManager): Promise<boolean> {
    const r = await this.repo(m).update({ ownerId, id, status: 'active' }, { progress, updatedAt: new Date() });
    return r.affected === 1;
  }

  // Compare-and-set on the revision: true when this caller's view was current and the change
  // landed; false when someone else moved the job first.
  async transition(
    ownerId: string,
    id: string,
    seenRevision: number,
    patch: Partial<JobEntity>,
    m?: EntityManager,
  ): Promise<boolean> {
    const sql = new Sql(m ?? this.ds.manager);
    const cas = compareAndSet(sql, ownerId, id, seenRevision, patch, 1);
    return (await sql.run(cas.text, cas.params)) === 1;
  }

  /**
   * A queued job's start when its agent is free: the agent's claim (`claimFree`) and the job's
   * `transition` to `patch`, made only if the claim was. One statement on Postgres, two on
   * SQLite. Null when the agent was not free (paused, deleted, held: see AgentsRepository.claim);
   * else the claimed agent, and whether the job moved (if not, the agent stays claimed).
   */
  async claimAndMove(
    job: JobEntity,
    patch: Partial<JobEntity>,
    m: EntityManager,
  ): Promise<{ agent: AgentEntity; moved: boolean } | null> {
    const sql = new Sql(m);
    const claimParams = [job.id, job.agentId, job.ownerId];
    if (!sql.postgres) {
      const [row] = await sql.rows(claimFree(sql, 1), claimParams);
      if (!row) return null;
      const agent = sql.hydrate(AgentEntity, row);
      return { agent, moved: await this.transition(job.ownerId, job.id, job.revision, patch, m) };
    }
    const cas = compareAndSet(sql, job.ownerId, job.id, job.revision, patch, 4, ' AND EXISTS (SELECT 1 FROM a)');
    const [row] = await sql.rows(
      `WITH a AS (${claimFree(sql, 1)}), j AS (${cas.text} RETURNING 1)
       SELECT a.*, (SELECT COUNT(*) FROM j) AS "wizMoved" FROM a`,
      [...claimParams, ...cas.params],
    );
    return row ? { agent: sql.hydrate(AgentEntity, row), moved: Number(row['wizMoved']) === 1 } : null;
  }

  /**
   * A running job's end: its `transition` to `patch`; if it moved, its agent freed if it holds it
   * (`releaseHeld`); and the ids of the jobs that depend on it (`dependentIds`). One statement on
   * Postgres, three on SQLite. `agentStatus`: the agent's status once freed, null if not freed.
   */
  async finish(
    job: JobEntity,
    patch: Partial<JobEntity>,
    m: EntityManager,
  ): Promise<{ moved: boolean; agentStatus: AgentStatus | null; dependents: string[] }> {
    const sql = new Sql(m);
    const releaseParams = [job.agentId, job.ownerId, job.id];
    if (!sql.postgres) {
      if (!(await this.transition(job.ownerId, job.id, job.revision, patch, m)))
        return { moved: false, agentStatus: null, dependents: [] };
      const [freed] = await sql.rows(releaseHeld(sql, 1), releaseParams);
      return {
        moved: true,
        agentStatus: (freed?.['status'] as AgentStatus | undefined) ?? null,
        dependents: await this.dependentIds(job.id, m),
      };
    }
    const cas = compareAndSet(sql, job.ownerId, job.id, job.revision, patch, 1);
    const r = cas.params.length + 1;
    const d = r + releaseParams.length;
    const [row] = await sql.rows(
      `WITH j AS (${cas.text} RETURNING 1), a AS (${releaseHeld(sql, r, ' AND EXISTS (SELECT 1 FROM j)')})
       SELECT (SELECT COUNT(*) FROM j) AS "moved", (SELECT "status" FROM a) AS "agentStatus",
         ARRAY(SELECT "jobId"::text FROM ${sql.table(JobDependencyEntity)} WHERE "dependsOnId" = ${sql.p(d)}) AS "dependents"`,
      [...cas.params, ...releaseParams, job.id],
    );
    const moved = Number(row?.['moved']) === 1;
    return {
      moved,
      agentStatus: moved ? ((row?.['agentStatus'] as AgentStatus | null) ?? null) : null,
      dependents: moved ? ((row?.['dependents'] as string[] | null) ?? []) : [],
    };
  }
}

/**
 * A job's compare-and-set on its revision (the text depends only on the patch's keys, a few fixed
 * sets on the hot path): parameters from the `from`-th on; `also`: SQL ANDed to its condition.
 */
function compareAndSet(
  sql: Sql,
  ownerId: string,
  id: string,
  seenRevision: number,
  patch: Partial<JobEntity>,
  from: number,
  also = '',
): { text: string; params: unknown[] } {
  const { set, params } = sql.assignments(JobEntity, { ...patch, revision: seenRevision + 1 }, from);
  const n = from + params.length;
  return {
    text: `UPDATE ${sql.table(JobEntity)} SET ${set} WHERE "ownerId" = ${sql.p(n)} AND "id" = ${sql.p(n + 1)} AND "revision" = ${sql.p(n + 2)}${also}`,
    params: [...params, ownerId, id, seenRevision],
  };
}
