import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, IsNull, Not } from 'typeorm';
import { OutboxEntity } from '../entities';
import { Sql } from '../sql';

export type NewOutboxRow = Pick<OutboxEntity, 'id' | 'kind' | 'subject' | 'payload'> & {
  headers?: Record<string, string> | null;
};

let lastSeq = 0;
// Increasing within the process, roughly time-ordered across processes.
function nextSeq(): number {
  lastSeq = Math.max(lastSeq + 1, Date.now() * 1000);
  return lastSeq;
}

// Outbox rows are bus messages, not user data: no owner here.
@Injectable()
export class OutboxRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async insert(rows: NewOutboxRow[], claimedUntil: Date, m: EntityManager): Promise<OutboxEntity[]> {
    const now = new Date();
    const entities = rows.map((r) =>
      Object.assign(new OutboxEntity(), { headers: null }, r, { seq: nextSeq(), createdAt: now, claimedUntil }),
    );
    // The last statement of the transaction that emits them (StateChangesService): not waited for.
    await new Sql(m).insert(OutboxEntity, entities, { withCommit: true });
    return entities;
  }

  async delete(ids: string[]): Promise<void> {
    if (!ids.length) return;
    const sql = new Sql(this.ds.manager);
    await sql.run(`DELETE FROM ${sql.table(OutboxEntity)} WHERE ${sql.inList('"id"', 1)}`, [sql.list(ids)]);
  }

  // Claim rows whose claim lapsed (their writer died or could not publish). Two sweepers may
  // rarely claim the same row; publishing is idempotent (Nats-Msg-Id), so that costs nothing.
  // Runs every sweep (twice a second per process), mostly finding nothing: plain SQL (see Sql).
  async claimStale(now: Date, until: Date, limit: number): Promise<OutboxEntity[]> {
    const sql = new Sql(this.ds.manager);
    const t = sql.table(OutboxEntity);
    const candidates = await sql.rows(
      `SELECT "id" FROM ${t} WHERE "claimedUntil" < ${sql.p(1)} AND "deadReason" IS NULL ORDER BY "seq" ASC LIMIT ${sql.p(2)}`,
      [now.getTime(), limit],
    );
    if (!candidates.length) return [];
    const ids = sql.list(candidates.map((c) => c['id'] as string));
    await sql.run(
      `UPDATE ${t} SET "claimedUntil" = ${sql.p(1)} WHERE ${sql.inList('"id"', 2)} AND "claimedUntil" < ${sql.p(3)}`,
      [until.getTime(), ids, now.getTime()],
    );
    const rows = await sql.rows(
      `SELECT * FROM ${t} WHERE ${sql.inList('"id"', 1)} AND "claimedUntil" = ${sql.p(2)} ORDER BY "seq" ASC`,
      [ids, until.getTime()],
    );
    return rows.map((r) => sql.hydrate(OutboxEntity, r));
  }

  /** Extends the writer's claim on rows it still has to publish (see OutboxRelay). */
  renew(ids: string[], until: Date): Promise<void> {
    return new Sql(this.ds.manager).setUnlocked(
      OutboxEntity,
      'claimedUntil',
      until.getTime(),
      ids,
      '"deadReason" IS NULL',
    );
  }

  /** Marks a row the bus refuses for good; the sweep skips it from then on. */
  async markDead(id: string, reason: string): Promise<void> {
    await this.ds.getRepository(OutboxEntity).update({ id }, { deadReason: reason.slice(0, 2_000) });
  }

  /** When the oldest row still to publish was written (undefined: none). */
  async oldestPending(): Promise<Date | undefined> {
    const row = await this.ds.getRepository(OutboxEntity).findOne({
      select: { id: true, createdAt: true },
      where: { deadReason: IsNull() },
      order: { seq: 'ASC' },
    });
    return row?.createdAt;
  }

  countDead(): Promise<number> {
    return this.ds.getRepository(OutboxEntity).count({ where: { deadReason: Not(IsNull()) } });
  }

  count(): Promise<number> {
    return this.ds.getRepository(OutboxEntity).count();
  }
}
