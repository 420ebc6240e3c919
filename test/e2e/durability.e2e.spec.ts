import type { Job, JobCounts, PageOf } from '@wiz/contracts';
import type { FakeLlmRule } from '../../apps/fake-llm/src/rules';
import { BuildSnapshot, snapshotBuild } from '../support/built-app';
import type { WizProcess } from '../support/wiz-process';
import { duplicateIds, eventsByJob, readEventLog, StoredEvent, TERMINAL_EVENTS } from '../support/event-log';
import { PrivateNats } from '../support/private-nats';
import { PrivatePostgres } from '../support/private-postgres';
import { SeededRandom, testSeed } from '../support/seeded-random';
import { sleep, until } from '../support/until';
import { WizCluster } from '../support/wiz-cluster';

// docs/architecture.md, invariants 1 (nothing is lost) and 2 (one job per agent at a time, cluster-wide),
// proved against real processes: a gateway and runtimes from the build (`npm run build` first),
// real NATS and Postgres, and the scripted model. The cases that stop NATS or restart Postgres
// do it to a private nats-server / PostgreSQL cluster they start on loopback with their own
// storage (test/support/private-*.ts), never to the machine's shared services; the other cases use
// the machine's. Random choices come from one seed, printed at the start; WIZ_TEST_SEED=<seed>
// replays a run.
const seed = testSeed();
const say = (msg: string) => process.stdout.write(`[durability seed=${seed}] ${msg}\n`);

// The model answers `... [delay 60ms]` after 60 ms: a job's input picks its model latency.
const DELAYS_MS = [20, 40, 60, 80, 100, 120, 140, 160, 180, 200];
const delayRules = (): FakeLlmRule[] =>
  DELAYS_MS.map((d) => ({
    match: { lastUserContains: `[delay ${d}ms]` },
    reply: { content: `done after ${d} ms`, delayMs: d },
  }));
// The reason a job fails with once dead runtimes lost it too many times (WIZ_JOB_MAX_DELIVER).
const OUT_OF_DELIVERIES = /(delivered|lost the job) \d+ times/;

