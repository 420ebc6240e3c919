import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { trackChild } from './child-registry';
import { Isolation, TEST_NATS_URL, TEST_PG_URL, TEST_SECRET_KEY } from './isolation';
import { REPO_ROOT as ROOT } from './repo-root';

// Ports for servers a test starts come from below the kernel's ephemeral range (32768–60999 here),
// one block per jest worker. A port the kernel hands out for `listen(0)` is free only until the
// next outbound connection of any process on the machine takes it, which happened between asking
// and a child's bind (a NATS node that never came up); nothing takes ports from this range by
// itself, and the per-worker blocks keep parallel suites apart. Still checked by binding it.
const PORT_BASE = 20_000;
const PORT_BLOCK = 1_000;
const PORT_BLOCKS = 12; // 20000–31999
let nextPort = Math.floor(Math.random() * PORT_BLOCK);

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '0.0.0.0', () => srv.close(() => resolve(true)));
  });
}

/** A port no other test of this run is handed, free when asked. */
export async function freePort(): Promise<number> {
  const worker = (Number(process.env['JEST_WORKER_ID'] ?? '1') - 1) % PORT_BLOCKS;
  for (let tries = 0; tries < PORT_BLOCK; tries++) {
    const port = PORT_BASE + worker * PORT_BLOCK + (nextPort++ % PORT_BLOCK);
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port in block ${worker} (${PORT_BASE + worker * PORT_BLOCK}…)`);
}

// Starts a built Wiz entry (`npm run build` first) the way a user would: `node dist/…/main.js`
// with configuration in the environment only.
export class WizProcess {
  readonly output: string[] = [];
  private child?: ChildProcess;
  private exited?: Promise<number | null>;

  constructor(
    readonly entry: 'server' | 'gateway' | 'runtime',
    readonly env: Record<string, string>,
    /** Where `dist/` is: the repository, or a build snapshot (see built-app.ts). */
    readonly root: string = ROOT,
  ) {}

  get baseUrl(): string {
    return `http://127.0.0.1:${this.env['PORT']}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    const child = spawn(process.execPath, [join(this.root, 'dist', 'apps', this.entry, 'src', 'main.js')], {
      cwd: this.root,
      env: { PATH: process.env['PATH'] ?? '', LOG_LEVEL: 'warn', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => this.output.push(d.toString()));
    child.stderr!.on('data', (d: Buffer) => this.output.push(d.toString()));
    this.exited = once(child, 'exit').then(([code]) => code as number | null);
    this.child = child;
    trackChild(child);
  }

  /** Resolves when /health answers 200; rejects with the process output if it exits or times out. */
  async ready(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.exited!.then(() => (exited = true));
    while (Date.now() < deadline && !exited) {
      const ok = await fetch(`${this.baseUrl}/health`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${this.entry} did not become healthy:\n${this.output.join('')}`);
  }

  /** Exit code of the process (after it ends by itself). */
  exitCode(): Promise<number | null> {
    return this.exited!;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill(signal);
    await this.exited;
  }
}

export interface ServerOptions {
  store: 'postgres' | 'sqlite';
  iso: Isolation;
  dataDir: string;
  /** Base URL of the scripted model server. */
  llmUrl: string;
  env?: Record<string, string>;
}

/** `node dist/apps/server/src/main.js` on one store, isolated by `iso`; resolves once healthy. */
export async function startServer(o: ServerOptions): Promise<WizProcess> {
  const sut = new WizProcess('server', {
    PORT: String(await freePort()),
    NATS_URL: TEST_NATS_URL,
    WIZ_BUS_PREFIX: o.iso.prefix,
    WIZ_DATA_DIR: o.dataDir,
    DATABASE_URL: o.store === 'postgres' ? TEST_PG_URL : '',
    // On SQLite the key stays unset, so the generated key file keeps its coverage.
    ...(o.store === 'postgres' ? { WIZ_SECRET_KEY: TEST_SECRET_KEY } : {}),
    WIZ_DB_SCHEMA: o.iso.schema,
    OPENAI_BASE_URL: o.llmUrl,
    OPENAI_API_KEY: 'sk-test',
    WIZ_LLM_MAX_RETRIES: '0',
    ...o.env,
  });
  sut.start();
  await sut.ready();
  return sut;
}
