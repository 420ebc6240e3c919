import type { Job, JobCounts, PageOf } from '@wiz/contracts';
import { BuildSnapshot, snapshotBuild } from '../support/built-app';
import { duplicateIds, eventsByJob, readEventLog, TERMINAL_EVENTS } from '../support/event-log';
import { http } from '../support/http';
import { NatsCluster } from '../support/nats-cluster';
import { sleep, until } from '../support/until';
import { WizCluster } from '../support/wiz-cluster';
import type { WizProcess } from '../support/wiz-process';

// A Wiz cluster that survives: a 3-node NATS cluster started here (loopback ports, own temp
// dirs) with R3 streams, one gateway and runtimes on Postgres, from the build (`npm run build`).
const say = (msg: string) => process.stdout.write(`[cluster] ${msg}\n`);
const PARTITIONS = 16;

describe('cluster (3-node NATS, R3 streams, leased partitions)', () => {
  let build: BuildSnapshot;
  let nats: NatsCluster;
  let c: WizCluster | undefined;

  beforeAll(async () => {
    [build, nats] = await Promise.all([snapshotBuild(), NatsCluster.start()]);
  }, 90_000);

  afterEach(async () => {
    await c?.dispose();
    c = undefined;
  });

  afterAll(async () => {
    await nats?.dispose();
    build?.remove();
  });

  const start = async (label: string, delayMs: number, env: Record<string, string> = {}) =>
    (c = await WizCluster.start(build, label, [{ reply: { content: 'done', delayMs } }], {
      NATS_URL: nats.url,
      WIZ_JETSTREAM_REPLICAS: '3',
      ...env,
    }));

  it('keeps completing jobs, losing none and completing none twice, when the stream leader is SIGKILLed; leases spread and move', async () => {
    const c = await start('leader', 100);
    await c.spawn('gateway');
    const runtimes = await Promise.all([c.spawn('runtime'), c.spawn('runtime'), c.spawn('runtime')]);
    await until(
      // Each takes at most its share, ceil(16 / 3) = 6: e.g. 6, 6, 4 or 6, 5, 5.
      async () => {
        const n = await held(runtimes);
        return n.every((k) => k >= 4 && k <= 6) && n.reduce((a, b) => a + b) === PARTITIONS;
      },
      15_000,
      'partitions spread over three runtimes',
      async () => JSON.stringify(await held(runtimes)),
    );
    say(`leases: ${JSON.stringify(await held(runtimes))} partitions per runtime`);
    const ready = await http(runtimes[0]!.baseUrl, 'GET', '/readyz');
    expect(ready.body.details.streams.detail).toContain('_mailbox R3');

    const agents = await createAgents(c, 10);
    const accepted = new Map<string, string>();
    let killedAt = 0;
    const submitting = (async () => {
      for (let round = 0; round < 30; round++) {
        await Promise.all(
          agents.slice(0, 5).map(async (_, k) => {
            const input = `job ${round}.${k}`;
            const r = await c.api<Job>('POST', '/api/v1/jobs', { agentId: agents[(round + k) % agents.length], input });
            if (r.status !== 202) throw new Error(`refused: ${r.status} ${JSON.stringify(r.body)}`);
            accepted.set(input, r.body.id);
          }),
        );
        await sleep(250);
      }
    })();
    await until(async () => (await counts(c)).completed >= 20, 30_000, 'jobs flowing before the kill');
    const leader = await nats.leaderOf(c.eventsStream.replace(/_events$/, '_mailbox'));
    const victim = nats.indexOf(leader);
    await nats.stopNode(victim);
    killedAt = Date.now();
    say(`killed the mailbox stream leader ${leader} with ${accepted.size} jobs submitted`);
    await submitting;
    // Jobs submitted after the kill complete while the node is still down (it stays down until
    // they do: the new leader's election takes seconds, longer on a loaded machine).
    const completedSinceKill = async () =>
      (await listJobs(c)).filter((j) => Date.parse(j.createdAt) > killedAt && j.status === 'completed');
    await until(
      async () => (await completedSinceKill()).length > 0,
      45_000,
      'a job submitted after the kill completed while the node is down',
    );
    const duringOutage = await completedSinceKill();
    say(
      `${duringOutage.length} jobs submitted after the kill completed while ${leader} was down (${Date.now() - killedAt} ms after the kill)`,
    );
    expect(duringOutage.length).toBeGreaterThan(0);
    nats.startNode(victim);

    await until(
      async () => (await counts(c)).completed === accepted.size,
      60_000,
      `all ${accepted.size} jobs completed`,
      async () => JSON.stringify(await counts(c)) + c.outputTail(),
    );
    await expectEachCompletedOnce(c, nats, [...accepted.values()]);

    // A runtime killed: its partitions move to the two others within seconds.
    await runtimes[2]!.stop('SIGKILL');
    const killed = Date.now();
    await until(
      async () => (await held(runtimes.slice(0, 2))).join() === '8,8',
      15_000,
      'the survivors hold every partition',
      async () => JSON.stringify(await held(runtimes.slice(0, 2))),
    );
    say(`leases moved to the survivors ${Date.now() - killed} ms after a runtime was SIGKILLed`);
    expect(Date.now() - killed).toBeLessThan(10_000);
  }, 150_000);

  // A backlog of queued jobs while every runtime is replaced in turn with SIGTERM. The handover
  // must not lean on the safety nets: the stalled-jobs sweep runs every 10 minutes here and a
  // mailbox message lost on the way would come back only after its 2-minute ack wait, so a job
  // handed back through either would leave its agent idle far longer than the bound below.
  // Each agent's jobs run back to back: no gap between one job's end and the next one's start
  // (the first one's: its creation) exceeds a few seconds.
  it('rolls every runtime with SIGTERM under a backlog: none aborted or run twice, none waits for the sweep', async () => {
    // 10 jobs per agent of 5 s each: a 50 s backlog, so that it outlasts the three rolls (each
    // starts a runtime and waits for the old one's running job; 11 s per roll on a loaded machine).
    const callMs = 5_000;
    const c = await start('roll', callMs, {
      WIZ_SHUTDOWN_GRACE_MS: '20000',
      WIZ_JOB_ACK_WAIT_MS: '120000',
      WIZ_STALLED_SWEEP_MS: '600000',
      // Most of the backlog waits in the store, not in the actors: both hand-back paths run.
      WIZ_AGENT_PREFETCH: '2',
    });
    await c.spawn('gateway');
    let runtimes: WizProcess[] = await Promise.all([c.spawn('runtime'), c.spawn('runtime'), c.spawn('runtime')]);
    const agents = await createAgents(c, 6, { loop: { planning: false } });
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) {
      const r = await c.api<Job>('POST', '/api/v1/jobs', { agentId: agents[i % agents.length], input: `slow ${i}` });
      expect(r.status).toBe(202);
      ids.push(r.body.id);
    }
    await until(async () => (await counts(c)).active >= 3, 20_000, 'slow jobs running');
    const rolled = Date.now();
    for (let i = 0; i < 3; i++) {
      const fresh = await c.spawn('runtime');
      const old = runtimes[0]!;
      const queued = (await counts(c)).queued;
      expect(queued).toBeGreaterThan(0); // the backlog outlasts the roll
      await old.stop('SIGTERM');
      runtimes = [...runtimes.slice(1), fresh];
      say(`rolled runtime ${i + 1}/3 at ${Date.now() - rolled} ms (${queued} jobs were queued)`);
    }
    await until(
      async () => (await counts(c)).completed === ids.length,
      120_000,
      'every slow job completed',
      async () => JSON.stringify(await counts(c)) + c.outputTail(),
    );
    say(`all ${ids.length} slow jobs completed ${Date.now() - rolled} ms after the roll began`);
    const jobs = await listJobs(c);
    expect(jobs.filter((j) => j.attempts !== 1 || j.attemptLog.length !== 1).map((j) => j.id)).toEqual([]);
    const gaps = idleGaps(jobs);
    const worst = gaps.reduce((a, b) => (b.ms > a.ms ? b : a));
    say(`longest wait of a queued job whose agent was free: ${worst.ms} ms (${worst.job})`);
    expect(gaps.filter((g) => g.ms > MAX_IDLE_GAP_MS)).toEqual([]);
    await expectEachCompletedOnce(c, nats, ids);
  }, 240_000);

  it('a runtime started while NATS is down waits, then becomes ready when NATS returns', async () => {
    const c = await start('natsdown', 10);
    for (let i = 0; i < 3; i++) await nats.stopNode(i, 'SIGTERM');
    const { proc } = await c.launch('runtime');
    try {
      await until(async () => /retry 2 in/.test(proc.output.join('')), 20_000, 'retries logged');
      for (let i = 0; i < 3; i++) nats.startNode(i);
      await proc.ready(60_000);
      expect((await http(proc.baseUrl, 'GET', '/readyz')).status).toBe(200);
    } finally {
      for (let i = 0; i < 3; i++) nats.startNode(i);
    }
  }, 90_000);
});

