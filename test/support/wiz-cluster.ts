import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { FakeLlmServer } from '../../apps/fake-llm/src/fake-llm.server';
import type { FakeLlmRule } from '../../apps/fake-llm/src/rules';
import { http, HttpResult } from './http';
import { cleanup, Isolation, isolation, TEST_NATS_URL, TEST_PG_URL, TEST_SECRET_KEY } from './isolation';
import { BuildSnapshot } from './built-app';
import { WizProcess } from './wiz-process';
import { freePort } from './wiz-process';

// A gateway and runtimes as separate processes on one isolated prefix and schema, with a
// scripted model. `dispose` kills every process it started, whatever happened, then removes
// the streams, the schema and the data dir.
export class WizCluster {
  readonly iso: Isolation;
  private readonly procs: WizProcess[] = [];
  private readonly dataDir: string;
  private env: Record<string, string> = {};
  private disposed = false;
  gateway?: WizProcess;

  private constructor(
    label: string,
    private readonly build: BuildSnapshot,
    readonly llm: FakeLlmServer,
  ) {
    this.iso = isolation(label);
    this.dataDir = mkdtempSync(join(tmpdir(), `wiz-${label}-`));
  }

  static async start(
    build: BuildSnapshot,
    label: string,
    rules: FakeLlmRule[],
    env: Record<string, string> = {},
  ): Promise<WizCluster> {
    const cluster = new WizCluster(label, build, new FakeLlmServer({ rules }));
    cluster.env = {
      NATS_URL: TEST_NATS_URL,
      // A test that stops NATS must not find a Wiz process starting its own in its place.
      WIZ_NATS_AUTOSTART: 'false',
      WIZ_BUS_PREFIX: cluster.iso.prefix,
      WIZ_DATA_DIR: cluster.dataDir,
      DATABASE_URL: TEST_PG_URL,
      WIZ_SECRET_KEY: TEST_SECRET_KEY,
      WIZ_DB_SCHEMA: cluster.iso.schema,
      OPENAI_BASE_URL: await cluster.llm.start(),
      WIZ_LLM_MAX_RETRIES: '0',
      // A dead runtime's jobs come back after 2 s instead of 30 s.
      WIZ_JOB_ACK_WAIT_MS: '2000',
      ...env,
    };
    return cluster;
  }

  /** The NATS and Postgres this cluster's processes use (the machine's unless `env` named others). */
  get natsUrl(): string {
    return this.env['NATS_URL'] || TEST_NATS_URL;
  }

  get pgUrl(): string {
    return this.env['DATABASE_URL'] || TEST_PG_URL;
  }

  get eventsStream(): string {
    return `${this.iso.prefix}_events`;
  }

  get allEvents(): string {
    return `${this.iso.prefix}.events.>`;
  }

  agentEvents(agentId: string): string {
    return `${this.iso.prefix}.events.agent.${agentId}.>`;
  }

  /** Starts a process and waits until /health answers. */
  async spawn(entry: 'gateway' | 'runtime'): Promise<WizProcess> {
    const { proc, ready } = await this.launch(entry);
    await ready;
    if (entry === 'gateway') this.gateway ??= proc;
    return proc;
  }

  /** Starts a process; `ready` resolves when /health answers (or rejects with its output). */
  async launch(entry: 'gateway' | 'runtime'): Promise<{ proc: WizProcess; ready: Promise<void> }> {
    const port = await freePort();
    if (this.disposed) throw new Error('cluster disposed');
    const proc = new WizProcess(entry, { ...this.env, PORT: String(port) }, this.build.root);
    this.procs.push(proc);
    proc.start();
    const ready = proc.ready();
    ready.catch(() => undefined); // observed by whoever awaits it
    return { proc, ready };
  }

  api<T = any>(method: string, path: string, body?: unknown): Promise<HttpResult<T>> {
    if (!this.gateway) throw new Error('no gateway started');
    return http<T>(this.gateway.baseUrl, method, path, body);
  }

  /**
   * Bus messages committed but not yet published (rows of the transactional outbox). Once it is
   * 0 and no job is running, nothing more will appear on the streams: the point to check them.
   */
  async outboxBacklog(): Promise<number> {
    const pg = new Client({ connectionString: this.pgUrl });
    await pg.connect();
    try {
      const r = await pg.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${this.iso.schema}".outbox`);
      return r.rows[0]!.n;
    } finally {
      await pg.end();
    }
  }

  /** The last lines every process wrote (LOG_LEVEL=warn), to explain a failure. */
  outputTail(lines = 30): string {
    return this.procs
      .map(
        (p, i) => `--- ${p.entry} #${i} (pid ${p.pid}) ---\n${p.output.join('').split('\n').slice(-lines).join('\n')}`,
      )
      .join('\n');
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    await Promise.all(this.procs.map((p) => p.stop('SIGKILL')));
    await this.llm.stop();
    try {
      await cleanup(this.iso, { natsUrl: this.natsUrl, pgUrl: this.pgUrl });
    } finally {
      rmSync(this.dataDir, { recursive: true, force: true });
    }
  }
}
