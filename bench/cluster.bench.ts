import type { Job, JobCounts, PageOf } from '@wiz/contracts';
import { connect } from 'nats';
import { snapshotBuild } from '../test/support/built-app';
import { duplicateIds, eventsByJob, readEventLog, StoredEvent, TERMINAL_EVENTS } from '../test/support/event-log';
import { http } from '../test/support/http';
import { NatsCluster } from '../test/support/nats-cluster';
import { WizCluster } from '../test/support/wiz-cluster';
import type { WizProcess } from '../test/support/wiz-process';
import { BenchOptions, SuiteResult } from './suite';
import { Cleanup, message, pool, round, within } from './support';

export interface ClusterBenchOptions extends BenchOptions {
  /** Measured jobs of each scale-out phase (1 runtime, then 3). */
  scaleJobs: number;
  /** Jobs per second submitted during the failover run. */
  failoverRate: number;
  /** Length of the failover run's submissions; the leader is killed after a third of it. */
  failoverSeconds: number;
}

const PARTITIONS = 16;
const SCALE_MODEL_MS = 200;
const FAILOVER_MODEL_MS = 100;
const say = (msg: string) => console.error(`bench: cluster: ${msg}`);

// A Wiz cluster as processes (test/support's starters, from the build): a 3-node NATS
// JetStream cluster on loopback ports with R3 streams, one gateway and runtimes on Postgres, the
// scripted model in this process. Jobs go in through the gateway's REST API, as a client's would.
// - scaleOut: jobs/s with 1 runtime, then with 3 (same agents, same cluster), model 200 ms;
// - failover: a steady rate of jobs while the NATS node leading the mailbox stream is SIGKILLed;
//   the longest time without a completed job after the kill, the same before it, jobs lost and
//   completed twice.
export async function clusterBench(o: ClusterBenchOptions): Promise<SuiteResult> {
  const cleanup = new Cleanup();
  try {
    const build = await snapshotBuild();
    cleanup.add('remove build snapshot', async () => build.remove());
    const nats = await NatsCluster.start();
    cleanup.add('stop the NATS cluster', () => nats.dispose());
    const scale = await scaleOut(await start(cleanup, build, nats, 'scale', SCALE_MODEL_MS), o);
    // Last: it leaves a node down.
    const fail = await failover(await start(cleanup, build, nats, 'failover', FAILOVER_MODEL_MS), nats, o);
    return {
      figures: { ...scale.figures, ...fail.figures },
      context: {
        'cluster setup': `3-node NATS cluster (loopback), R3 streams, ${PARTITIONS} mailbox partitions, gateway and runtimes as processes on Postgres, job ack wait 2 s`,
        ...scale.context,
        ...fail.context,
      },
    };
  } finally {
    const errors = await cleanup.run();
    if (errors.length) console.error(`bench: cluster cleanup: ${errors.join('; ')}`);
  }
}

async function start(
  cleanup: Cleanup,
  build: Awaited<ReturnType<typeof snapshotBuild>>,
  nats: NatsCluster,
  label: string,
  modelMs: number,
): Promise<WizCluster> {
  const c = await WizCluster.start(build, label, [{ reply: { content: 'done', delayMs: modelMs } }], {
    NATS_URL: nats.url,
    WIZ_JETSTREAM_REPLICAS: '3',
    WIZ_MAILBOX_PARTITIONS: String(PARTITIONS),
  });
  cleanup.add(`dispose ${label} processes, streams and schema`, () => c.dispose());
  return c;
}