async function held(runtimes: WizProcess[]): Promise<number[]> {
  const ns = await Promise.all(
    runtimes.map(async (r) => {
      const res = await http(r.baseUrl, 'GET', '/readyz').catch(() => null);
      const detail = String(res?.body?.details?.leases?.detail ?? '');
      return Number(new RegExp(`holds (\\d+) of ${PARTITIONS}`).exec(detail)?.[1] ?? -1);
    }),
  );
  return ns.sort((a, b) => a - b);
}

/** A queued job may wait this long for its free agent (a lease moving, a held command's re-check). */
const MAX_IDLE_GAP_MS = 6_000;

/**
 * For each job, how long it waited while its agent ran nothing: from its creation or the end of
 * the agent's previous job (whichever is later) to its start.
 */
function idleGaps(jobs: Job[]): { job: string; ms: number }[] {
  const byAgent = new Map<string, Job[]>();
  for (const j of jobs) byAgent.set(j.agentId, [...(byAgent.get(j.agentId) ?? []), j]);
  return [...byAgent.values()].flatMap((list) => {
    const runs = list
      .map((j) => ({ j, start: Date.parse(j.attemptLog[0]!.startedAt), end: Date.parse(j.attemptLog[0]!.finishedAt!) }))
      .sort((a, b) => a.start - b.start);
    return runs.map((r, i) => ({
      job: `${r.j.id} (${r.j.input})`,
      ms: r.start - Math.max(Date.parse(r.j.createdAt), i ? runs[i - 1]!.end : 0),
    }));
  });
}

