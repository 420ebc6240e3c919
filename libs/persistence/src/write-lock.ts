import { DataSource, EntityManager } from 'typeorm';

const chains = new WeakMap<DataSource, Promise<unknown>>();

// TypeORM's better-sqlite3 driver shares one query runner, so two concurrent transactions
// would nest into one. SQLite has a single writer anyway: run write transactions one at a time.
// Postgres runs them concurrently; callers lock the rows they decide on (`forUpdate`).
export function writeTransaction<T>(ds: DataSource, work: (m: EntityManager) => Promise<T>): Promise<T> {
  if (ds.options.type === 'postgres') return ds.transaction(work);
  const prev = chains.get(ds) ?? Promise.resolve();
  const next = prev.catch(() => undefined).then(() => ds.transaction(work));
  chains.set(ds, next);
  return next;
}

/** Row lock for a read inside a transaction on Postgres; SQLite transactions are serialised. */
export const forUpdate = (m: EntityManager) =>
  m.connection.options.type === 'postgres' ? { lock: { mode: 'pessimistic_write' as const } } : {};

/**
 * Serialises, cluster-wide, the transactions that decide on one owner's count of something
 * (OwnerCaps: keys, agents, schedules…) until this transaction ends: a Postgres advisory lock. SQLite transactions are
 * serialised already (one writer; see writeTransaction).
 */
export async function lockOwner(m: EntityManager, what: string, ownerId: string): Promise<void> {
  if (m.connection.options.type !== 'postgres') return;
  await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`wiz-owner:${what}:${ownerId}`]);
}