describe('durability (crashes, NATS and Postgres restarts, replicas)', () => {
  let build: BuildSnapshot;
  let cluster: WizCluster | undefined;
  // The private servers of the case running, disposed after its cluster.
  let nats: PrivateNats | undefined;
  let postgres: PrivatePostgres | undefined;

  beforeAll(async () => {
    say('starting; set WIZ_TEST_SEED to replay this run');
    build = await snapshotBuild();
  }, 90_000);

  afterAll(() => build?.remove());

  afterEach(async () => {
    const [c, n, p] = [cluster, nats, postgres];
    [cluster, nats, postgres] = [undefined, undefined, undefined];
    try {
      // Whatever happened, the private NATS must be up again before the cluster's streams are cleaned.
      if (n && !n.running) {
        n.start();
        await n.waitReady();
      }
      await c?.dispose();
    } finally {
      await Promise.all([n?.dispose(), p?.dispose()]);
    }
  });

  it('loses nothing and completes each job once while a runtime is SIGKILLed at random moments', async () => {
    const rng = new SeededRandom(seed);
    const c = (cluster = await WizCluster.start(build, 'crash', delayRules()));
    await c.spawn('gateway');
    const runtimes: Array<{ proc: WizProcess; ready: Promise<void> }> = await Promise.all([
      c.launch('runtime'),
      c.launch('runtime'),
    ]);
    await Promise.all(runtimes.map((r) => r.ready));
    const agents = await createAgents(c, 20);
    const plan = Array.from({ length: 200 }, (_, i) => ({
      agentId: agents[i % agents.length]!,
      input: `crash job ${i} [delay ${DELAYS_MS[rng.int(0, DELAYS_MS.length - 1)]}ms]`,
    }));
    const kills = Array.from({ length: rng.int(4, 6) }, () => ({
      afterMs: rng.int(300, 1_500),
      victim: rng.int(0, 1),
    }));
    say(
      `crash: ${kills.length} kills planned: ${kills.map((k) => `runtime ${k.victim} after ${k.afterMs} ms`).join(', ')}`,
    );

    const started = Date.now();
    const accepted: string[] = [];
    // Jobs arrive over ~6 s (20 rounds of 10) so that they flow through the kills.
    const submitting = (async () => {
      for (let i = 0; i < plan.length; i += 10) {
        for (const r of await Promise.all(
          plan.slice(i, i + 10).map((body) => c.api<Job>('POST', '/api/v1/jobs', body)),
        )) {
          if (r.status !== 202) throw new Error(`submission refused: ${r.status} ${JSON.stringify(r.body)}`);
          accepted.push(r.body.id);
        }
        await sleep(300);
      }
    })();
    // Kill moments count from the previous kill, not from the replacement's readiness, so that
    // they fall while jobs flow; a victim still starting up is killed once it is up.
    const killing = (async () => {
      for (const [n, k] of kills.entries()) {
        await sleep(k.afterMs);
        const victim = runtimes[k.victim]!;
        await victim.ready;
        const now = await counts(c);
        await victim.proc.stop('SIGKILL');
        say(
          `crash: kill #${n + 1} of runtime ${k.victim} (pid ${victim.proc.pid}) at ${Date.now() - started} ms: ` +
            `${accepted.length} submitted, ${now.active} active, ${terminal(now)} terminal just before`,
        );
        runtimes[k.victim] = await c.launch('runtime');
      }
      await Promise.all(runtimes.map((r) => r.ready));
    })();
    const failures = (await Promise.allSettled([submitting, killing])).filter((r) => r.status === 'rejected');
    if (failures.length) throw (failures[0] as PromiseRejectedResult).reason;
    say(`crash: all submitted and all kills done at ${Date.now() - started} ms; both runtimes alive`);

    await until(
      async () => terminal(await counts(c)) === plan.length,
      90_000,
      `all ${plan.length} jobs terminal`,
      async () => `counts: ${JSON.stringify(await counts(c))}\n${c.outputTail()}`,
    );
    say(`crash: all ${plan.length} jobs terminal at ${Date.now() - started} ms`);

    // The store: every accepted job, each in one terminal state, completed unless it ran out of deliveries.
    const jobs = await listJobs(c);
    expect(jobs.map((j) => j.id).sort()).toEqual([...accepted].sort());
    const failedOutOfDeliveries = jobs.filter(
      (j) => j.status === 'failed' && OUT_OF_DELIVERIES.test(j.failureReason ?? ''),
    );
    expect(jobs.filter((j) => j.status !== 'completed' && !failedOutOfDeliveries.includes(j)).map(show)).toEqual([]);
    expect(jobs.filter((j) => j.attempts < 1).map(show)).toEqual([]);

    // The bus: once every committed message is published, one terminal event per job, matching the store.
    const events = await settledEvents(c, accepted);
    expect(duplicateIds(events)).toEqual([]);
    const byJob = eventsByJob(events);
    const disagreements = jobs.flatMap((j) => {
      const ends = (byJob.get(j.id) ?? []).filter((e) => TERMINAL_EVENTS.has(e.type));
      const completions = ends.filter((e) => e.type === 'job.completed');
      const want = j.status === 'completed' ? 1 : 0;
      if (ends.length !== 1 || completions.length !== want)
        return [`${j.id} (${j.status}): terminal events ${ends.map((e) => e.type).join(',') || 'none'}`];
      // The completion record names the attempt the store kept.
      if (want && completions[0]!.data['attempt'] !== j.attempts)
        return [`${j.id}: job.completed says attempt ${String(completions[0]!.data['attempt'])}, store ${j.attempts}`];
      return [];
    });
    expect(disagreements).toEqual([]);

    const retried = jobs.filter((j) => j.attempts > 1);
    say(
      `crash: ${jobs.length} jobs, ${jobs.filter((j) => j.status === 'completed').length} completed, ` +
        `${retried.length} needed more than one attempt (max ${Math.max(...jobs.map((j) => j.attempts))}), ` +
        `${failedOutOfDeliveries.length} failed out of deliveries; ${events.length} events; ${Date.now() - started} ms`,
    );
  }, 180_000);

  it('loses nothing when NATS is stopped and started again while jobs flow', async () => {
    const n = (nats = await PrivateNats.start('natsdown'));
    const c = (cluster = await WizCluster.start(build, 'natsdown', [{ reply: { content: 'done', delayMs: 250 } }], {
      NATS_URL: n.url,
    }));
    await c.spawn('gateway');
    await c.spawn('runtime');
    const agents = await createAgents(c, 5);
    const { accepted, refused, submit } = submissions(c, agents);

    const before = await Promise.all(Array.from({ length: 50 }, (_, i) => submit(`before ${i}`, i)));
    expect(before.filter((s) => s !== 202)).toEqual([]);
    await until(async () => (await counts(c)).completed >= 5, 30_000, 'a few jobs completed before NATS stops');

    const started = Date.now();
    let stoppedPid: number | undefined;
    let whileDown: number[] = [];
    try {
      stoppedPid = await n.stop('SIGTERM');
      const done = (await counts(c)).completed;
      say(`nats: stopped nats-server pid ${stoppedPid} with ${done}/50 jobs completed`);
      // The store is the truth: the gateway may take jobs while the bus is away.
      whileDown = await Promise.all(Array.from({ length: 10 }, (_, i) => submit(`while down ${i}`, i)));
      say(`nats: submissions while down answered ${whileDown.join(',')}`);
      // Keep NATS down ~2 s in all (the one fixed wait of this test: the outage itself).
      await sleep(Math.max(0, 2_000 - (Date.now() - started)));
    } finally {
      n.start();
      await n.waitReady();
      say(`nats: started again after ${Date.now() - started} ms down (pid ${n.pid})`);
    }
    expect(stoppedPid).toBeDefined();
    const after = await Promise.all(Array.from({ length: 5 }, (_, i) => submit(`after ${i}`, i)));
    expect(after.filter((s) => s !== 202)).toEqual([]);

    const ids = [...accepted.values()];
    await until(
      async () => (await counts(c)).completed === ids.length,
      60_000,
      `all ${ids.length} accepted jobs completed`,
      async () => `counts: ${JSON.stringify(await counts(c))}\n${c.outputTail()}`,
    );
    say(
      `nats: all ${ids.length} accepted jobs completed ${Date.now() - started} ms after the stop; ${refused.length} refused`,
    );

    // Nothing refused exists, nothing accepted is missing, and everything accepted completed.
    const { jobs, events } = await expectEachAcceptedCompletedOnce(c, accepted);
    say(
      `nats: ${jobs.filter((j) => j.attempts > 1).length} jobs needed more than one attempt; ${events.length} events; ${Date.now() - started} ms`,
    );
  }, 150_000);

  it('loses nothing when Postgres is restarted while jobs flow', async () => {
    const pg = (postgres = await PrivatePostgres.start());
    const c = (cluster = await WizCluster.start(build, 'pgdown', [{ reply: { content: 'done', delayMs: 200 } }], {
      DATABASE_URL: pg.url,
    }));
    await c.spawn('gateway');
    await c.spawn('runtime');
    const agents = await createAgents(c, 5);
    const { accepted, refused, submit } = submissions(c, agents);
    expect(
      (await Promise.all(Array.from({ length: 40 }, (_, i) => submit(`before ${i}`, i)))).filter((s) => s !== 202),
    ).toEqual([]);
    await until(async () => (await counts(c)).completed >= 5, 30_000, 'a few jobs completed before the restart');

    const started = Date.now();
    // Submissions race the restart: each is either accepted (and must complete) or refused (and must not exist).
    const during = Promise.all(
      Array.from({ length: 10 }, (_, i) => sleep(i * 100).then(() => submit(`during ${i}`, i))),
    );
    await pg.restart();
    const duringStatus = await during;
    say(`postgres: restarted in ${Date.now() - started} ms; submissions meanwhile answered ${duringStatus.join(',')}`);
    if (duringStatus.some((s) => s !== 202 && s !== 503))
      throw new Error(`a submission racing the restart was neither accepted nor refused with 503:
${refused.join('\n')}
${c.outputTail()}`);
    expect(
      (await Promise.all(Array.from({ length: 5 }, (_, i) => submit(`after ${i}`, i)))).filter((s) => s !== 202),
    ).toEqual([]);

    const ids = [...accepted.values()];
    await until(
      async () => (await counts(c).catch(() => ({ completed: -1 }))).completed === ids.length,
      90_000,
      `all ${ids.length} accepted jobs completed`,
      async () => `counts: ${JSON.stringify(await counts(c).catch((e: unknown) => String(e)))}\n${c.outputTail()}`,
    );
    const { jobs } = await expectEachAcceptedCompletedOnce(c, accepted);
    say(
      `postgres: all ${ids.length} accepted jobs completed, ${refused.length} refused, ${jobs.filter((j) => j.attempts > 1).length} ran twice; ${Date.now() - started} ms`,
    );
  }, 150_000);

  it('never runs two jobs of one agent at once across two runtimes (checked from the events)', async () => {
    const c = (cluster = await WizCluster.start(build, 'oneagent', [{ reply: { content: 'done', delayMs: 50 } }]));
    await c.spawn('gateway');
    await Promise.all([c.spawn('runtime'), c.spawn('runtime')]);
    const [agentId] = await createAgents(c, 1);
    const started = Date.now();
    const submitted = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        c.api<Job>('POST', '/api/v1/jobs', { agentId, input: `one agent job ${i}` }),
      ),
    );
    expect(submitted.filter((r) => r.status !== 202).map((r) => r.body)).toEqual([]);
    const ids = submitted.map((r) => r.body.id);

    await until(
      async () => terminal(await counts(c, agentId)) === ids.length,
      60_000,
      'all 30 jobs terminal',
      async () => `counts: ${JSON.stringify(await counts(c, agentId))}\n${c.outputTail()}`,
    );
    say(`one agent: 30 jobs terminal after ${Date.now() - started} ms`);
    expect(await counts(c, agentId)).toMatchObject({ completed: 30 });

    const events = await settledEvents(c, ids, c.agentEvents(agentId!));
    say(`one agent: events settled after ${Date.now() - started} ms`);
    expect(duplicateIds(events)).toEqual([]);
    expect(
      events
        .filter((e) => e.type === 'job.completed')
        .map((e) => e.jobId)
        .sort(),
    ).toEqual([...ids].sort());

    // In stream order: from a job's `job.active` to the event that frees the agent, no other job starts.
    const overlaps: string[] = [];
    const at = (e: StoredEvent | undefined) => (e ? `${e.type} seq ${e.seq} at ${e.occurredAt}` : 'no end');
    const endOf = (jobId: string) => events.find((e) => e.jobId === jobId && TERMINAL_EVENTS.has(e.type));
    let running: StoredEvent | undefined;
    for (const e of events) {
      if (e.type === 'job.active') {
        if (running && running.jobId !== e.jobId) {
          overlaps.push(
            `${e.jobId} ${at(e)} while ${running.jobId} ${at(running)} has not ended (${at(endOf(running.jobId!))})`,
          );
        }
        running = e;
      } else if (
        running?.jobId === e.jobId &&
        (TERMINAL_EVENTS.has(e.type) || e.type === 'job.retrying' || e.type === 'job.waiting-children')
      ) {
        running = undefined;
      }
    }
    expect(overlaps).toEqual([]);
    say(`one agent: ${events.length} events in stream order checked`);
  }, 90_000);
});

