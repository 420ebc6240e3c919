import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import type { WaitKind, WaitResolution, WaitStatus } from '@wiz/contracts';
import { JobSteerEntity, JobWaitEntity, OwnerSettingsEntity } from '../entities';
import { Sql } from '../sql';

// Queries only; every query that a client's request reaches takes the owner (STYLE.md rule 6).
@Injectable()
export class JobWaitsRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  private repo(m?: EntityManager) {
    return (m ?? this.ds.manager).getRepository(JobWaitEntity);
  }

  async insert(rows: JobWaitEntity[], m: EntityManager): Promise<void> {
    if (rows.length) await this.repo(m).insert(rows as QueryDeepPartialEntity<JobWaitEntity>[]);
  }

  findById(ownerId: string, id: string, m?: EntityManager): Promise<JobWaitEntity | null> {
    return this.repo(m).findOneBy({ ownerId, id });
  }

  findByIds(ownerId: string, ids: readonly string[], m?: EntityManager): Promise<JobWaitEntity[]> {
    return ids.length ? this.repo(m).findBy({ ownerId, id: In([...ids]) }) : Promise.resolve([]);
  }

  list(
    ownerId: string,
    q: { kind?: WaitKind; status?: WaitStatus; jobId?: string; limit: number },
  ): Promise<JobWaitEntity[]> {
    const where = { ownerId, ...(q.kind && { kind: q.kind }), ...(q.status && { status: q.status }) };
    return this.repo().find({
      where: q.jobId ? { ...where, jobId: q.jobId } : where,
      order: { createdAt: 'DESC', id: 'ASC' },
      take: q.limit,
    });
  }

  /** A job's pending waits of `kind` (oldest first). */
  pendingOf(ownerId: string, jobId: string, kind?: WaitKind, m?: EntityManager): Promise<JobWaitEntity[]> {
    return this.repo(m).find({
      where: { ownerId, jobId, status: 'pending', ...(kind && { kind }) },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
  }

  /** Pending waits of jobs in a conversation (oldest first): a person's reply there answers them. */
  pendingInConversation(ownerId: string, conversationId: string, m?: EntityManager): Promise<JobWaitEntity[]> {
    return this.repo(m).find({
      where: { ownerId, conversationId, status: 'pending' },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
  }

  /** Compare-and-set pending → `status`: false when it was resolved (or expired) first. */
  async resolve(
    ownerId: string,
    id: string,
    status: WaitStatus,
    resolution: WaitResolution,
    m: EntityManager,
  ): Promise<boolean> {
    const patch = { status, resolution, resolvedAt: new Date(resolution.at) } as QueryDeepPartialEntity<JobWaitEntity>;
    const r = await this.repo(m).update({ ownerId, id, status: 'pending' }, patch);
    return r.affected === 1;
  }

  /** Closes a job's pending waits (its job ended); returns how many. */
  async closePending(ownerId: string, jobId: string, resolution: WaitResolution, m: EntityManager): Promise<number> {
    const patch = {
      status: 'cancelled',
      resolution,
      resolvedAt: new Date(resolution.at),
    } as QueryDeepPartialEntity<JobWaitEntity>;
    const r = await this.repo(m).update({ ownerId, jobId, status: 'pending' }, patch);
    return r.affected ?? 0;
  }

  async countPending(ownerId: string, jobId: string, m: EntityManager): Promise<number> {
    return this.repo(m).countBy({ ownerId, jobId, status: 'pending' });
  }

  // Steering messages.
  async addSteer(row: JobSteerEntity, m: EntityManager): Promise<void> {
    await m.getRepository(JobSteerEntity).insert(row);
  }

  unconsumedSteers(ownerId: string, jobId: string, m?: EntityManager): Promise<JobSteerEntity[]> {
    // Plain SQL (see Sql): read at every step of every job.
    return new Sql(m ?? this.ds.manager).find(
      JobSteerEntity,
      { ownerId, jobId, consumedAt: null },
      '"createdAt" ASC, "id" ASC',
    );
  }

  async hasUnconsumedSteers(ownerId: string, jobId: string): Promise<boolean> {
    // Plain SQL (see Sql): asked between the steps of every job.
    const sql = new Sql(this.ds.manager);
    const [row] = await sql.rows(
      `SELECT EXISTS (SELECT 1 FROM ${sql.table(JobSteerEntity)} WHERE "ownerId" = ${sql.p(1)} AND "jobId" = ${sql.p(2)} AND "consumedAt" IS NULL) AS "steered"`,
      [ownerId, jobId],
    );
    return Boolean(row?.['steered']);
  }

  async consumeSteers(ids: readonly string[], at: Date, m: EntityManager): Promise<void> {
    if (ids.length) await m.getRepository(JobSteerEntity).update({ id: In([...ids]) }, { consumedAt: at });
  }

  // The owner's default approval policies.
  async ownerPolicies(ownerId: string): Promise<OwnerSettingsEntity | null> {
    const [row] = await new Sql(this.ds.manager).find(OwnerSettingsEntity, { ownerId });
    return row ?? null;
  }

  async saveOwnerPolicies(row: OwnerSettingsEntity): Promise<void> {
    await this.ds.manager.getRepository(OwnerSettingsEntity).save(row);
  }
}
