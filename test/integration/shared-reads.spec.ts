import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource, QueryFailedError } from 'typeorm';
import { openStore } from '@wiz/persistence';
import { Sql } from '../../libs/persistence/src/sql';
import { cleanup, isolation, TEST_PG_URL } from '../support/isolation';

/** pg's pool, as TypeORM's Postgres driver keeps it. */
interface Pool {
  totalCount: number;
  idleCount: number;
}

const turn = () => new Promise((r) => setImmediate(r));

// On Postgres, the reads outside a transaction share one pipelined connection of the pool
// (shared-reads.ts); writes, locking reads and transactions keep a connection of their own.
describe('shared reads on Postgres', () => {
  const iso = isolation('shr');
  const dir = mkdtempSync(join(tmpdir(), 'wiz-shr-'));
  let ds: DataSource;
  let pool: Pool;
  const sql = () => new Sql(ds.manager);
  const table = () => `"${iso.schema}"."shared_reads"`;
  const pidAnd = (n: number) =>
    sql().rows(`SELECT pg_backend_pid() AS "pid", $1::int AS "n"`, [n]) as Promise<Array<{ pid: number; n: number }>>;
  /** Resolves once no client of the pool is checked out. */
  const allIdle = async () => {
    for (let i = 0; i < 20 && pool.totalCount - pool.idleCount > 0; i++) await turn();
    return pool.totalCount - pool.idleCount;
  };

  beforeAll(async () => {
    ds = await openStore({ databaseUrl: TEST_PG_URL, schema: iso.schema, dataDir: dir });
    pool = (ds.driver as unknown as { master: Pool }).master;
    await ds.query(`CREATE TABLE ${table()} ("id" integer PRIMARY KEY, "v" integer NOT NULL)`);
    await ds.query(`INSERT INTO ${table()} VALUES (1, 0)`);
  });

  afterAll(async () => {
    await ds?.destroy(); // would wait for ever for a client never given back
    await cleanup(iso);
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends the reads of a turn over one connection, each its own answer, and gives it back when idle', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => pidAnd(i)));
    expect(answers.map(([r]) => r!.n)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(new Set(answers.map(([r]) => r!.pid)).size).toBe(1);
    expect(await allIdle()).toBe(0);
  });

  it('fails a bad read alone, as TypeORM reports it, and the reads beside it answer', async () => {
    const [before, bad, after] = await Promise.allSettled([
      pidAnd(1),
      sql().rows(`SELECT 1 / ($1::int - 1) AS "x"`, [1]),
      pidAnd(2),
    ]);
    expect(bad).toMatchObject({ status: 'rejected', reason: expect.any(QueryFailedError) });
    expect((bad as PromiseRejectedResult).reason.driverError.code).toBe('22012'); // division by zero
    expect(before).toMatchObject({ status: 'fulfilled', value: [{ n: 1 }] });
    expect(after).toMatchObject({ status: 'fulfilled', value: [{ n: 2 }] });
  });

  it('keeps writes off it: a read answers while a write outside a transaction waits for a row lock', async () => {
    const qr = ds.createQueryRunner();
    await qr.startTransaction();
    try {
      await qr.query(`UPDATE ${table()} SET "v" = "v" + 1 WHERE "id" = 1`);
      let written = false;
      const write = sql()
        .run(`UPDATE ${table()} SET "v" = "v" + 10 WHERE "id" = $1`, [1])
        .then((n) => ((written = true), n));
      // The write is on the server, waiting for the transaction's lock (asked outside the
      // transaction: inside one, pg_stat_activity answers from a snapshot).
      const waiting = `SELECT count(*)::int AS "n" FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE $1`;
      let waitingWrites = 0;
      for (let i = 0; i < 200 && !waitingWrites; i++) {
        [{ n: waitingWrites }] = (await ds.query(waiting, [`UPDATE ${table()}%`])) as [{ n: number }];
        if (!waitingWrites) await new Promise((r) => setTimeout(r, 10));
      }
      expect(waitingWrites).toBe(1);
      // A read outside the transaction answers meanwhile, and sees the committed value.
      expect(await sql().rows(`SELECT "v" FROM ${table()} WHERE "id" = $1`, [1])).toEqual([{ v: 0 }]);
      expect(written).toBe(false);
      await qr.commitTransaction();
      expect(await write).toBe(1);
    } finally {
      await qr.release();
    }
    expect(await sql().rows(`SELECT "v" FROM ${table()} WHERE "id" = $1`, [1])).toEqual([{ v: 11 }]);
  });

  it('gives up a connection that is lost and reads over another', async () => {
    // A long read, sent after this one on the same connection, keeps it checked out while it is terminated.
    const first = pidAnd(0);
    // Its failure is taken at once: it may come before the termination's own answer.
    const long = sql()
      .rows(`SELECT pg_sleep($1::float8) AS "slept"`, [30])
      .then(
        () => 'answered',
        (e: unknown) => e,
      );
    const [{ pid }] = await first;
    const qr = ds.createQueryRunner();
    try {
      await qr.query('SELECT pg_terminate_backend($1)', [pid]);
    } finally {
      await qr.release();
    }
    expect(await long).toBeInstanceOf(QueryFailedError);
    const [next] = await pidAnd(1);
    expect(next).toMatchObject({ n: 1 });
    expect(next!.pid).not.toBe(pid);
    expect(await allIdle()).toBe(0);
  });
});
