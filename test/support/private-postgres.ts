import { execFile } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { freePort } from './wiz-process';

const run = promisify(execFile);
const MACHINE_PG_PORT = 5432;

// A PostgreSQL cluster the test owns, for tests that restart Postgres (never the machine's
// shared one): initdb into a temp dir, trust auth, listening on 127.0.0.1 at a free port with its
// socket in that dir, database `test` created. `dispose` stops it and removes the dir.
// initdb and the server refuse to run as root: as root, they run as the `postgres` user.
export class PrivatePostgres {
  private constructor(
    private readonly root: string,
    readonly port: number,
    private readonly bin: string,
  ) {}

  static async start(): Promise<PrivatePostgres> {
    const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
    if (!versions.length) throw new Error('no PostgreSQL under /usr/lib/postgresql');
    const bin = `/usr/lib/postgresql/${versions[0]}/bin`;
    const port = await freePort();
    if (port === MACHINE_PG_PORT) throw new Error(`refusing port ${MACHINE_PG_PORT}`);
    const root = mkdtempSync(join(tmpdir(), 'wiz-pg-'));
    mkdirSync(join(root, 'sock'));
    if (process.getuid?.() === 0) {
      const { stdout } = await run('id', ['-u', 'postgres']);
      const { stdout: gid } = await run('id', ['-g', 'postgres']);
      for (const d of [root, join(root, 'sock')]) chownSync(d, Number(stdout.trim()), Number(gid.trim()));
    }
    const sut = new PrivatePostgres(root, port, bin);
    try {
      await sut.as(`${bin}/initdb`, ['-D', sut.dataDir, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
      await sut.pgCtl('start');
      const pg = new Client({ connectionString: sut.urlOf('postgres') });
      await pg.connect();
      try {
        await pg.query('CREATE DATABASE test');
      } finally {
        await pg.end();
      }
    } catch (e) {
      await sut.dispose();
      throw e;
    }
    return sut;
  }

  get url(): string {
    return this.urlOf('test');
  }

  private get dataDir(): string {
    return join(this.root, 'data');
  }

  private urlOf(db: string): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${db}`;
  }

  /** Restarts the server (fast shutdown: open sessions are cut) and waits until `test` answers queries. */
  async restart(): Promise<void> {
    await this.pgCtl('restart');
    const deadline = Date.now() + 30_000;
    for (;;) {
      const pg = new Client({ connectionString: this.url });
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

  async dispose(): Promise<void> {
    try {
      await this.pgCtl('stop', ['-m', 'immediate']).catch(() => undefined);
    } finally {
      rmSync(this.root, { recursive: true, force: true });
    }
  }

  private pgCtl(action: 'start' | 'restart' | 'stop', extra: string[] = ['-m', 'fast']): Promise<void> {
    const options = [
      `-p ${this.port}`,
      `-k ${join(this.root, 'sock')}`,
      '-c listen_addresses=127.0.0.1',
      '-c fsync=off',
    ].join(' ');
    const args = ['-D', this.dataDir, '-w', '-t', '60', '-l', join(this.root, 'server.log')];
    return this.as(`${this.bin}/pg_ctl`, [
      ...args,
      ...(action === 'stop' ? extra : ['-o', options, ...(action === 'restart' ? extra : [])]),
      action,
    ]);
  }

  /** Runs a PostgreSQL program, as the `postgres` user when this process is root; a failure carries the server log. */
  private async as(program: string, args: string[]): Promise<void> {
    const [cmd, argv] =
      process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', program, ...args]] : [program, args];
    try {
      await run(cmd, argv, { cwd: this.root });
    } catch (e) {
      let log = '';
      try {
        log = readFileSync(join(this.root, 'server.log'), 'utf8').split('\n').slice(-20).join('\n');
      } catch {
        // no log yet
      }
      throw new Error(`${program} ${args.join(' ')} failed: ${(e as Error).message}\n${log}`);
    }
  }
}
