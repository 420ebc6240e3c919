import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { ApiKeyEntity } from '../entities';

// Queries only. `findByHash` is the one unscoped lookup: it is how a request finds its owner.
@Injectable()
export class ApiKeysRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  private get repo() {
    return this.ds.getRepository(ApiKeyEntity);
  }

  async insert(key: ApiKeyEntity, m?: EntityManager): Promise<void> {
    await (m ?? this.ds.manager).getRepository(ApiKeyEntity).insert(key as QueryDeepPartialEntity<ApiKeyEntity>);
  }

  findByHash(hash: string): Promise<ApiKeyEntity | null> {
    return this.repo.findOneBy({ hash });
  }

  findById(ownerId: string, id: string): Promise<ApiKeyEntity | null> {
    return this.repo.findOneBy({ ownerId, id });
  }

  list(ownerId: string): Promise<ApiKeyEntity[]> {
    return this.repo.find({ where: { ownerId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  /** Marks the key revoked; false when it does not exist or was already revoked. */
  async revoke(ownerId: string, id: string, at: Date): Promise<boolean> {
    const r = await this.repo.update({ ownerId, id, revokedAt: IsNull() }, {
      revokedAt: at,
    } as QueryDeepPartialEntity<ApiKeyEntity>);
    return r.affected === 1;
  }

  /** Whether any key may still be used (a fresh installation has none). */
  async anyActive(): Promise<boolean> {
    return (await this.repo.count({ where: { revokedAt: IsNull() }, take: 1 })) > 0;
  }

  /** The owner of any key with this id (admin look-up). */
  findAnyById(id: string): Promise<ApiKeyEntity | null> {
    return this.repo.findOneBy({ id });
  }
}
