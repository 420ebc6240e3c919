import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { JobEntity } from '../entities';

// Queries only; every query takes the owner (STYLE.md rule 6).
@Injectable()
export class JobsRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  private repo(m?: EntityManager) {
    return (m ?? this.ds.manager).getRepository(JobEntity);
  }

  async insert(job: JobEntity, m?: EntityManager): Promise<void> {
    await this.repo(m).insert(job as QueryDeepPartialEntity<JobEntity>);
  }

  findById(ownerId: string, id: string, m?: EntityManager): Promise<JobEntity | null> {
    return this.repo(m).findOneBy({ ownerId, id });
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
    const r = await this.repo(m).update({ ownerId, id, revision: seenRevision }, {
      ...patch,
      revision: seenRevision + 1,
    } as QueryDeepPartialEntity<JobEntity>);
    return r.affected === 1;
  }
}
