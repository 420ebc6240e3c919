import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DataSource, DataSourceOptions } from 'typeorm';
import { BatchedClient } from './batched-client';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';

export interface StoreOptions {
  /** postgres:// URL, or empty for the embedded SQLite file. */
  databaseUrl: string;
  /** Postgres schema (created if missing). */
  schema: string;
  /** Directory of the SQLite file. */
  dataDir: string;
}

export function describeStore(o: StoreOptions): string {
  return o.databaseUrl ? `postgres (schema ${o.schema})` : `sqlite ${join(resolve(o.dataDir), 'wiz.sqlite')}`;
}

export function dataSourceOptions(o: StoreOptions): DataSourceOptions {
  const common = { entities: ENTITIES, migrations: MIGRATIONS, migrationsRun: false, synchronize: false } as const;
  if (o.databaseUrl) {
    return {
      ...common,
      type: 'postgres',
      url: o.databaseUrl,
      schema: o.schema,
      // search_path makes every unqualified query land in the run's schema. Pipeline mode: a
      // connection sends a query without waiting for the previous one's answer, which
      // writeTransaction uses to send BEGIN and COMMIT with the statements beside them; the
      // queries of one turn of the event loop leave in one write (BatchedClient).
      extra: { max: 10, pipeline: true, options: `-c search_path=${o.schema}`, Client: BatchedClient },
    };
  }
  assertSqliteDriver();
  mkdirSync(o.dataDir, { recursive: true });
  return {
    ...common,
    type: 'better-sqlite3',
    database: join(resolve(o.dataDir), 'wiz.sqlite'),
    // Prepared statements kept by text (first in, first out; TypeORM's default is 100): the
    // hot path's statements must outlive the varied ones in between (lists, admin queries).
    statementCacheSize: 1_000,
    // WAL lets readers proceed while the single writer commits; NORMAL is durable under WAL
    // against process crashes (a power loss can only drop the last transactions).
    prepareDatabase: (db: { pragma(s: string): unknown }) => {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 5000');
    },
  };
}

/**
 * better-sqlite3 is an optional dependency (a native addon): a Postgres-only install or image
 * (deploy/Dockerfile with WITH_SQLITE=false) has none. Say so plainly instead of TypeORM's
 * "package has not been found installed" deep in the start-up.
 */
export function assertSqliteDriver(resolve: (id: string) => string = require.resolve): void {
  try {
    resolve('better-sqlite3');
  } catch {
    throw new Error(
      'DATABASE_URL is empty, so Wiz would use the embedded SQLite store, but the better-sqlite3 package is not installed ' +
        '(a Postgres-only image built with WITH_SQLITE=false, or npm install --omit=optional). ' +
        'Set DATABASE_URL to a postgres:// URL (and WIZ_SECRET_KEY), or install better-sqlite3.',
    );
  }
}

// Open the store and bring its schema up to date. Safe to run from several processes at once:
// Postgres serialises migrations behind an advisory lock.
export function openStore(o: StoreOptions): Promise<DataSource> {
  return initializeStore(dataSourceOptions(o));
}

export async function initializeStore(options: DataSourceOptions): Promise<DataSource> {
  const pg = options.type === 'postgres' ? options : null;
  if (pg?.schema && pg.schema !== 'public') await ensureSchema(pg.url!, pg.schema);
  const ds = new DataSource(options);
  await ds.initialize();
  try {
    if (pg) {
      await ds.transaction(async (m) => {
        await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`wiz-migrate:${pg.schema ?? 'public'}`]);
        await ds.runMigrations({ transaction: 'each' });
      });
    } else {
      await ds.runMigrations({ transaction: 'all' });
    }
  } catch (e) {
    await ds.destroy();
    throw e;
  }
  return ds;
}

async function ensureSchema(url: string, schema: string): Promise<void> {
  const ds = new DataSource({ type: 'postgres', url });
  await ds.initialize();
  try {
    await ds.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  } catch (e) {
    // Two processes creating the schema at once: the loser sees a unique violation.
    if ((e as { code?: string }).code !== '23505') throw e;
  } finally {
    await ds.destroy();
  }
}
