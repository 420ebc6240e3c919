import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, LessThanOrEqual } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { ScheduleEntity } from '../entities';
import type { Page } from '@wiz/contracts';

// Queries only; every query that a client drives takes the owner (STYLE.md rule 6).
@Injectable()
export class SchedulesRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  private repo(m?: EntityManager) {
    return (m ?? this.ds.manager).getRepository(ScheduleEntity);
  }

  async insert(schedule: ScheduleEntity, m?: EntityManager): Promise<void> {
    await this.repo(m).insert(schedule as QueryDeepPartialEntity<ScheduleEntity>);
  }

  findById(ownerId: string, id: string, m?: EntityManager): Promise<ScheduleEntity | null> {
    return this.repo(m).findOneBy({ ownerId, id });
  }

  list(ownerId: string, page: Page): Promise<[ScheduleEntity[], number]> {
    return this.repo().findAndCount({
      where: { ownerId },
      order: { createdAt: 'ASC', id: 'ASC' },
      take: page.limit,
      skip: page.offset,
    });
  }

  async delete(ownerId: string, id: string, m?: EntityManager): Promise<boolean> {
    const r = await this.repo(m).delete({ ownerId, id });
    return r.affected === 1;
  }

  /** Enabled schedules whose next tick is due, most overdue first (any owner: the firing loop serves everyone). */
  due(now: Date, limit: number): Promise<ScheduleEntity[]> {
    return this.repo().find({
      where: { enabled: true, nextRunAt: LessThanOrEqual(now) },
      order: { nextRunAt: 'ASC', id: 'ASC' },
      take: limit,
    });
  }

  // Compare-and-set on the revision: true when this caller's view was current and the change
  // landed; false when another runtime advanced (or someone deleted) the schedule first.
  async advance(
    ownerId: string,
    id: string,
    seenRevision: number,
    patch: Partial<Pick<ScheduleEntity, 'nextRunAt' | 'lastRunAt' | 'enabled' | 'updatedAt'>>,
    m?: EntityManager,
  ): Promise<boolean> {
    const r = await this.repo(m).update({ ownerId, id, revision: seenRevision }, {
      ...patch,
      revision: seenRevision + 1,
    } as QueryDeepPartialEntity<ScheduleEntity>);
    return r.affected === 1;
  }
}
