import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { ERROR_CODES } from '@wiz/contracts';
import { HOLD_RECHECK_MS } from '@wiz/agent';
import { DelayedJobsWorker, ScheduleFiringWorker } from '@wiz/queue';
import { FakeLlmServer } from '../../../apps/fake-llm/src/fake-llm.server';
import { asKey, http } from '../../support/http';
import { cleanup, Isolation, isolation } from '../../support/isolation';
import { insertPendingApproval } from '../../support/pending-approval';
import { InProcessServer, startServerInProcess } from '../../support/server-app';

// The world a fuzz run plays in: gateway and runtime in this process with authentication on,
// two owners (A and B) with one of everything, and the store to check that refused requests
// changed nothing.
export type Owner = 'a' | 'b';
export type Kind =
  | 'agents'
  | 'jobs'
  | 'schedules'
  | 'keys'
  | 'providers'
  | 'mcp-servers'
  | 'projects'
  | 'conversations'
  | 'messages'
  | 'approvals'
  | 'webhooks';
export type Pool = Record<Kind, string[]>;

export interface FuzzWorld {
  server: InProcessServer;
  llm: FakeLlmServer;
  iso: Isolation;
  keys: Record<Owner, string>;
  pools: Record<Owner, Pool>;
  db: DataSource;
  workspaceDir: string;
  close(): Promise<void>;
}

/** Runs of each property: `WIZ_FUZZ_RUNS` (tests only) scales them; the default keeps `npm test` near a minute. */
export const FUZZ_RUNS_SCALE = Number(process.env['WIZ_FUZZ_RUNS_SCALE'] || '1');
/** One seed for the whole suite: `WIZ_FUZZ_SEED=<n>` replays a run (printed when a property fails). */
export const FUZZ_SEED = Number(process.env['WIZ_FUZZ_SEED'] || Math.floor(Math.random() * 2 ** 31));

/** A seed per property, from the suite's seed and the property's name: properties stay independent. */
export function seedFor(name: string): number {
  let h = FUZZ_SEED | 0;
  for (let i = 0; i < name.length; i++) h = (Math.imul(h, 31) + name.charCodeAt(i)) | 0;
  return h;
}

export async function startFuzzWorld(label: string, env: Record<string, string> = {}): Promise<FuzzWorld> {
  const iso = isolation(label);
  const llm = new FakeLlmServer({ rules: [] });
  const workspaceDir = mkdtempSync(join(tmpdir(), 'wiz-fuzz-'));
  const adminKey = randomBytes(32).toString('hex');
  const server = await startServerInProcess(iso, await llm.start(), {
    WIZ_AUTH: 'on',
    WIZ_ADMIN_KEY: adminKey,
    WIZ_RATE_LIMIT_PER_MIN: '0',
    // One request in eleven carries no key or a bad one: counted per address, they would soon
    // block every request of the run (the limit has its own tests in cluster-limits.spec).
    WIZ_AUTH_FAILURES_PER_MIN: '0',
    WIZ_WORKSPACE_DIR: workspaceDir,
    // POST /agents/:id/execute waits this long by default for a job that (agents paused) never runs.
    WIZ_EXECUTE_TIMEOUT_MS: '500',
    ...env,
  });
  // Clock-driven writers off: a fuzzed schedule firing on the hour, or a fuzzed delayed job coming
  // due, would write jobs and outbox rows in the middle of a refused request's "wrote nothing" check.
  await server.app.get(ScheduleFiringWorker).beforeApplicationShutdown();
  await server.app.get(DelayedJobsWorker).beforeApplicationShutdown();
  const admin = asKey(server.baseUrl, adminKey);
  const keys = {
    a: (await admin('POST', '/api/v1/keys', { ownerId: 'user:a', name: 'a' })).body.key as string,
    b: (await admin('POST', '/api/v1/keys', { ownerId: 'user:b', name: 'b' })).body.key as string,
  };
  const db = server.app.get(DataSource);
  const pools = { a: await makePool(server, keys.a, 'user:a', db), b: await makePool(server, keys.b, 'user:b', db) };
  return {
    server,
    llm,
    iso,
    keys,
    pools,
    db,
    workspaceDir,
    async close() {
      await server.close();
      await llm.stop();
      await cleanup(iso);
      rmSync(workspaceDir, { recursive: true, force: true });
    },
  };
}

