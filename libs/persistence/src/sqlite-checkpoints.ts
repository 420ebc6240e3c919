import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Worker } from 'node:worker_threads';
import { DataSource } from 'typeorm';

/** How often the thread checkpoints (copies the WAL's committed pages into the database file). */
export const CHECKPOINT_EVERY_MS = 250;
/** The main connection's own checkpoint while the thread runs: a backstop, at this many WAL pages. */
export const BACKSTOP_PAGES = 10_000;
/** SQLite's default: the committing connection checkpoints once the WAL holds this many pages. */
const DEFAULT_PAGES = 1_000;

/** What the thread's last checkpoint found: WAL frames, and how many of them are in the database file. */
export interface CheckpointPass {
  log: number;
  checkpointed: number;
}

// In WAL mode SQLite appends every commit to the -wal file, and a checkpoint copies those pages
// back into the database file and syncs it. By default the committing connection does that itself
// once the WAL holds 1,000 pages: under a steady write load about one COMMIT in ten took ~13 ms on
// this project's machine (2.9 % of the event loop's time, the loop blocked for each). A worker
// thread with a connection of its own checkpoints instead, every CHECKPOINT_EVERY_MS, PASSIVE (it
// never waits for, nor blocks, the writer or a reader). The main connection keeps its own
// checkpoint as a backstop at BACKSTOP_PAGES, and back at SQLite's default if the thread stops.
// SQLite only; a store opened outside Nest (tools, tests) checkpoints as SQLite does by default.
@Injectable()
export class SqliteCheckpoints implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('SqliteCheckpoints');
  private worker?: Worker;
  private exited: Promise<unknown> = Promise.resolve();
  private listeners: Array<(p: CheckpointPass) => void> = [];

  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  /** Starts the thread (SQLite, once); false where it does not run. */
  async start(): Promise<boolean> {
    const file = this.ds.options.type === 'better-sqlite3' ? this.ds.options.database : undefined;
    if (typeof file !== 'string' || file === ':memory:' || this.worker) return false;
    await this.ds.query(`PRAGMA wal_autocheckpoint = ${BACKSTOP_PAGES}`);
    const worker = new Worker(WORKER, {
      eval: true,
      workerData: { module: require.resolve('better-sqlite3'), file, everyMs: CHECKPOINT_EVERY_MS },
    });
    this.worker = worker;
    this.exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.on('message', (m: { pass?: CheckpointPass; error?: string }) => {
      if (m.pass) for (const l of this.listeners.splice(0)) l(m.pass);
      if (m.error) this.log.warn(`checkpoint failed: ${m.error}`);
    });
    worker.on('error', (e) =>
      this.log.error(`checkpoint thread failed: ${e instanceof Error ? e.message : String(e)}`),
    );
    // A thread that ends before it is stopped leaves the checkpoints to the main connection again.
    worker.on('exit', () => {
      if (this.worker !== worker) return;
      this.log.error('checkpoint thread stopped: the store checkpoints on commit again');
      void this.restore();
    });
    // After the listeners (a 'message' listener refs the thread again): it never keeps the process alive.
    worker.unref();
    return true;
  }

  /** Resolves with the thread's next checkpoint. */
  nextPass(): Promise<CheckpointPass> {
    return new Promise((resolve) => this.listeners.push(resolve));
  }

  async stop(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    await this.restore();
    worker.postMessage('stop');
    await this.exited;
  }

  private async restore(): Promise<void> {
    this.worker = undefined;
    if (this.ds.isInitialized) await this.ds.query(`PRAGMA wal_autocheckpoint = ${DEFAULT_PAGES}`);
  }
}

// The thread: its own connection to the store's file; a PASSIVE checkpoint per tick, reported.
// Plain JavaScript (eval): it runs the same from the build and from the TypeScript sources.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
let db;
try {
  db = new Database(workerData.file, { fileMustExist: true });
  db.pragma('busy_timeout = 5000');
} catch (e) {
  throw new Error('cannot open ' + workerData.file + ': ' + String((e && e.message) || e));
}
const pass = () => {
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ pass: { log: r.log, checkpointed: r.checkpointed } });
  } catch (e) {
    parentPort.postMessage({ error: String((e && e.message) || e) });
  }
};
const timer = setInterval(pass, workerData.everyMs);
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  pass();
  db.close();
  parentPort.close();
});
`;
