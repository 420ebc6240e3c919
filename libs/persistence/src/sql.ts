import { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';

// Plain SQL for what TypeORM's builder cannot say on both stores (UPDATE … RETURNING on SQLite)
// or says at a cost that shows on a hot path. Table and column names still come from the
// entity metadata, and values are hydrated by the driver as TypeORM itself would.
export class Sql {
  private readonly pg: boolean;

  constructor(private readonly m: EntityManager) {
    this.pg = m.connection.options.type === 'postgres';
  }

  get postgres(): boolean {
    return this.pg;
  }

  /** The n-th (1-based) parameter placeholder; on SQLite, use each parameter once, in order. */
  p(n: number): string {
    return this.pg ? `$${n}` : '?';
  }

  table(entity: EntityTarget<ObjectLiteral>): string {
    const { driver } = this.m.connection;
    return this.m.connection
      .getMetadata(entity)
      .tablePath.split('.')
      .map((part) => driver.escape(part))
      .join('.');
  }

  /** The rows a statement returns (RETURNING included), in `m`'s transaction if it has one. */
  async rows(sql: string, params: unknown[]): Promise<Record<string, unknown>[]> {
    const qr = this.m.queryRunner ?? this.m.connection.createQueryRunner();
    try {
      return ((await qr.query(sql, params, true)).records ?? []) as Record<string, unknown>[];
    } finally {
      if (qr !== this.m.queryRunner) await qr.release();
    }
  }

  /** How many rows a statement changed, in `m`'s transaction if it has one. */
  async affected(sql: string, params: unknown[]): Promise<number> {
    const qr = this.m.queryRunner ?? this.m.connection.createQueryRunner();
    try {
      return (await qr.query(sql, params, true)).affected ?? 0;
    } finally {
      if (qr !== this.m.queryRunner) await qr.release();
    }
  }

  /**
   * Sets one column on the rows of `ids` that also match `where` (SQL over the table's columns,
   * no parameters), skipping on Postgres the rows another transaction holds (FOR UPDATE SKIP
   * LOCKED): for renewals by a row's holder, which must never wait. A multi-row UPDATE waits for
   * rows in scan order and so deadlocks with transactions that lock them in another order (a
   * group commit); a skipped row is renewed at the next beat. SQLite has a single writer.
   */
  async setUnlocked(
    entity: EntityTarget<ObjectLiteral>,
    column: string,
    value: unknown,
    ids: string[],
    where: string,
  ): Promise<void> {
    if (!ids.length) return;
    const t = this.table(entity);
    const col = this.m.connection.driver.escape(column);
    if (this.pg)
      await this.rows(
        `UPDATE ${t} SET ${col} = $1 WHERE "id" IN (SELECT "id" FROM ${t} WHERE "id" = ANY($2) AND ${where} FOR UPDATE SKIP LOCKED)`,
        [value, ids],
      );
    else
      await this.rows(`UPDATE ${t} SET ${col} = ? WHERE "id" IN (${ids.map(() => '?').join(', ')}) AND ${where}`, [
        value,
        ...ids,
      ]);
  }

  hydrate<T extends ObjectLiteral>(entity: EntityTarget<T>, row: Record<string, unknown>): T {
    const meta = this.m.connection.getMetadata(entity);
    const e = meta.create() as T;
    for (const c of meta.columns)
      c.setEntityValue(e, this.m.connection.driver.prepareHydratedValue(row[c.databaseName], c));
    return e;
  }
}
