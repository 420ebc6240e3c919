import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { ActivityContextEntity } from '../entities';

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
    await this.repo(m).upsert(ctx as QueryDeepPartialEntity<ActivityContextEntity>, {
      conflictPaths: ['jobId'],
      skipUpdateIfNoValuesChanged: false,
    });
  }
}
