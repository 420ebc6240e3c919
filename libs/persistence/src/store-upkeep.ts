import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** What one pass did: the tables it vacuumed (and analysed) and those it only analysed. */
export interface UpkeepPass {
  vacuumed: string[];
  analysed: string[];
}

// Autovacuum's work on Wiz's own tables, for a Postgres server (or tables) where it is turned off.
// Without it those tables degrade as they are used: the outbox (a row inserted and deleted per bus
// message) and the jobs (a row version per transition) fill with dead rows that index scans step
// over, and a table never analysed keeps the plans its prepared statements got while it was
// empty (an index over all of an owner's jobs instead of the primary key). A pass picks the
// tables autovacuum would, by its default thresholds (dead rows over 50 + 20% of the live ones:
// VACUUM (ANALYZE); rows changed since the last analysis over 50 + 10%: ANALYZE), among those
// of this store's schema that autovacuum does not serve. One process of a cluster at a time (a
// session advisory lock, let go by a process that dies). Postgres only.
@Injectable()
export class StoreUpkeep {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** One pass; null when it cannot run here (SQLite) or another process is running one. */
  async pass(): Promise<UpkeepPass | null> {
    if (this.ds.options.type !== 'postgres') return null;
    const qr = this.ds.createQueryRunner();
    try {
      const [{ locked }] = (await qr.query(`SELECT pg_try_advisory_lock(${LOCK}) AS "locked"`)) as [
        { locked: boolean },
      ];
      if (!locked) return null;
      try {
        const due = (await qr.query(DUE, [this.tables()])) as Array<{ name: string; vacuum: boolean }>;
        const done: UpkeepPass = { vacuumed: [], analysed: [] };
        for (const t of due) {
          // Not in a transaction (VACUUM cannot be), one table at a time, its name from pg_class.
          await qr.query(`${t.vacuum ? 'VACUUM (ANALYZE)' : 'ANALYZE'} ${quoted(t.name)}`);
          (t.vacuum ? done.vacuumed : done.analysed).push(t.name);
        }
        return done;
      } finally {
        await qr.query(`SELECT pg_advisory_unlock(${LOCK})`);
      }
    } finally {
      await qr.release();
    }
  }

  /** The tables of Wiz's entities (unqualified: the store's schema is the connections' search path). */
  private tables(): string[] {
    return [...new Set(this.ds.entityMetadatas.map((m) => m.tableName))];
  }
}

/** The session advisory lock of a pass, per store schema. */
const LOCK = `hashtext(current_schema() || ':wiz-upkeep')`;
const quoted = (name: string) => `"${name.replace(/"/g, '""')}"`;

// The store's tables autovacuum does not serve (off on the server, or on the table), with what a
// pass owes each by autovacuum's default thresholds.
const DUE = `
  SELECT s.relname AS "name", s.n_dead_tup > 50 + 0.2 * s.n_live_tup AS "vacuum"
  FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
  WHERE s.schemaname = current_schema() AND s.relname = ANY($1)
    AND (current_setting('autovacuum') = 'off'
      OR EXISTS (SELECT 1 FROM unnest(c.reloptions) o WHERE lower(o) ~ '^autovacuum_enabled=(false|off|no|0|f|n)$'))
    AND (s.n_dead_tup > 50 + 0.2 * s.n_live_tup OR s.n_mod_since_analyze > 50 + 0.1 * s.n_live_tup)
  ORDER BY s.relname`;
