import { mkdtemp, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { WebSocket } from 'ws';
import { CompletionWaiter, closedLoop, PhaseFigures } from './peer-phase';
import { CpuMeter, listeningPid, pidsNamed } from './proc-cpu';
import {
  admissionFromEnv,
  BENCH_NATS_URL,
  BENCH_PG_URL,
  BENCH_SECRET_KEY,
  Cleanup,
  cpuSince,
  deferred,
  deleteStreams,
  dropSchema,
  isolation,
  pool,
  withTimeout,
} from './support';
import { startWizChild, WizChild } from './wiz-child';

export interface WizEndToEnd {
  phase(count: number, inflight: number, timeoutMs: number): Promise<PhaseFigures>;
}

/** How Wiz runs: one server process (gateway + runtime), or a gateway and a runtime process. */
export type WizLayout = 'server' | 'split';

// Wiz through its public interface, as a client uses it: `node dist/apps/server/src/main.js` as a
// child process (gateway + runtime, the machine's NATS, Postgres or the embedded SQLite store), or
// `split`: `dist/apps/gateway/src/main.js` and `dist/apps/runtime/src/main.js` as two processes
// (Postgres only: the embedded store is one process's file), as a cluster runs them; jobs submitted
// with `POST /api/v1/jobs`, their `job.completed` seen on a WebSocket following the `owner` topic.
// CPU counted: the Wiz process(es), the machine's NATS server (shared: its delta over the phase),
// the Postgres backends of Wiz's connections, and this process (the client: HTTP and WS).
export async function startWizEndToEnd(
  cleanup: Cleanup,
  store: 'postgres' | 'sqlite',
  llmUrl: string,
  agents: number,
  /** Where to write a `--cpu-prof` profile of each Wiz process (`-<entry>` added to the name), if anywhere. */
  profile?: string,
  layout: WizLayout = 'server',
): Promise<WizEndToEnd> {
  if (layout === 'split' && store !== 'postgres') throw new Error('a split Wiz needs the Postgres store');
  const iso = isolation('peer');
  // The server's Postgres connections carry this name, so that their backends can be found.
  const appName = `wiz-${iso.prefix}`;
  cleanup.add(`delete streams ${iso.prefix}_*`, () => deleteStreams(iso.prefix));
  if (store === 'postgres') cleanup.add(`drop schema ${iso.schema}`, () => dropSchema(iso.schema));
  const dataDir = await mkdtemp(join(tmpdir(), 'wiz-bench-peer-'));
  cleanup.add(`remove ${dataDir}`, () => rm(dataDir, { recursive: true, force: true }));
  const nodeArgs = (entry: string) => {
    if (!profile) return [];
    const file =
      layout === 'split' ? basename(profile).replace(/(\.cpuprofile)?$/, `-${entry}.cpuprofile`) : basename(profile);
    return ['--cpu-prof', `--cpu-prof-dir=${dirname(profile)}`, `--cpu-prof-name=${file}`];
  };
  const env = {
    NATS_URL: BENCH_NATS_URL,
    WIZ_NATS_AUTOSTART: 'false',
    WIZ_BUS_PREFIX: iso.prefix,
    DATABASE_URL: store === 'postgres' ? `${BENCH_PG_URL}?application_name=${appName}` : '',
    WIZ_SECRET_KEY: store === 'postgres' ? BENCH_SECRET_KEY : '',
    WIZ_DATA_DIR: dataDir,
    WIZ_DB_SCHEMA: iso.schema,
    OPENAI_BASE_URL: llmUrl,
    OPENAI_API_KEY: 'fake',
    WIZ_DEFAULT_MODEL: 'fake-model',
    WIZ_LLM_MAX_RETRIES: '0',
    WIZ_RATE_LIMIT_PER_MIN: '0',
    WIZ_SHUTDOWN_GRACE_MS: '1000',
    // No one follows these jobs' topics: unstreamed calls, unless the bench runs with WIZ_LIVE_TOKENS=always.
    WIZ_LIVE_TOKENS: process.env['WIZ_LIVE_TOKENS'] ?? 'subscribed',
    ...admissionFromEnv(),
  };
  // One after the other, the gateway first, as the cluster tests start them (each migrates behind
  // an advisory lock). `server` is the process that serves REST and WS.
  const entries = layout === 'split' ? (['gateway', 'runtime'] as const) : (['server'] as const);
  const procs: WizChild[] = [];
  for (const entry of entries) {
    const p = await startWizChild(entry, env, nodeArgs(entry));
    cleanup.add(`stop wiz ${entry} (${store})`, p.stop);
    procs.push(p);
  }
  const server = procs[0]!;
  const natsPid = listeningPid(Number(new URL(BENCH_NATS_URL).port));
  if (natsPid === undefined) throw new Error(`no process found listening on ${BENCH_NATS_URL}`);

  const agentIds = await createAgents(server.url, agents);
  const waiter = new CompletionWaiter();
  const ws = await followOwner(`${server.url.replace('http', 'ws')}/ws`, waiter);
  cleanup.add(`close ws (${store})`, async () => ws.terminate());

  const pg = store === 'postgres' ? new Client({ connectionString: BENCH_PG_URL }) : undefined;
  if (pg) {
    await pg.connect();
    cleanup.add('close pg connection', () => pg.end());
  }
  const backends = async () =>
    pg
      ? (
          await pg.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [appName])
        ).rows.map((r) => r.pid)
      : [];
  const meters = {
    server: new CpuMeter(() => procs.map((p) => p.child.pid!)),
    gateway: new CpuMeter(() => [server.child.pid!]),
    nats: new CpuMeter(() => [natsPid]),
    postgres: new CpuMeter(() => []),
    allPostgres: new CpuMeter(() => (pg ? pidsNamed('postgres') : [])),
  };
  return {
    async phase(count, inflight, timeoutMs) {
      const pids = await backends();
      if (pg && !pids.length) throw new Error(`no Postgres backend is named ${appName}`);
      meters.postgres = new CpuMeter(() => pids);
      Object.values(meters).forEach((m) => m.begin());
      const cpu0 = process.cpuUsage();
      const t = await closedLoop(count, inflight, timeoutMs, waiter, (i) =>
        submit(server.url, agentIds[i % agentIds.length]!, i),
      );
      const clientUs = cpuSince(cpu0);
      // The pool opens connections as the load needs them (and closes idle ones between phases):
      // backends born during the phase count too.
      const pgUs = meters.postgres.elapsedUs(await backends());
      const [serverUs, gatewayUs, natsUs, allPgUs] = [
        meters.server,
        meters.gateway,
        meters.nats,
        meters.allPostgres,
      ].map((m) => m.elapsedUs()) as [number, number, number, number];
      const per = (us: number) => Math.round(us / count);
      return {
        ...t,
        cpuUsPerJob: per(clientUs + serverUs + natsUs + pgUs),
        serverCpuUsPerJob: per(serverUs),
        ...(layout === 'split'
          ? { gatewayCpuUsPerJob: per(gatewayUs), runtimeCpuUsPerJob: per(serverUs - gatewayUs) }
          : {}),
        natsCpuUsPerJob: per(natsUs),
        ...(pg ? { postgresCpuUsPerJob: per(pgUs), allPostgresCpuUsPerJob: per(allPgUs) } : {}),
        clientCpuUsPerJob: per(clientUs),
      };
    },
  };
}

