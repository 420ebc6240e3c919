import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeLlmServer } from '../../apps/fake-llm/src/fake-llm.server';
import { http } from '../support/http';
import { cleanup, isolation, TEST_NATS_URL, TEST_PG_URL, TEST_SECRET_KEY } from '../support/isolation';
import { until } from '../support/until';
import { freePort, WizProcess } from '../support/wiz-process';

// Gateway and runtime as separate processes on Postgres, as in a real deployment.
describe('gateway and runtime as separate processes', () => {
  const iso = isolation('split');
  const dataDir = mkdtempSync(join(tmpdir(), 'wiz-split-'));
  const llm = new FakeLlmServer({
    rules: [{ match: { lastUserContains: 'SLOW' }, reply: { content: 'done slowly', delayMs: 1_500 } }],
  });
  const procs: WizProcess[] = [];
  let env: Record<string, string>;
  let gateway: WizProcess;

  const spawnWiz = async (entry: 'gateway' | 'runtime') => {
    const p = new WizProcess(entry, { ...env, PORT: String(await freePort()) });
    procs.push(p);
    p.start();
    await p.ready();
    return p;
  };

  beforeAll(async () => {
    env = {
      NATS_URL: TEST_NATS_URL,
      WIZ_BUS_PREFIX: iso.prefix,
      WIZ_DATA_DIR: dataDir,
      DATABASE_URL: TEST_PG_URL,
      WIZ_SECRET_KEY: TEST_SECRET_KEY,
      WIZ_DB_SCHEMA: iso.schema,
      OPENAI_BASE_URL: await llm.start(),
      WIZ_LLM_MAX_RETRIES: '0',
      // A dead runtime's job comes back after 2 s instead of 30 s.
      WIZ_JOB_ACK_WAIT_MS: '2000',
    };
    gateway = await spawnWiz('gateway');
  });

  afterAll(async () => {
    for (const p of procs) await p.stop('SIGKILL');
    await llm.stop();
    await cleanup(iso);
    rmSync(dataDir, { recursive: true, force: true });
  });

  const api = (method: string, path: string, body?: unknown) => http(gateway.baseUrl, method, path, body);
  const jobStatus = async (id: string) =>
    (await api('GET', `/api/v1/jobs/${id}`)).body as { status: string; attempts: number };

  it('queues while no runtime runs, then a runtime takes the job; a runtime killed mid-job loses nothing', async () => {
    const agent = (await api('POST', '/api/v1/agents', { name: 'Solo', role: 'worker' })).body as { id: string };
    const queued = (await api('POST', '/api/v1/jobs', { agentId: agent.id, input: 'hello' })).body as { id: string };
    expect((await jobStatus(queued.id)).status).toBe('queued');

    const first = await spawnWiz('runtime');
    await until(async () => (await jobStatus(queued.id)).status === 'completed');

    // Kill the runtime while the model is still answering a job.
    const slow = (await api('POST', '/api/v1/jobs', { agentId: agent.id, input: 'SLOW one' })).body as { id: string };
    await until(async () => (await jobStatus(slow.id)).status === 'active');
    await first.stop('SIGKILL');
    expect((await jobStatus(slow.id)).status).toBe('active');

    const second = await spawnWiz('runtime');
    await until(async () => (await jobStatus(slow.id)).status === 'completed', 30_000);
    const job = (await api('GET', `/api/v1/jobs/${slow.id}`)).body as {
      attempts: number;
      result: { text: string };
      attemptLog: Array<{ error: string | null }>;
    };
    expect(job.attempts).toBe(2);
    expect(job.attemptLog.map((a) => a.error)).toEqual([
      expect.stringMatching(/runtime stopped during this attempt/),
      null,
    ]);
    expect(job.result.text).toBe('done slowly');
    await second.stop('SIGKILL');
  });

  it('lets a running job finish when a runtime is stopped with SIGTERM', async () => {
    const agent = (await api('POST', '/api/v1/agents', { name: 'Calm', role: 'worker' })).body as { id: string };
    const runtime = await spawnWiz('runtime');
    const slow = (await api('POST', '/api/v1/jobs', { agentId: agent.id, input: 'SLOW two' })).body as { id: string };
    await until(async () => (await jobStatus(slow.id)).status === 'active');
    await runtime.stop('SIGTERM');
    expect(await jobStatus(slow.id)).toMatchObject({ status: 'completed', attempts: 1 });
  });
});

describe('NATS discovery', () => {
  const iso = isolation('natsup');
  const dataDir = mkdtempSync(join(tmpdir(), 'wiz-nats-'));

  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('starts a local nats-server when none answers, and /health turns 503 when NATS goes away', async () => {
    const port = await freePort();
    const sut = new WizProcess('server', {
      PORT: String(await freePort()),
      NATS_URL: `nats://127.0.0.1:${port}`,
      WIZ_BUS_PREFIX: iso.prefix,
      WIZ_DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      // Debian installs nats-server in /usr/sbin.
      PATH: `/usr/sbin:/usr/local/bin:/usr/bin:/bin`,
    });
    sut.start();
    try {
      await sut.ready();
      const started = sut.output.join('').match(/started \S*nats-server \(pid (\d+)\)/);
      expect(started).not.toBeNull();
      expect((await http(sut.baseUrl, 'GET', '/health')).status).toBe(200);
      process.kill(Number(started![1]), 'SIGKILL');
      await until(async () => (await http(sut.baseUrl, 'GET', '/health')).status === 503);
      const health = await http(sut.baseUrl, 'GET', '/health');
      expect(health.body).toMatchObject({ status: 'unavailable', nats: { ok: false }, database: { ok: true } });
    } finally {
      await sut.stop('SIGKILL');
    }
  });

  it('waits for NATS with directions and a log line per retry when none answers and it may not start one', async () => {
    const sut = new WizProcess('server', {
      PORT: String(await freePort()),
      NATS_URL: `nats://127.0.0.1:${await freePort()}`,
      WIZ_NATS_AUTOSTART: 'false',
      WIZ_DATA_DIR: dataDir,
    });
    sut.start();
    try {
      await until(async () => /retry 2 in/.test(sut.output.join('')));
      const out = sut.output.join('');
      expect(out).toContain('cannot reach NATS at nats://127.0.0.1:');
      expect(out).toContain('docker compose up -d nats');
      expect(out).toMatch(/still unreachable .*retry 1 in 500 ms/);
    } finally {
      await sut.stop('SIGKILL');
    }
  });

  it('refuses an invalid configuration and names the variable', async () => {
    const sut = new WizProcess('server', { PORT: 'eighty', WIZ_BUS_PREFIX: 'Bad.Prefix', WIZ_DATA_DIR: dataDir });
    sut.start();
    expect(await sut.exitCode()).toBe(1);
    expect(sut.output.join('')).toMatch(/invalid configuration[\s\S]*PORT[\s\S]*WIZ_BUS_PREFIX/);
  });
});
