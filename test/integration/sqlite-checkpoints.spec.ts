import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { BACKSTOP_PAGES, CHECKPOINT_EVERY_MS, CheckpointPass, openStore, SqliteCheckpoints } from '@wiz/persistence';

// The embedded store's WAL is copied into its database file by a thread of its own, so that a
// COMMIT on the event loop's thread does not do it (SqliteCheckpoints).
describe('SQLite checkpoints on a thread of their own', () => {
  const dirs: string[] = [];
  const opened: Array<{ ds: DataSource; sut: SqliteCheckpoints }> = [];

  const open = async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wiz-checkpoints-'));
    dirs.push(dir);
    const ds = await openStore({ databaseUrl: '', schema: 'unused', dataDir: dir });
    const sut = new SqliteCheckpoints(ds);
    opened.push({ ds, sut });
    return { ds, sut, file: join(dir, 'wiz.sqlite') };
  };
  const autocheckpoint = async (ds: DataSource) =>
    ((await ds.query('PRAGMA wal_autocheckpoint')) as [{ wal_autocheckpoint: number }])[0].wal_autocheckpoint;
  /** The thread's passes until one finds every frame of a WAL of at least `frames` in the file. */
  const checkpointed = async (sut: SqliteCheckpoints, frames: number): Promise<CheckpointPass> => {
    for (;;) {
      const pass = await sut.nextPass();
      if (pass.log >= frames && pass.checkpointed === pass.log) return pass;
    }
  };

  afterAll(async () => {
    for (const { ds, sut } of opened) {
      await sut.stop();
      if (ds.isInitialized) await ds.destroy();
    }
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('copies what a commit wrote into the database file, the main connection checkpointing only past its backstop', async () => {
    const { ds, sut, file } = await open();
    expect(await autocheckpoint(ds)).toBe(1_000);
    expect(await sut.start()).toBe(true);
    expect(await sut.start()).toBe(false); // once
    expect(await autocheckpoint(ds)).toBe(BACKSTOP_PAGES);
    const before = statSync(file).size;
    // ~1,500 pages of 4 KB in one transaction: past SQLite's default of 1,000, under the backstop.
    await ds.query('CREATE TABLE scratch (id INTEGER PRIMARY KEY, body TEXT)');
    await ds.transaction(async (m) => {
      for (let i = 0; i < 1_500; i++) await m.query('INSERT INTO scratch (body) VALUES (?)', ['x'.repeat(4_000)]);
    });
    const pass = await checkpointed(sut, 1_500);
    expect(pass.log).toBeLessThan(BACKSTOP_PAGES);
    expect(statSync(file).size - before).toBeGreaterThan(1_500 * 4_000);
    await sut.stop();
    expect(await autocheckpoint(ds)).toBe(1_000);
    expect(((await ds.query('SELECT COUNT(*) AS n FROM scratch')) as [{ n: number }])[0].n).toBe(1_500);
  });

  it('leaves the checkpoints to the main connection again when its thread cannot run', async () => {
    const { ds, sut, file } = await open();
    unlinkSync(file); // the open connection goes on; the thread finds no file to open
    expect(await sut.start()).toBe(true);
    const deadline = Date.now() + 10_000;
    while ((await autocheckpoint(ds)) !== 1_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await autocheckpoint(ds)).toBe(1_000);
    await sut.stop(); // nothing left to stop
  });

  it('never keeps the process alive: a process that does not stop it still exits', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wiz-checkpoints-'));
    dirs.push(dir);
    // The built library (npm test builds first), in a process of its own that leaves it running.
    const lib = join(__dirname, '..', '..', 'dist', 'libs', 'persistence', 'src', 'index.js');
    const script = `
      const { openStore, SqliteCheckpoints } = require(${JSON.stringify(lib)});
      (async () => {
        const ds = await openStore({ databaseUrl: '', schema: 'unused', dataDir: ${JSON.stringify(dir)} });
        const sut = new SqliteCheckpoints(ds);
        if (!(await sut.start())) throw new Error('not started');
        await new Promise((r) => setTimeout(r, ${CHECKPOINT_EVERY_MS * 2})); // a pass or two
        await ds.destroy();
        console.log('left running');
      })();`;
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['-e', script], { timeout: 15_000 }, (e, stdout, stderr) =>
        e ? reject(new Error(`${e.message}\n${stderr}`)) : resolve(stdout),
      ),
    );
    expect(out.trim()).toBe('left running');
  });

  it('does not run without a file (an in-memory store)', async () => {
    const ds = new DataSource({ type: 'better-sqlite3', database: ':memory:' });
    await ds.initialize();
    try {
      expect(await new SqliteCheckpoints(ds).start()).toBe(false);
    } finally {
      await ds.destroy();
    }
  });
});