// Agents that do the least the loop can: no planning (one model call per job), no tools but
// `finish` (the queue suite's agents, created here through the REST API).
async function createAgents(url: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  await pool(count, 8, async (i) => {
    const res = await fetch(`${url}/api/v1/agents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: `bench-${i}`, role: 'a benchmark agent', loop: { planning: false }, tools: [] }),
    });
    if (res.status !== 201) throw new Error(`could not create an agent: ${res.status} ${await res.text()}`);
    ids[i] = ((await res.json()) as { id: string }).id;
  });
  return ids;
}

async function submit(url: string, agentId: string, i: number): Promise<string> {
  const res = await fetch(`${url}/api/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ agentId, input: `bench job ${i}` }),
  });
  if (res.status !== 202) throw new Error(`POST /api/v1/jobs answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

interface EventFrame {
  type: 'event';
  event: { type: string; jobId?: string; data?: { reason?: string } };
}

/** One WS client following every event of its owner; completions and failures go to `waiter`. */
async function followOwner(url: string, waiter: CompletionWaiter): Promise<WebSocket> {
  const ws = new WebSocket(url);
  await withTimeout(once(ws, 'open'), 10_000, 'ws open');
  const subscribed = deferred();
  ws.on('message', (d: Buffer) => {
    const text = d.toString();
    // The subscription asks for the jobs' ends only (`events`), as a client waiting for them does.
    if (text.includes('"type":"job.completed"') || text.includes('"type":"job.failed"')) {
      const { event } = JSON.parse(text) as EventFrame;
      if (event.type === 'job.completed') waiter.completed(event.jobId!, performance.now());
      else if (event.type === 'job.failed') waiter.failed(event.jobId!, event.data?.reason ?? 'unknown');
    } else if (text.startsWith('{"type":"subscribed"')) subscribed.resolve();
    else if (text.startsWith('{"type":"error"')) subscribed.reject(new Error(`ws error frame: ${text}`));
  });
  ws.send(JSON.stringify({ type: 'subscribe', topic: 'owner', events: ['job.completed', 'job.failed'] }));
  await withTimeout(subscribed.promise, 10_000, 'ws subscribe');
  return ws;
}
