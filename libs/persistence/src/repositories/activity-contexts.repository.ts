import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { ActivityContextEntity } from '../entities';
import { Sql } from '../sql';

// Queries only; every query takes the owner (STYLE.md rule 6).
@Injectable()
export class ActivityContextsRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  private repo(m?: EntityManager) {
    return (m ?? this.ds.manager).getRepository(ActivityContextEntity);
  }

  findByJob(ownerId: string, jobId: string, m?: EntityManager): Promise<ActivityContextEntity | null> {
    return this.repo(m).findOneBy({ ownerId, jobId });
  }

  /** Deletes up to `limit` contexts whose job no longer exists (retention deleted it); any owner. */
  async deleteOrphans(limit: number): Promise<number> {
    const rows: Array<{ jobId: string }> = await this.repo()
      .createQueryBuilder('c')
      .select('c.jobId', 'jobId')
      .leftJoin('jobs', 'j', 'j.id = c.jobId')
      .where('j.id IS NULL')
      .limit(limit)
      .getRawMany();
    if (!rows.length) return 0;
    await this.repo().delete(rows.map((r) => r.jobId));
    return rows.length;
  }

  /** Insert or overwrite the job's context (one row per job): one statement, no read first. */
  async save(ctx: ActivityContextEntity, m?: EntityManager): Promise<void> {
    // Plain SQL: written at every step of every job (see Sql).
    await new Sql(m ?? this.ds.manager).upsert(ActivityContextEntity, ctx, 'jobId');
  }
}