async function scaleOut(c: WizCluster, o: ClusterBenchOptions): Promise<Pick<SuiteResult, 'figures' | 'context'>> {
  await c.spawn('gateway');
  const runtimes = [await c.spawn('runtime')];
  await waitLeases(runtimes);
  const agents = await createAgents(c, o.agents);
  const one = await throughput(c, agents, o, 'one');
  runtimes.push(...(await Promise.all([c.spawn('runtime'), c.spawn('runtime')])));
  await waitLeases(runtimes);
  const three = await throughput(c, agents, o, 'three');
  say(`scale-out: ${one.perSec} jobs/s with 1 runtime, ${three.perSec} with 3`);
  return {
    figures: {
      'cluster.scaleOut1RuntimeJobsPerSec': one.perSec,
      'cluster.scaleOut3RuntimesJobsPerSec': three.perSec,
      'cluster.scaleOutRatio': round(three.perSec / one.perSec, 2),
    },
    context: {
      'cluster scale-out': `${o.scaleJobs} jobs per phase after ${o.warmup} warm-up, ${o.agents} agents (planning off: one model call of ${SCALE_MODEL_MS} ms per job), ${o.inflight} REST submissions in flight; submit span 1 runtime ${one.submitMs} ms, 3 runtimes ${three.submitMs} ms`,
    },
  };
}

/** Warm-up, then `scaleJobs` jobs as fast as the gateway takes them: N / (first submit → last finishedAt). */
async function throughput(
  c: WizCluster,
  agents: string[],
  o: ClusterBenchOptions,
  tag: string,
): Promise<{ perSec: number; submitMs: number }> {
  const batch = async (n: number, label: string) => {
    const ids: string[] = [];
    const t0 = Date.now();
    await pool(n, o.inflight, async (i) => {
      ids.push(await submit(c, agents[i % agents.length]!, `${label} ${i}`));
    });
    return { ids, t0, submitMs: Date.now() - t0 };
  };
  if (o.warmup) await settle(c, (await batch(o.warmup, `${tag} warm-up`)).ids, o.timeoutMs);
  const { ids, t0, submitMs } = await batch(o.scaleJobs, `${tag} measured`);
  const jobs = await settle(c, ids, o.timeoutMs);
  const failed = jobs.filter((j) => j.status !== 'completed');
  if (failed.length) throw new Error(`${failed.length} jobs did not complete, e.g. ${failed[0]!.failureReason}`);
  const last = Math.max(...jobs.map((j) => Date.parse(j.finishedAt!)));
  return { perSec: round(ids.length / ((last - t0) / 1000)), submitMs };
}