/** Submits jobs round-robin over `agents`, remembering which were accepted (2xx) and which not. */
function submissions(c: WizCluster, agents: readonly string[]) {
  const accepted = new Map<string, string>(); // input → job id
  const refused: string[] = [];
  const submit = async (input: string, i: number) => {
    const r = await c
      .api<Job>('POST', '/api/v1/jobs', { agentId: agents[i % agents.length], input })
      .catch((e: unknown) => ({ status: 0, body: String(e) }));
    if (r.status >= 200 && r.status < 300) accepted.set(input, (r.body as Job).id);
    else refused.push(`${input}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.status;
  };
  return { accepted, refused, submit };
}

/** Nothing refused exists, nothing accepted is missing, and each accepted job completed with exactly one terminal event. */
async function expectEachAcceptedCompletedOnce(
  c: WizCluster,
  accepted: Map<string, string>,
): Promise<{ jobs: Job[]; events: StoredEvent[] }> {
  const ids = [...accepted.values()];
  const jobs = await listJobs(c);
  expect(jobs.map((j) => j.input).sort()).toEqual([...accepted.keys()].sort());
  expect(jobs.filter((j) => j.status !== 'completed').map(show)).toEqual([]);
  const events = await settledEvents(c, ids);
  expect(duplicateIds(events)).toEqual([]);
  const byJob = eventsByJob(events);
  const wrong = ids.flatMap((id) => {
    const ends = (byJob.get(id) ?? []).filter((e) => TERMINAL_EVENTS.has(e.type)).map((e) => e.type);
    return ends.length === 1 && ends[0] === 'job.completed' ? [] : [`${id}: ${ends.join(',') || 'no terminal event'}`];
  });
  expect(wrong).toEqual([]);
  return { jobs, events };
}

async function createAgents(c: WizCluster, n: number): Promise<string[]> {
  const created = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      c.api<{ id: string }>('POST', '/api/v1/agents', { name: `Agent ${i}`, role: 'worker' }),
    ),
  );
  expect(created.filter((r) => r.status !== 201).map((r) => r.body)).toEqual([]);
  return created.map((r) => r.body.id);
}

async function counts(c: WizCluster, agentId?: string): Promise<JobCounts> {
  const r = await c.api<JobCounts>('GET', `/api/v1/jobs/counts${agentId ? `?agentId=${agentId}` : ''}`);
  if (r.status !== 200) throw new Error(`counts: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

const terminal = (n: JobCounts) => n.completed + n.failed + n.cancelled;

async function listJobs(c: WizCluster): Promise<Job[]> {
  const jobs: Job[] = [];
  for (;;) {
    const r = await c.api<PageOf<Job>>('GET', `/api/v1/jobs?limit=500&offset=${jobs.length}`);
    if (r.status !== 200) throw new Error(`list: ${r.status} ${JSON.stringify(r.body)}`);
    jobs.push(...r.body.items);
    if (!r.body.items.length || jobs.length >= r.body.total) return jobs;
  }
}

const show = (j: Job) => `${j.id} ${j.status} attempts=${j.attempts}${j.failureReason ? `: ${j.failureReason}` : ''}`;

/**
 * The events stream once the store and the bus agree: every committed message published (the
 * outbox is empty; a dead process's rows are swept after their 15 s claim) and every job's
 * terminal event stored. Only then are counts on the stream final.
 */
async function settledEvents(c: WizCluster, jobIds: readonly string[], filter = c.allEvents): Promise<StoredEvent[]> {
  let events: StoredEvent[] = [];
  let missing: string[] = [];
  let backlog = -1;
  await until(
    async () => {
      backlog = await c.outboxBacklog();
      if (backlog > 0) return false;
      events = await readEventLog(c.eventsStream, filter, 20_000, c.natsUrl);
      const byJob = eventsByJob(events);
      missing = jobIds.filter((id) => !byJob.get(id)?.some((e) => TERMINAL_EVENTS.has(e.type)));
      return missing.length === 0;
    },
    45_000,
    'outbox drained and a terminal event on the stream for every job',
    () =>
      `outbox rows: ${backlog}; jobs without a terminal event: ${missing.length} (${missing.slice(0, 5).join(', ')})`,
  );
  return events;
}
