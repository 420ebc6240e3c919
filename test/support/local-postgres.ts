import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { Client } from 'pg';
import { TEST_PG_URL } from './isolation';

// The machine's own PostgreSQL cluster, restarted the way .ci/run starts it.
const version = () => readdirSync('/etc/postgresql')[0]!;

export async function restartLocalPostgres(): Promise<void> {
  execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', version(), 'main', 'restart'], { stdio: 'ignore' });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const pg = new Client({ connectionString: TEST_PG_URL });
    try {
      await pg.connect();
      await pg.query('SELECT 1');
      return;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      await pg.end().catch(() => undefined);
    }
  }
}