/** One of everything for an owner. Its agents are paused: accepted jobs wait, so the runtime stays quiet. */
async function makePool(server: InProcessServer, key: string, ownerId: string, db: DataSource): Promise<Pool> {
  const call = asKey(server.baseUrl, key);
  const ok = async (method: string, path: string, body?: unknown): Promise<string> => {
    const r = await call(method, path, body);
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body?.id as string;
  };
  const agents = [
    await ok('POST', '/api/v1/agents', { name: 'Fuzz', role: 'target' }),
    await ok('POST', '/api/v1/agents', { name: 'Other', role: 'target', doubleTexting: 'reject' }),
  ];
  for (const id of agents) await ok('POST', `/api/v1/agents/${id}/pause`);
  const delayed = await ok('POST', '/api/v1/jobs', { agentId: agents[0], input: 'later', delay: 3_600_000 });
  const queued = await ok('POST', '/api/v1/jobs', { agentId: agents[0], input: 'now' });
  const cancelled = await ok('POST', '/api/v1/jobs', { agentId: agents[1], input: 'cancel me' });
  await ok('POST', `/api/v1/jobs/${cancelled}/cancel`);
  const schedule = await ok('POST', '/api/v1/schedules', {
    cron: '@yearly',
    template: { agentId: agents[0], input: 'x' },
  });
  const spareKey = await ok('POST', '/api/v1/keys', { name: 'spare' });
  const provider = await ok('POST', '/api/v1/providers', {
    name: 'P',
    baseUrl: 'http://203.0.113.9/v1',
    apiKey: 'sk-fuzz',
  });
  const mcp = await ok('POST', '/api/v1/mcp-servers', {
    name: 'tools',
    transport: 'http',
    url: 'https://203.0.113.11/mcp',
  });
  const project = await ok('POST', '/api/v1/projects', { name: 'P' });
  const conversation = await ok('POST', '/api/v1/conversations', {
    kind: 'channel',
    projectId: project,
    name: 'c',
    agentIds: agents,
    users: [{ userId: 'ann' }],
  });
  const message = await ok('POST', `/api/v1/conversations/${conversation}/messages`, { userId: 'ann', content: 'hi' });
  const webhook = await ok('POST', '/api/v1/webhooks', {
    url: 'https://203.0.113.10/hook',
    events: ['schedule.fired'],
    secret: 'a-secret-0123456789',
  });
  const approval = await insertPendingApproval(db, { ownerId, jobId: delayed, agentId: agents[0]!, reason: 'fuzz' });
  return {
    agents,
    jobs: [delayed, queued, cancelled],
    schedules: [schedule],
    keys: [spareKey],
    providers: [provider],
    'mcp-servers': [mcp],
    projects: [project],
    conversations: [conversation],
    messages: [message],
    approvals: [approval],
    webhooks: [webhook],
  };
}

/**
 * What the background writes of a table, whatever the requests: the outbox's rows are marked by the
 * publisher (compared by count: null), and a webhook delivery's attempts (status, count, log, next
 * time) by the delivery worker on its own backoff, seconds apart against an unreachable fuzzed URL,
 * so beyond any quiet period (compared by the columns a delivery is created with).
 */
const COMPARED: Record<string, string | null> = {
  outbox: null,
  webhook_deliveries: `row(x.id, x."webhookId", x."ownerId", x."eventId", x."eventType", x.body, x."createdAt")`,
};

/** Row count and content hash of every table of the run's schema (see COMPARED for the exceptions). */
export async function snapshot(w: FuzzWorld): Promise<Record<string, string>> {
  const tables: Array<{ table_name: string }> = await w.db.query(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'`,
    [w.iso.schema],
  );
  const parts = tables.map(({ table_name: t }) => {
    const row = `md5((${COMPARED[t] === undefined ? 'x' : COMPARED[t]})::text)`;
    const hash = COMPARED[t] === null ? `''` : `coalesce(md5(string_agg(${row}, ',' ORDER BY ${row})), '')`;
    return `SELECT '${t}' AS t, count(*)::text || ':' || ${hash} AS v FROM "${w.iso.schema}"."${t}" x`;
  });
  // One retry: a pooled connection may have been ended from outside (another suite's Postgres restart).
  const rows: Array<{ t: string; v: string }> = await w.db
    .query(parts.join(' UNION ALL '))
    .catch(() => w.db.query(parts.join(' UNION ALL ')));
  return Object.fromEntries(rows.map((r) => [r.t, r.v]));
}

export function changedTables(before: Record<string, string>, after: Record<string, string>): string[] {
  return Object.keys({ ...before, ...after }).filter((t) => before[t] !== after[t]);
}

/**
 * Waits until the store stops changing (accepted requests' background work: outbox, webhooks, and
 * the held jobs of a deleted agent, which fail at the actor's next re-check): still for longer than
 * that re-check, polled every 150 ms.
 */
export async function settle(w: FuzzWorld, timeoutMs = 10_000): Promise<Record<string, string>> {
  const deadline = Date.now() + timeoutMs;
  const quietMs = HOLD_RECHECK_MS + 200;
  let last = await snapshot(w);
  let stillSince = Date.now();
  for (;;) {
    await new Promise((r) => setTimeout(r, 150));
    const next = await snapshot(w);
    if (changedTables(last, next).length) stillSince = Date.now();
    if (Date.now() - stillSince >= quietMs || Date.now() > deadline) return next;
    last = next;
  }
}

/** The gateway answers /readyz and /health with 200. */
export async function expectHealthy(w: FuzzWorld): Promise<void> {
  const ready = await http(w.server.baseUrl, 'GET', '/readyz');
  const health = await http(w.server.baseUrl, 'GET', '/health');
  expect({ ready: ready.status, health: health.status, body: health.body }).toMatchObject({
    ready: 200,
    health: 200,
  });
}

export const isErrorCode = (c: unknown): boolean =>
  typeof c === 'string' && (ERROR_CODES as readonly string[]).includes(c);
