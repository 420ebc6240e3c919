import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { openStore, StoreUpkeep } from '@wiz/persistence';
import { cleanup, isolation, TEST_PG_URL } from '../support/isolation';
import { until } from '../support/until';

// Where autovacuum does not serve Wiz's tables (off on the server, or on a table), StoreUpkeep
// vacuums and analyses them by autovacuum's default thresholds, one process at a time. The
// table used here has autovacuum turned off on itself, so the spec means the same whatever the
// server's setting.
describe('store upkeep on Postgres', () => {
  const iso = isolation('upkeep');
  const dir = mkdtempSync(join(tmpdir(), 'wiz-upkeep-'));
  let ds: DataSource;
  let sut: StoreUpkeep;

  beforeAll(async () => {
    ds = await openStore({ databaseUrl: TEST_PG_URL, schema: iso.schema, dataDir: dir });
    sut = new StoreUpkeep(ds);
    await ds.query(`ALTER TABLE job_dependencies SET (autovacuum_enabled = off)`);
  });

  afterAll(async () => {
    await ds?.destroy();
    await cleanup(iso);
    rmSync(dir, { recursive: true, force: true });
  });

  const stats = async () =>
    (
      (await ds.query(
        `SELECT n_dead_tup::int AS "dead", n_mod_since_analyze::int AS "changed", vacuum_count::int AS "vacuums", analyze_count::int AS "analyses"
         FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = 'job_dependencies'`,
        [iso.schema],
      )) as [{ dead: number; changed: number; vacuums: number; analyses: number }]
    )[0];
  const addLinks = (from: number, n: number) =>
    ds.query(
      `INSERT INTO job_dependencies ("jobId", "dependsOnId") SELECT 'j' || g, 'd' || g FROM generate_series($1::int, $2::int) g`,
      [from, from + n - 1],
    );

  it("vacuums a table past autovacuum's dead-row threshold, analyses one past its change threshold, leaves the rest", async () => {
    await addLinks(1, 500);
    await ds.query(`DELETE FROM job_dependencies`);
    // The server counts a backend's changes when it reports them (within a second or so).
    await until(async () => (await stats()).dead >= 500, 20_000, 'dead rows counted');
    const first = await sut.pass();
    expect(first?.vacuumed).toContain('job_dependencies');
    expect(first?.vacuumed).not.toContain('agents'); // untouched: nothing due
    expect(first?.analysed).not.toContain('agents');
    expect(await stats()).toMatchObject({ dead: 0, changed: 0, vacuums: 1, analyses: 1 });

    // 200 new rows, none dead: over the analysis threshold (50 + 10%), under the vacuum one.
    await addLinks(1_000, 200);
    await until(async () => (await stats()).changed >= 200, 20_000, 'changes counted');
    const second = await sut.pass();
    expect(second?.analysed).toContain('job_dependencies');
    expect(second?.vacuumed).not.toContain('job_dependencies');
    expect(await stats()).toMatchObject({ changed: 0, vacuums: 1, analyses: 2 });

    // Nothing changed since: nothing due.
    expect(await sut.pass()).toMatchObject({ vacuumed: expect.not.arrayContaining(['job_dependencies']) });
  });

  it('runs in one process of the cluster at a time', async () => {
    const other = ds.createQueryRunner();
    try {
      await other.query(`SELECT pg_advisory_lock(hashtext(current_schema() || ':wiz-upkeep'))`);
      expect(await sut.pass()).toBeNull();
      await other.query(`SELECT pg_advisory_unlock(hashtext(current_schema() || ':wiz-upkeep'))`);
      expect(await sut.pass()).not.toBeNull();
    } finally {
      await other.release();
    }
  });

  it('does nothing on SQLite', async () => {
    const lite = await openStore({ databaseUrl: '', schema: 'public', dataDir: dir });
    try {
      expect(await new StoreUpkeep(lite).pass()).toBeNull();
    } finally {
      await lite.destroy();
    }
  });
});