async function createAgents(c: WizCluster, n: number, extra: Record<string, unknown> = {}): Promise<string[]> {
  const created = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      c.api<{ id: string }>('POST', '/api/v1/agents', { name: `Agent ${i}`, role: 'worker', ...extra }),
    ),
  );
  expect(created.filter((r) => r.status !== 201).map((r) => r.body)).toEqual([]);
  return created.map((r) => r.body.id);
}

async function counts(c: WizCluster): Promise<JobCounts> {
  const r = await c.api<JobCounts>('GET', '/api/v1/jobs/counts');
  if (r.status !== 200) throw new Error(`counts: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

async function listJobs(c: WizCluster): Promise<Job[]> {
  const jobs: Job[] = [];
  for (;;) {
    const r = await c.api<PageOf<Job>>('GET', `/api/v1/jobs?limit=500&offset=${jobs.length}`);
    if (r.status !== 200) throw new Error(`list: ${r.status} ${JSON.stringify(r.body)}`);
    jobs.push(...r.body.items);
    if (!r.body.items.length || jobs.length >= r.body.total) return jobs;
  }
}

/** Every job completed in the store, and the events stream holds exactly one terminal event, a completion, for each. */
async function expectEachCompletedOnce(c: WizCluster, nats: NatsCluster, ids: string[]): Promise<void> {
  const jobs = await listJobs(c);
  expect(jobs.filter((j) => j.status !== 'completed').map((j) => `${j.id} ${j.status}`)).toEqual([]);
  let wrong: string[] = [];
  await until(
    async () => {
      if ((await c.outboxBacklog()) > 0) return false;
      const events = await readEventLog(c.eventsStream, c.allEvents, 20_000, nats.url);
      expect(duplicateIds(events)).toEqual([]);
      const byJob = eventsByJob(events);
      wrong = ids.flatMap((id) => {
        const ends = (byJob.get(id) ?? []).filter((e) => TERMINAL_EVENTS.has(e.type)).map((e) => e.type);
        return ends.length === 1 && ends[0] === 'job.completed' ? [] : [`${id}: ${ends.join(',') || 'none'}`];
      });
      return wrong.length === 0;
    },
    45_000,
    'one completion event per job',
    () => wrong.slice(0, 5).join('; '),
  );
}