async function failover(
  c: WizCluster,
  nats: NatsCluster,
  o: ClusterBenchOptions,
): Promise<Pick<SuiteResult, 'figures' | 'context'>> {
  await c.spawn('gateway');
  const runtimes = await Promise.all([c.spawn('runtime'), c.spawn('runtime'), c.spawn('runtime')]);
  await waitLeases(runtimes);
  // One job per agent per second: none waits behind another of its agent.
  const agents = await createAgents(c, o.failoverRate);
  const total = o.failoverRate * o.failoverSeconds;
  const killAfterMs = (o.failoverSeconds * 1000) / 3;
  const accepted: string[] = [];
  const refused: string[] = [];
  let killedAt = 0;
  const gathered = await gatherLeaders(nats, c.iso.prefix);
  let killed = '';
  const t0 = Date.now();
  const kill = (async () => {
    await new Promise((r) => setTimeout(r, killAfterMs));
    const victim = await nats.leaderOf(`${c.iso.prefix}_mailbox`);
    killed = `${victim} (leader of ${victim === gathered.node ? gathered.led.join(', ') : 'mailbox'})`;
    killedAt = Date.now();
    await nats.stopNode(nats.indexOf(victim), 'SIGKILL');
    say(`failover: SIGKILLed ${killed}`);
  })();
  // A steady rate: each submission leaves on its own schedule, whatever the earlier ones wait.
  const sends: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    await new Promise((r) => setTimeout(r, Math.max(0, t0 + (i * 1000) / o.failoverRate - Date.now())));
    sends.push(
      submit(c, agents[i % agents.length]!, `steady ${i}`).then(
        (id) => void accepted.push(id),
        (e: unknown) => void refused.push(String(e)),
      ),
    );
  }
  const submitEnd = Date.now();
  await Promise.all([kill, ...sends]);
  const jobs = await settle(c, accepted, o.timeoutMs).catch(async (e: unknown) => {
    say(`failover: ${String(e)}`);
    return listJobs(c, new Set(accepted));
  });
  const done = jobs.filter((j) => j.status === 'completed');
  const lost = accepted.length - done.length;
  const duplicates = await completedTwice(c, nats, accepted);
  const ends = done.map((j) => Date.parse(j.finishedAt!)).sort((a, b) => a - b);
  // Before: the steady state, after the first few seconds of warm-up. After: every interval
  // between completions that ends after the kill, while jobs were still being submitted.
  const warm = t0 + Math.min(3_000, killAfterMs / 2);
  const before = longestGap(ends, (a, b) => a >= warm && b <= killedAt);
  const after = longestGap(ends, (a, b) => b > killedAt && a < submitEnd);
  say(`failover: longest gap ${after} ms after the kill (${before} ms before), ${lost} lost, ${duplicates} twice`);
  return {
    figures: {
      'cluster.failoverGapMs': after,
      'cluster.normalGapMs': before,
      'cluster.failoverJobsLost': lost,
      'cluster.failoverDuplicates': duplicates,
    },
    context: {
      'cluster failover': `${o.failoverRate} jobs/s for ${o.failoverSeconds} s through the gateway (${accepted.length} accepted, ${refused.length} refused${refused.length ? `: ${refused[0]}` : ''}), ${agents.length} agents, model ${FAILOVER_MODEL_MS} ms, 3 runtimes; SIGKILLed ${killed} at ${Math.round(killAfterMs / 1000)} s; jobs run more than once: ${jobs.filter((j) => j.attempts > 1).length}`,
    },
  };
}

/** The longest interval between consecutive completions (`ends`, sorted) among those `kept`. */
function longestGap(ends: readonly number[], kept: (a: number, b: number) => boolean): number {
  let longest = 0;
  for (let i = 1; i < ends.length; i++) {
    if (kept(ends[i - 1]!, ends[i]!)) longest = Math.max(longest, ends[i]! - ends[i - 1]!);
  }
  return longest;
}

