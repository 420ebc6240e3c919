import { DataSource, EntityManager, QueryRunner } from 'typeorm';

const chains = new WeakMap<DataSource, Promise<unknown>>();

// TypeORM's better-sqlite3 driver shares one query runner, so two concurrent transactions
// would nest into one. SQLite has a single writer anyway: run write transactions one at a time.
// Postgres runs them concurrently; callers lock the rows they decide on (`forUpdate`).
export function writeTransaction<T>(
  ds: DataSource,
  work: (m: EntityManager) => Promise<T>,
  opts: { group?: boolean } = {},
): Promise<T> {
  if (ds.options.type === 'postgres') return pipelinedTransaction(ds, work, opts.group === true);
  const prev = chains.get(ds) ?? Promise.resolve();
  const next = prev.catch(() => undefined).then(() => ds.transaction(work));
  chains.set(ds, next);
  return next;
}

/** The pg client's side of a query (its `query` sends at once, in call order, on a pipelined connection). */
interface PgClient {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

/** The statements of a pipelined transaction sent with its COMMIT, by query runner. */
const withCommit = new WeakMap<QueryRunner, Promise<unknown>[]>();
/** The pipelined transactions that commit a group of units (see `sendInGroup`). */
const groups = new WeakSet<QueryRunner>();

// Postgres, with the pool's connections in pg's pipeline mode (data-source.ts): BEGIN is sent
// without waiting, so it reaches the server with the transaction's first statement, and the
// statements given to `sendWithCommit` are not waited for either: they go out at once, ahead of
// what follows, and their outcome is read after COMMIT. A transaction of n statements, k of them
// sent so, costs n - k + 1 round trips instead of n + 2 (a model step's save: 1 instead of 5).
// BEGIN and those statements go straight to the pg client, whose `query` sends in call order:
// BEGIN before anything `work` sends through TypeORM, and COMMIT (through TypeORM, later) after
// them. If one of them fails, the server answers the COMMIT with a rollback, and the transaction
// fails with that error.
async function pipelinedTransaction<T>(
  ds: DataSource,
  work: (m: EntityManager) => Promise<T>,
  group: boolean,
): Promise<T> {
  const qr = ds.createQueryRunner();
  const sent: Promise<unknown>[] = [];
  /** The first failure of a statement sent without waiting: what broke the transaction. */
  const firstFailure = async (): Promise<unknown> =>
    (await Promise.allSettled(sent)).find((o): o is PromiseRejectedResult => o.status === 'rejected')?.reason;
  try {
    const client = (await qr.connect()) as PgClient;
    keep(sent, client.query('BEGIN'));
    // As TypeORM's startTransaction leaves it: saves in `work` do not open a transaction of their own.
    Object.assign(qr, { isTransactionActive: true, transactionDepth: 1 });
    withCommit.set(qr, sent);
    if (group) groups.add(qr);
    const result = await work(qr.manager).finally(() => (withCommit.delete(qr), groups.delete(qr)));
    await qr.commitTransaction();
    const failure = await firstFailure();
    if (failure) throw failure;
    return result;
  } catch (e) {
    if (qr.isTransactionActive) await qr.rollbackTransaction().catch(() => undefined);
    // A statement sent without waiting failed first: the later ones only saw an aborted transaction.
    throw (await firstFailure()) ?? e;
  } finally {
    await qr.release();
  }
}

/** A statement sent without waiting, kept to be read after COMMIT (never an unhandled rejection). */
function keep(sent: Promise<unknown>[], p: Promise<unknown>): void {
  p.catch(() => undefined);
  sent.push(p);
}

/**
 * Sends a statement of a write transaction without waiting for it: its outcome is read at COMMIT,
 * and its failure fails the transaction, all of it rolled back (Postgres; see
 * pipelinedTransaction). Only for a statement nothing later in the transaction reads or depends
 * on. Others may be on their way (a group's units run side by side): if this one fails, those sent
 * after it fail too, and the transaction fails with this one's error. False where it cannot
 * (SQLite, outside writeTransaction): the caller runs the statement and waits.
 */
export function sendWithCommit(m: EntityManager, sql: string, params: unknown[]): boolean {
  const sent = m.queryRunner && withCommit.get(m.queryRunner);
  if (!sent) return false;
  const client = (m.queryRunner as unknown as { databaseConnection: PgClient }).databaseConnection;
  keep(sent, client.query(sql, params));
  return true;
}

/**
 * `sendWithCommit`, only in a transaction that commits a group of units (writeTransaction's
 * `group`): for a statement that fails when its condition does not hold. A group's units run one
 * after the other, each waiting for its statements: sent so, the statement costs the group no round
 * trip. If it fails, the group fails and its units run again alone (StateChangesService), where
 * this returns false and the caller runs the statement and waits, to tell which unit and why.
 */
export function sendInGroup(m: EntityManager, sql: string, params: unknown[]): boolean {
  return !!m.queryRunner && groups.has(m.queryRunner) && sendWithCommit(m, sql, params);
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
