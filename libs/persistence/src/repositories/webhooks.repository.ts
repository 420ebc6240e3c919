import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In, LessThanOrEqual } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import type { DeliveryStatus, Page } from '@wiz/contracts';
import { WebhookDeliveryEntity, WebhookEntity } from '../entities';
import { Sql } from '../sql';

// Queries only; every query a client's request reaches takes the owner (STYLE.md rule 6).
@Injectable()
export class WebhooksRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  private get hooks() {
    return this.ds.manager.getRepository(WebhookEntity);
  }

  private get deliveries() {
    return this.ds.manager.getRepository(WebhookDeliveryEntity);
  }

  async insert(w: WebhookEntity, m?: EntityManager): Promise<void> {
    await (m ?? this.ds.manager).getRepository(WebhookEntity).insert(w as QueryDeepPartialEntity<WebhookEntity>);
  }

  findById(ownerId: string, id: string): Promise<WebhookEntity | null> {
    return this.hooks.findOneBy({ ownerId, id });
  }

  /** Webhooks by id, whoever owns them (the runtime's sender). */
  findByIds(ids: readonly string[]): Promise<WebhookEntity[]> {
    return this.hooks.createQueryBuilder('w').where('w.id IN (:...ids)', { ids }).getMany();
  }

  /** Read whenever the owner's webhooks are not in memory (WebhookDeliveries): plain SQL (see Sql). */
  ofOwner(ownerId: string): Promise<WebhookEntity[]> {
    return new Sql(this.ds.manager).find(WebhookEntity, { ownerId }, '"createdAt" ASC, "id" ASC');
  }

  list(ownerId: string, page: Page): Promise<[WebhookEntity[], number]> {
    return this.hooks.findAndCount({
      where: { ownerId },
      order: { createdAt: 'ASC', id: 'ASC' },
      take: page.limit,
      skip: page.offset,
    });
  }

  async delete(ownerId: string, id: string): Promise<boolean> {
    return this.ds.transaction(async (m) => {
      const r = await m.getRepository(WebhookEntity).delete({ ownerId, id });
      if (r.affected !== 1) return false;
      await m.getRepository(WebhookDeliveryEntity).delete({ webhookId: id });
      return true;
    });
  }

  /** Inserts new deliveries in `m`'s transaction (on Postgres sent with its COMMIT: nothing reads them before). */
  async insertDeliveries(rows: WebhookDeliveryEntity[], m: EntityManager): Promise<void> {
    await new Sql(m).insert(WebhookDeliveryEntity, rows, { withCommit: true });
  }

  /** Deletes deliveries (of a webhook deleted after they were recorded). */
  async deleteDeliveries(ids: string[]): Promise<void> {
    if (ids.length) await this.deliveries.delete({ id: In(ids) });
  }

  listDeliveries(
    ownerId: string,
    webhookId: string,
    q: { status?: DeliveryStatus; limit: number },
  ): Promise<WebhookDeliveryEntity[]> {
    return this.deliveries.find({
      where: { ownerId, webhookId, ...(q.status && { status: q.status }) },
      order: { createdAt: 'DESC', id: 'ASC' },
      take: q.limit,
    });
  }

  due(now: Date, limit: number): Promise<WebhookDeliveryEntity[]> {
    return this.deliveries.find({
      where: { status: 'pending', nextAttemptAt: LessThanOrEqual(now) as never },
      order: { nextAttemptAt: 'ASC' },
      take: limit,
    });
  }

  /** Compare-and-set of the claim: moves `nextAttemptAt` from `from` to `until`; false when another took it. */
  async claim(id: string, from: Date | null, until: Date): Promise<boolean> {
    const r = await this.deliveries.update(
      { id, status: 'pending', ...(from && { nextAttemptAt: from }) } as never,
      { nextAttemptAt: until } as QueryDeepPartialEntity<WebhookDeliveryEntity>,
    );
    return r.affected === 1;
  }

  async recordAttempt(row: WebhookDeliveryEntity): Promise<void> {
    const patch = {
      status: row.status,
      attemptCount: row.attemptCount,
      attempts: row.attempts,
      nextAttemptAt: row.nextAttemptAt,
      deliveredAt: row.deliveredAt,
    } as QueryDeepPartialEntity<WebhookDeliveryEntity>;
    await this.deliveries.update({ id: row.id }, patch);
  }
}