/** Jobs whose events stream holds more than one terminal event, plus event ids stored twice. */
async function completedTwice(c: WizCluster, nats: NatsCluster, ids: string[]): Promise<number> {
  // Read once nothing more can appear: the outbox drained (no job runs any more). A request to a
  // stream whose new leader is still settling may time out: read again until the deadline.
  const deadline = Date.now() + 60_000;
  let events: StoredEvent[] | undefined;
  while (!events) {
    let why: string;
    try {
      const backlog = await c.outboxBacklog();
      if (backlog === 0) events = await readEventLog(c.eventsStream, c.allEvents, 30_000, nats.url);
      why = `${backlog} outbox rows unpublished`;
    } catch (e) {
      why = message(e);
    }
    if (events) break;
    if (Date.now() > deadline) throw new Error(`events stream not read within 60 s: ${why}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  const byJob = eventsByJob(events);
  const twice = ids.filter((id) => (byJob.get(id) ?? []).filter((e) => TERMINAL_EVENTS.has(e.type)).length > 1);
  return twice.length + duplicateIds(events).length;
}

/**
 * Steps stream leaders down until the node leading the mailbox stream leads every stream of
 * `prefix` (mailbox, events, KV buckets): the worst node to lose, the same in every run.
 * Returns that node and the streams it leads (not all of them if that took over 60 s).
 */
async function gatherLeaders(nats: NatsCluster, prefix: string): Promise<{ node: string; led: string[] }> {
  const nc = await connect({ servers: nats.url.split(',') });
  try {
    const jsm = await nc.jetstreamManager();
    const node = await nats.leaderOf(`${prefix}_mailbox`);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const leaders = new Map<string, string>();
      for await (const s of jsm.streams.list())
        if (s.config.name.includes(prefix)) leaders.set(s.config.name, s.cluster?.leader ?? '');
      const others = [...leaders].filter(([, leader]) => leader !== node).map(([name]) => name);
      const led = [...leaders.keys()].filter((n) => !others.includes(n)).map((n) => n.replace(`${prefix}_`, ''));
      if (!others.length || Date.now() > deadline) return { node, led };
      // A leader that is still being elected ('') is left to settle.
      for (const name of others) if (leaders.get(name)) await nats.stepDown(name).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 1_000));
    }
  } finally {
    await nc.close();
  }
}

async function createAgents(c: WizCluster, n: number): Promise<string[]> {
  const ids: string[] = [];
  await pool(n, 16, async (i) => {
    const r = await c.api<{ id: string }>('POST', '/api/v1/agents', {
      name: `Bench ${i}`,
      role: 'a benchmark agent',
      loop: { planning: false },
      tools: [],
    });
    if (r.status !== 201) throw new Error(`agent refused: ${r.status} ${JSON.stringify(r.body)}`);
    ids.push(r.body.id);
  });
  return ids;
}

async function submit(c: WizCluster, agentId: string, input: string): Promise<string> {
  const r = await c.api<Job>('POST', '/api/v1/jobs', { agentId, input });
  if (r.status !== 202) throw new Error(`job refused: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.id;
}

/** Waits until every job in `ids` is completed, failed or cancelled; returns them. */
async function settle(c: WizCluster, ids: string[], timeoutMs: number): Promise<Job[]> {
  const want = new Set(ids);
  const poll = async () => {
    for (;;) {
      const r = await c.api<JobCounts>('GET', '/api/v1/jobs/counts');
      const { waiting = 0, delayed = 0, active = 0 } = r.status === 200 ? r.body : {};
      if (r.status === 200 && waiting + delayed + active === 0) {
        const jobs = await listJobs(c, want);
        if (jobs.length === want.size && jobs.every((j) => j.finishedAt)) return jobs;
      }
      await new Promise((res) => setTimeout(res, 250));
    }
  };
  return within(poll(), timeoutMs).catch((e: unknown) => {
    throw new Error(`jobs not settled: ${String(e)}\n${c.outputTail(10)}`);
  });
}

async function listJobs(c: WizCluster, ids: Set<string>): Promise<Job[]> {
  const jobs: Job[] = [];
  for (let offset = 0; ;) {
    const r = await c.api<PageOf<Job>>('GET', `/api/v1/jobs?limit=500&offset=${offset}`);
    if (r.status !== 200) throw new Error(`job list: ${r.status} ${JSON.stringify(r.body)}`);
    jobs.push(...r.body.items.filter((j) => ids.has(j.id)));
    offset += r.body.items.length;
    if (!r.body.items.length || offset >= r.body.total) return jobs;
  }
}

/** Waits until the runtimes hold every partition between them, none more than its share. */
async function waitLeases(runtimes: WizProcess[]): Promise<void> {
  const share = Math.ceil(PARTITIONS / runtimes.length);
  const held = () =>
    Promise.all(
      runtimes.map(async (r) => {
        const res = await http(r.baseUrl, 'GET', '/readyz').catch(() => null);
        const detail = String(res?.body?.details?.leases?.detail ?? '');
        return Number(new RegExp(`holds (\\d+) of ${PARTITIONS}`).exec(detail)?.[1] ?? -1);
      }),
    );
  const deadline = Date.now() + 30_000;
  for (;;) {
    const n = await held();
    if (n.every((k) => k > 0 && k <= share) && n.reduce((a, b) => a + b) === PARTITIONS) return;
    if (Date.now() > deadline) throw new Error(`leases held ${n.join()}, not spread within 30 s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
