import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { McpServerEntity } from '../entities/mcp-server.entity';
import type { Page } from '@wiz/contracts';

// Queries only; every query takes the owner (STYLE.md rule 6).
@Injectable()
export class McpServersRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  private repo() {
    return this.ds.manager.getRepository(McpServerEntity);
  }

  async insert(s: McpServerEntity, m?: EntityManager): Promise<void> {
    await (m ?? this.ds.manager).getRepository(McpServerEntity).insert(s);
  }

  findById(ownerId: string, id: string): Promise<McpServerEntity | null> {
    return this.repo().findOneBy({ ownerId, id });
  }

  findByName(ownerId: string, name: string): Promise<McpServerEntity | null> {
    return this.repo().findOneBy({ ownerId, name });
  }

  list(ownerId: string, page: Page): Promise<[McpServerEntity[], number]> {
    return this.repo().findAndCount({
      where: { ownerId },
      order: { createdAt: 'ASC', id: 'ASC' },
      take: page.limit,
      skip: page.offset,
    });
  }

  all(ownerId: string): Promise<McpServerEntity[]> {
    return this.repo().find({ where: { ownerId }, order: { name: 'ASC' } });
  }

  async save(s: McpServerEntity): Promise<void> {
    await this.repo().update({ ownerId: s.ownerId, id: s.id }, s);
  }

  async delete(ownerId: string, id: string): Promise<boolean> {
    const r = await this.repo().delete({ ownerId, id });
    return r.affected === 1;
  }
}
