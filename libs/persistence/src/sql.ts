import { EntityManager, EntityMetadata, EntityTarget, ObjectLiteral } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import { isSharedRead, sharedReads } from './shared-reads';
import { sendInGroup, sendWithCommit } from './write-lock';

// Plain SQL for what TypeORM's builder cannot say on both stores (UPDATE … RETURNING on SQLite)
// or says at a cost that shows on a hot path (its query building runs for every statement).
// Table and column names still come from the entity metadata, and values are converted and
// hydrated by the driver as TypeORM itself would. Statement texts are kept stable (no IN list
// whose length varies): TypeORM's better-sqlite3 runner caches prepared statements by text
// (first in, first out; 1,000 of them, data-source.ts), so a varying text is prepared anew.
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

  /** `"id" IN` a list given as one parameter (n-th): `= ANY($n)` on Postgres, `json_each(?)` on SQLite. */
  inList(column: string, n: number): string {
    return this.pg ? `${column} = ANY(${this.p(n)})` : `${column} IN (SELECT value FROM json_each(?))`;
  }

  /** The parameter that goes with `inList`. */
  list(values: readonly string[]): unknown {
    return this.pg ? values : JSON.stringify(values);
  }

  table(entity: EntityTarget<ObjectLiteral>): string {
    return this.shape(entity).table;
  }

  /** The rows a statement returns (RETURNING included), in `m`'s transaction if it has one. */
  async rows(sql: string, params: unknown[]): Promise<Record<string, unknown>[]> {
    return ((await this.query(sql, params)).records ?? []) as Record<string, unknown>[];
  }

  /** Runs a statement that returns no rows; how many rows it changed. */
  async run(sql: string, params: unknown[]): Promise<number> {
    return (await this.query(sql, params)).affected ?? 0;
  }

  private async query(sql: string, params: unknown[]): Promise<{ records?: unknown[]; affected?: number }> {
    // Postgres: a read outside a transaction shares one pipelined connection (shared-reads.ts).
    if (this.pg && !this.m.queryRunner && isSharedRead(sql)) return sharedReads(this.m.connection).query(sql, params);
    const qr = this.m.queryRunner ?? this.m.connection.createQueryRunner();
    try {
      return (await qr.query(sql, params, true)) as { records?: unknown[]; affected?: number };
    } finally {
      if (qr !== this.m.queryRunner) await qr.release();
    }
  }

  /**
   * Inserts entities (the columns set on any of them; undefined is stored as NULL): one
   * multi-row statement per 500 rows. Its text varies only with the number of rows, a few
   * small numbers in practice (the rows of one transaction), each prepared once. `withCommit`:
   * not waited for, the outcome read at COMMIT (see sendWithCommit), for rows nothing later in
   * the transaction reads.
   */
  async insert<T extends ObjectLiteral>(
    entity: EntityTarget<T>,
    rows: readonly T[],
    o: { withCommit?: boolean } = {},
  ): Promise<void> {
    if (!rows.length) return;
    const s = this.shape(entity);
    const { cols, names } = this.written(s, rows);
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      const params: unknown[] = [];
      const tuples = rows.slice(i, i + INSERT_CHUNK).map((row) => {
        const start = params.length;
        params.push(...cols.map((c) => this.persistent(c, c.getEntityValue(row) ?? null)));
        return `(${cols.map((_, j) => this.p(start + j + 1)).join(', ')})`;
      });
      const text = `INSERT INTO ${s.table} (${names.join(', ')}) VALUES ${tuples.join(', ')}`;
      if (!(o.withCommit && sendWithCommit(this.m, text, params))) await this.run(text, params);
    }
  }

  /**
   * Rows of `entity` whose columns equal `where`'s values (null: IS NULL), hydrated; `orderBy`
   * is SQL over the table's columns. The text depends only on the keys and which are null.
   */
  async find<T extends ObjectLiteral>(
    entity: EntityTarget<T>,
    where: Partial<Record<keyof T & string, unknown>>,
    orderBy?: string,
  ): Promise<T[]> {
    const s = this.shape(entity);
    const conds: string[] = [];
    const params: unknown[] = [];
    for (const [key, value] of Object.entries(where)) {
      const c = s.byProperty.get(key);
      if (!c) throw new Error(`no column ${key} on ${s.table}`);
      const col = this.m.connection.driver.escape(c.databaseName);
      if (value === null) conds.push(`${col} IS NULL`);
      else {
        params.push(this.persistent(c, value));
        conds.push(`${col} = ${this.p(params.length)}`);
      }
    }
    const rows = await this.rows(
      `SELECT * FROM ${s.table} WHERE ${conds.join(' AND ')}${orderBy ? ` ORDER BY ${orderBy}` : ''}`,
      params,
    );
    return rows.map((r) => this.hydrate(entity, r));
  }

  /**
   * Inserts `row` only if `condition` holds, in the same statement; whether it did. `condition`
   * is SQL whose placeholders come from the `p` it is given (its k-th parameter, 1-based), with
   * `params` their values. `inGroup`: in a group's transaction (see sendInGroup) the statement is
   * sent with the commit and fails when `condition` does not hold (the group failing with it);
   * true. Elsewhere it is run and waited for.
   */
  async insertIf<T extends ObjectLiteral>(
    entity: EntityTarget<T>,
    row: T,
    condition: (p: (k: number) => string) => string,
    params: unknown[],
    o: { inGroup?: boolean } = {},
  ): Promise<boolean> {
    const s = this.shape(entity);
    const { cols, names } = this.written(s, [row]);
    const values = [...cols.map((c) => this.persistent(c, c.getEntityValue(row) ?? null)), ...params];
    const cond = condition((k) => this.p(cols.length + k));
    // INSERT … SELECT: Postgres types each parameter by its target column, as with VALUES.
    const insert = `INSERT INTO ${s.table} (${names.join(', ')}) SELECT ${cols.map((_, i) => this.p(i + 1)).join(', ')}`;
    // A division by zero: its divisor depends on the condition's subqueries, so the planner cannot fold it.
    const failing = () => `${insert} WHERE 1 / (CASE WHEN ${cond} THEN 1 ELSE 0 END) = 1`;
    if (o.inGroup && sendInGroup(this.m, failing(), values)) return true;
    return (await this.run(`${insert} WHERE ${cond}`, values)) > 0;
  }

  /** The columns set (not undefined) on any of `rows`, and their quoted names. */
  private written<T extends ObjectLiteral>(
    s: { columns: ColumnMetadata[] },
    rows: readonly T[],
  ): { cols: ColumnMetadata[]; names: string[] } {
    const cols = s.columns.filter((c) => rows.some((r) => c.getEntityValue(r) !== undefined));
    return { cols, names: cols.map((c) => this.m.connection.driver.escape(c.databaseName)) };
  }

  /** Inserts `row`, or overwrites every other column of the row it conflicts with on `key`. */
  async upsert<T extends ObjectLiteral>(entity: EntityTarget<T>, row: T, key: keyof T & string): Promise<void> {
    const s = this.shape(entity);
    const { cols, names } = this.written(s, [row]);
    const keyName = this.m.connection.driver.escape(s.byProperty.get(key)!.databaseName);
    const updates = names.filter((n) => n !== keyName).map((n) => `${n} = excluded.${n}`);
    await this.run(
      `INSERT INTO ${s.table} (${names.join(', ')}) VALUES (${cols.map((_, i) => this.p(i + 1)).join(', ')})
       ON CONFLICT (${keyName}) DO ${updates.length ? `UPDATE SET ${updates.join(', ')}` : 'NOTHING'}`,
      cols.map((c) => this.persistent(c, c.getEntityValue(row))),
    );
  }

  /**
   * `SET` assignments for `patch` (property names of `entity`) from parameter `from` on, and
   * their values as the driver stores them.
   */
  assignments<T extends ObjectLiteral>(
    entity: EntityTarget<T>,
    patch: Partial<T>,
    from: number,
  ): { set: string; params: unknown[] } {
    const s = this.shape(entity);
    const parts: string[] = [];
    const params: unknown[] = [];
    for (const [key, value] of Object.entries(patch)) {
      if (value === undefined) continue;
      const c = s.byProperty.get(key);
      if (!c) throw new Error(`no column ${key} on ${s.table}`);
      parts.push(`${this.m.connection.driver.escape(c.databaseName)} = ${this.p(from + params.length)}`);
      params.push(this.persistent(c, value));
    }
    return { set: parts.join(', '), params };
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
      await this.rows(`UPDATE ${t} SET ${col} = ? WHERE ${this.inList('"id"', 2)} AND ${where}`, [
        value,
        this.list(ids),
      ]);
  }

  hydrate<T extends ObjectLiteral>(entity: EntityTarget<T>, row: Record<string, unknown>): T {
    const meta = this.shape(entity).meta;
    const e = meta.create() as T;
    for (const c of meta.columns)
      c.setEntityValue(e, this.m.connection.driver.prepareHydratedValue(row[c.databaseName], c));
    return e;
  }

  private persistent(c: ColumnMetadata, value: unknown): unknown {
    const v: unknown = this.m.connection.driver.preparePersistentValue(value, c);
    // better-sqlite3 binds no booleans (TypeORM's runner converts them too; Postgres takes them).
    return typeof v === 'boolean' && !this.pg ? (v ? 1 : 0) : v;
  }

  private shape(entity: EntityTarget<ObjectLiteral>): Shape {
    let byEntity = shapes.get(this.m.connection);
    if (!byEntity) shapes.set(this.m.connection, (byEntity = new Map()));
    let s = byEntity.get(entity);
    if (!s) {
      const meta = this.m.connection.getMetadata(entity);
      const { driver } = this.m.connection;
      s = {
        meta,
        table: meta.tablePath
          .split('.')
          .map((part) => driver.escape(part))
          .join('.'),
        columns: meta.columns,
        byProperty: new Map(meta.columns.map((c) => [c.propertyName, c])),
      };
      byEntity.set(entity, s);
    }
    return s;
  }
}

const INSERT_CHUNK = 500;

interface Shape {
  meta: EntityMetadata;
  table: string;
  columns: ColumnMetadata[];
  byProperty: Map<string, ColumnMetadata>;
}

const shapes = new WeakMap<object, Map<EntityTarget<ObjectLiteral>, Shape>>();
