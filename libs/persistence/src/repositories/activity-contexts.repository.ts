import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In, LessThan } from 'typeorm';
import { ActivityContextEntity } from '../entities';
import { ActivityContextEntryEntity, CONTEXT_LOGS, ContextLog } from '../entities/activity-context-entry.entity';
import { Sql } from '../sql';
import { STALE_CONTEXT } from '../store-errors';
import { sendWithCommit } from '../write-lock';

/** One element appended to one of a context's growing lists. */
export interface ContextEntry {
  kind: ContextLog;
  value: unknown;
}

/** A context's row as a save writes it: `state` without the lists (they are entries). */
export type ContextHead = Pick<ActivityContextEntity, 'jobId' | 'ownerId' | 'agentId' | 'createdAt' | 'updatedAt'> & {
  state: object;
};

// Queries only; every query takes the owner (STYLE.md rule 6).
@Injectable()
export class ActivityContextsRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  private repo(m?: EntityManager) {
    return (m ?? this.ds.manager).getRepository(ActivityContextEntity);
  }

  /**
   * The job's context with its lists read from the entries of its generation, in order. A row
   * from before the entries (generation 0) holds its lists in `state` already.
   */
  async findByJob(ownerId: string, jobId: string, m?: EntityManager): Promise<ActivityContextEntity | null> {
    // Two reads: a save between them (the job running while the API reads it) may append entries
    // (those past the row's count are left out) or start a new generation (read again).
    for (let attempt = 1; ; attempt++) {
      const row = await this.repo(m).findOneBy({ ownerId, jobId });
      if (!row || row.generation === 0) return row;
      const entries = await (m ?? this.ds.manager).getRepository(ActivityContextEntryEntity).find({
        select: { kind: true, body: true },
        where: { jobId, generation: row.generation, seq: LessThan(row.entries) },
        order: { seq: 'ASC' },
      });
      if (entries.length < row.entries && attempt < 3) continue;
      const state = row.state as unknown as Record<ContextLog, unknown[]>;
      for (const k of CONTEXT_LOGS) state[k] = [];
      for (const e of entries) state[e.kind]?.push(JSON.parse(e.body));
      return row;
    }
  }

  /** Deletes up to `limit` contexts whose job no longer exists (retention deleted it); any owner. */
  async deleteOrphans(limit: number): Promise<number> {
    const rows: Array<{ jobId: string }> = await this.repo()
      .createQueryBuilder('c')
      .select('c.jobId', 'jobId')
      .leftJoin('jobs', 'j', 'j.id = c.jobId')
      .where('j.id IS NULL')
      .limit(limit)
      .getRawMany();
    if (!rows.length) return 0;
    const ids = rows.map((r) => r.jobId);
    // Entries first: a sweep stopped in between finds the rows again.
    await this.ds.getRepository(ActivityContextEntryEntity).delete({ jobId: In(ids) });
    await this.repo().delete(ids);
    return rows.length;
  }

  /**
   * Writes `head` and appends `added` after the `entries` entries of `generation`, if that is
   * what the store holds; false (nothing written) if it is not, e.g. a transaction that wrote
   * them rolled back, or the context was never saved: then `rewrite`. One statement on Postgres.
   * `withCommit` (Postgres, in a pipelined write transaction): the statement is sent with the
   * commit, not waited for, and true; if the store does not hold that, it fails the transaction
   * with an error `isStaleContext` recognises, and the caller's next save rewrites.
   */
  async append(
    head: ContextHead,
    generation: number,
    entries: number,
    added: readonly ContextEntry[],
    m: EntityManager,
    o: { withCommit?: boolean } = {},
  ): Promise<boolean> {
    const sql = new Sql(m);
    const update =
      `UPDATE ${sql.table(ActivityContextEntity)} SET "state" = ${sql.p(1)}, "updatedAt" = ${sql.p(2)}, "entries" = ${sql.p(3)}` +
      ` WHERE "jobId" = ${sql.p(4)} AND "ownerId" = ${sql.p(5)} AND "generation" = ${sql.p(6)} AND "entries" = ${sql.p(7)}`;
    const params = [
      JSON.stringify(head.state),
      head.updatedAt.getTime(),
      entries + added.length,
      head.jobId,
      head.ownerId,
      generation,
      entries,
    ];
    if (sql.postgres && o.withCommit) {
      // The entries are inserted only if the row matched; if it did not, the statement fails.
      const insert = added.length ? `, i AS (${this.insertFrom(sql, 'h', 8)})` : '';
      const text = `WITH h AS (${update} RETURNING "jobId", "generation")${insert} ${oneRowOf('h')}`;
      if (sendWithCommit(m, text, added.length ? [...params, ...columnsOf(added, entries)] : params)) return true;
    }
    if (sql.postgres && added.length) {
      // The entries are inserted only if the row matched: as many rows as entries, or none.
      const inserted = await sql.run(
        `WITH h AS (${update} RETURNING "jobId", "generation") ${this.insertFrom(sql, 'h', 8)}`,
        [...params, ...columnsOf(added, entries)],
      );
      return inserted === added.length;
    }
    if ((await sql.run(update, params)) !== 1) return false;
    await this.insertEntries(sql, head.jobId, generation, entries, added);
    return true;
  }

  /**
   * Writes the whole context as a new generation, one more than the row's (1 for a new row), and
   * deletes the entries of the earlier ones; returns it. The generation comes from the store, so
   * two writers never both believe they hold it. One statement on Postgres.
   */
  async rewrite(head: ContextHead, all: readonly ContextEntry[], m: EntityManager): Promise<number> {
    const sql = new Sql(m);
    const entries = sql.table(ActivityContextEntryEntity);
    const { insert, params } = this.firstGeneration(sql, head, all);
    const upsert =
      `${insert} ON CONFLICT ("jobId") DO UPDATE SET "ownerId" = excluded."ownerId", "agentId" = excluded."agentId", "state" = excluded."state",` +
      ` "generation" = c."generation" + 1, "entries" = excluded."entries", "updatedAt" = excluded."updatedAt"` +
      ` RETURNING "jobId", "generation"`;
    if (sql.postgres) {
      const [row] = await sql.rows(
        `WITH h AS (${upsert}),` +
          ` d AS (DELETE FROM ${entries} WHERE "jobId" = $1 AND "generation" < (SELECT "generation" FROM h)),` +
          ` i AS (${this.insertFrom(sql, 'h', 9)})` +
          ` SELECT "generation" FROM h`,
        [...params, ...columnsOf(all, 0)],
      );
      return Number(row!.generation);
    }
    const [row] = await sql.rows(upsert, params);
    const generation = Number(row!.generation);
    // The earlier generations' entries (none for a new row: its first save skips the statement).
    if (generation > 1)
      await sql.run(`DELETE FROM ${entries} WHERE "jobId" = ? AND "generation" < ?`, [head.jobId, generation]);
    await this.insertEntries(sql, head.jobId, generation, 0, all);
    return generation;
  }

  /**
   * `rewrite` for a context never saved (its first generation), sent with the commit (Postgres, in
   * a pipelined write transaction; elsewhere false, nothing sent): if the store holds the context
   * already, it fails the transaction (isStaleContext) and the caller's next save rewrites.
   */
  createWithCommit(head: ContextHead, all: readonly ContextEntry[], m: EntityManager): boolean {
    const sql = new Sql(m);
    if (!sql.postgres) return false;
    const { insert, params } = this.firstGeneration(sql, head, all);
    return sendWithCommit(
      m,
      `WITH h AS (${insert} ON CONFLICT ("jobId") DO NOTHING RETURNING "jobId", "generation"),` +
        ` i AS (${this.insertFrom(sql, 'h', 9)}) ${oneRowOf('h')}`,
      [...params, ...columnsOf(all, 0)],
    );
  }

  /** The row's INSERT as its first generation (parameters 1–8, the table named `c`), and its parameters. */
  private firstGeneration(
    sql: Sql,
    head: ContextHead,
    all: readonly ContextEntry[],
  ): { insert: string; params: unknown[] } {
    return {
      insert:
        `INSERT INTO ${sql.table(ActivityContextEntity)} AS c ("jobId", "ownerId", "agentId", "state", "generation", "entries", "createdAt", "updatedAt")` +
        ` VALUES (${[1, 2, 3, 4, 5, 6, 7, 8].map((n) => sql.p(n)).join(', ')})`,
      params: [
        head.jobId,
        head.ownerId,
        head.agentId,
        JSON.stringify(head.state),
        1,
        all.length,
        head.createdAt.getTime(),
        head.updatedAt.getTime(),
      ],
    };
  }

  /** Postgres: INSERT of the entries given as three arrays (seq, kind, body) from parameter `n` on, for the row `h`. */
  private insertFrom(sql: Sql, h: string, n: number): string {
    return (
      `INSERT INTO ${sql.table(ActivityContextEntryEntity)} ("jobId", "generation", "seq", "kind", "body")` +
      ` SELECT ${h}."jobId", ${h}."generation", e.seq, e.kind, e.body FROM ${h},` +
      ` unnest($${n}::integer[], $${n + 1}::varchar[], $${n + 2}::text[]) AS e(seq, kind, body)`
    );
  }

  private insertEntries(
    sql: Sql,
    jobId: string,
    generation: number,
    from: number,
    entries: readonly ContextEntry[],
  ): Promise<void> {
    return sql.insert(
      ActivityContextEntryEntity,
      entries.map((e, i) => ({
        jobId,
        generation,
        seq: from + i,
        kind: e.kind,
        body: JSON.stringify(e.value) ?? 'null',
      })),
    );
  }
}

/** Entries as the three columns that vary: seq (from `from`), kind, body (JSON). */
function columnsOf(entries: readonly ContextEntry[], from: number): [number[], string[], string[]] {
  return [
    entries.map((_, i) => from + i),
    entries.map((e) => e.kind),
    entries.map((e) => JSON.stringify(e.value) ?? 'null'),
  ];
}

/**
 * A SELECT that fails the statement (isStaleContext) unless `h` holds one row: a cast whose operand
 * depends on the row count, so that the planner cannot fold it.
 */
function oneRowOf(h: string): string {
  return `SELECT CAST(CASE WHEN COUNT(*) = 1 THEN '1' ELSE '${STALE_CONTEXT}' END AS integer) FROM ${h}`;
}
