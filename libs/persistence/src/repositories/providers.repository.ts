import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { ProviderEntity } from '../entities';
import type { Page } from '@wiz/contracts';

// Queries only; every query takes the owner (STYLE.md rule 6).
@Injectable()
export class ProvidersRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  private repo(m?: EntityManager) {
    return (m ?? this.ds.manager).getRepository(ProviderEntity);
  }

  async insert(p: ProviderEntity, m?: EntityManager): Promise<void> {
    await this.repo(m).insert(p);
  }

  findById(ownerId: string, id: string): Promise<ProviderEntity | null> {
    return this.repo().findOneBy({ ownerId, id });
  }

  list(ownerId: string, page: Page): Promise<[ProviderEntity[], number]> {
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
}
