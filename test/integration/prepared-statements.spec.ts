import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource, QueryRunner } from 'typeorm';
import { openStore } from '@wiz/persistence';
import { cleanup, isolation, TEST_PG_URL } from '../support/isolation';

// On Postgres, a parameterised statement text that recurs is prepared once per connection
// (batched-client.ts): parsed and planned once, not at every run. A prepared statement whose
// result columns changed (a newer version's migration, in a rolling upgrade) fails once; the
// connection then prepares its statements anew.
describe('prepared statements on Postgres', () => {
  const iso = isolation('prep');
  const dir = mkdtempSync(join(tmpdir(), 'wiz-prep-'));
  let ds: DataSource;
  let qr: QueryRunner;

  beforeAll(async () => {
    ds = await openStore({ databaseUrl: TEST_PG_URL, schema: iso.schema, dataDir: dir });
    qr = ds.createQueryRunner(); // one connection for the whole spec
  });

  afterAll(async () => {
    await qr?.release();
    await ds?.destroy();
    await cleanup(iso);
    rmSync(dir, { recursive: true, force: true });
  });

  /** How many statements this connection has prepared with `text` (this query has no parameters: never prepared). */
  const prepared = async (text: string): Promise<number> =>
    (
      (await qr.query(`SELECT count(*)::int AS "n" FROM pg_prepared_statements WHERE statement = '${text}'`)) as [
        { n: number },
      ]
    )[0].n;

  it('prepares a parameterised text from its second run on, once', async () => {
    const text = `SELECT $1::int + 1 AS "n" /* ${randomUUID()} */`;
    expect(await qr.query(text, [1])).toEqual([{ n: 2 }]);
    expect(await prepared(text)).toBe(0);
    for (let i = 2; i <= 4; i++) expect(await qr.query(text, [i])).toEqual([{ n: i + 1 }]);
    expect(await prepared(text)).toBe(1);
    // Without parameters, a text is sent as a simple query, never prepared.
    const plain = `SELECT 1 AS "n" /* ${randomUUID()} */`;
    for (let i = 0; i < 3; i++) expect(await qr.query(plain)).toEqual([{ n: 1 }]);
    expect(await prepared(plain)).toBe(0);
  });

  it('fails a prepared statement whose result columns changed once, then prepares it anew', async () => {
    const table = `"${iso.schema}"."prep"`;
    await qr.query(`CREATE TABLE ${table} ("id" integer PRIMARY KEY)`);
    await qr.query(`INSERT INTO ${table} VALUES (1)`);
    const text = `SELECT * FROM ${table} WHERE "id" = $1`;
    for (let i = 0; i < 3; i++) expect(await qr.query(text, [1])).toEqual([{ id: 1 }]);
    expect(await prepared(text)).toBe(1);

    await qr.query(`ALTER TABLE ${table} ADD COLUMN "note" text NOT NULL DEFAULT 'new'`);
    await expect(qr.query(text, [1])).rejects.toThrow(/cached plan must not change result type/);
    expect(await qr.query(text, [1])).toEqual([{ id: 1, note: 'new' }]);
    expect(await qr.query(text, [1])).toEqual([{ id: 1, note: 'new' }]);
    expect(await prepared(text)).toBe(2); // the stale one stays on the server, unused
  });
});
