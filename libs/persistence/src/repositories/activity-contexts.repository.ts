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

  /** Insert or overwrite the job's context (one row per job): one statement, no read first. */
  async save(ctx: ActivityContextEntity, m?: EntityManager): Promise<void> {
    await this.repo(m).upsert(ctx as QueryDeepPartialEntity<ActivityContextEntity>, { conflictPaths: ['jobId'], skipUpdateIfNoValuesChanged: false });
  }
}
