import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, NatsConnection } from 'nats';
import { DataSource } from 'typeorm';
import { busNames, EventEnvelope } from '@wiz/contracts';
import { BusService, provision } from '@wiz/bus';
import { AgentEntity, AgentsRepository, JobsRepository, OutboxRepository, openStore } from '@wiz/persistence';
import { JobExecution, JobFlow, JobsService, OutboxRelay, StateChanges } from '@wiz/queue';
import { cleanup, isolation, TEST_NATS_URL, TEST_PG_URL } from '../support/isolation';

// The runtime's side of the lifecycle, driven by hand against the real store and bus.
describe.each([['postgres'], ['sqlite']])(`${JobExecution.name} on %s`, (store) => {
  const iso = isolation(`exec${store}`);
  const dir = mkdtempSync(join(tmpdir(), 'wiz-exec-'));
  let nc: NatsConnection;
  let ds: DataSource;
  let bus: BusService;
  let relay: OutboxRelay;
  let jobs: JobsService;
  let sut: JobExecution;
  let agentId: string;

  beforeAll(async () => {
    nc = await connect({ servers: TEST_NATS_URL });
    const names = busNames(iso.prefix);
    const jsm = await nc.jetstreamManager();
    await provision(jsm, names, { partitions: 1, ackWaitMs: 30_000, maxDeliver: 2, maxAckPending: 10, eventsMaxAgeMs: 3_600_000 });
    bus = new BusService(nc, jsm, names);
    ds = await openStore({ databaseUrl: store === 'postgres' ? TEST_PG_URL : '', schema: iso.schema, dataDir: dir });
    const outbox = new OutboxRepository(ds);
    relay = new OutboxRelay(bus, outbox);
    const changes = new StateChanges(ds, outbox, relay, bus);
    const agents = new AgentsRepository(ds);
    const jobRepo = new JobsRepository(ds);
    const flow = new JobFlow(jobRepo, agents, bus);
    jobs = new JobsService(agents, jobRepo, changes, flow, bus);
    sut = new JobExecution(agents, jobRepo, changes, flow, 2);
    agentId = crypto.randomUUID();
    const now = new Date();
    await agents.insert(
      Object.assign(new AgentEntity(), {
        id: agentId, ownerId: 'o', name: 'A', role: 'r', backstory: null, goal: null, systemPrompt: null, model: {},
        status: 'active', paused: false, runningJobId: null, partition: 0, createdAt: now, updatedAt: now, deletedAt: null,
      } satisfies AgentEntity),
    );
  });

  afterAll(async () => {
    await relay.drain();
    await ds.destroy();
    await nc.close();
    await cleanup(iso);
    rmSync(dir, { recursive: true, force: true });
  });

  const command = (jobId: string) => ({ kind: 'job.run' as const, jobId, agentId, ownerId: 'o', traceId: 't', priority: 0 });
  const eventsOf = async (jobId: string): Promise<EventEnvelope[]> => {
    await relay.drain();
    const out: EventEnvelope[] = [];
    const info = await bus.jsm.streams.info(bus.names.streams.events);
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const m = await bus.jsm.streams.getMessage(bus.names.streams.events, { seq }).catch(() => null);
      const e = m?.json<EventEnvelope>();
      if (e?.jobId === jobId) out.push(e);
    }
    return out;
  };

  it('reports progress of a running job without fencing its runner', async () => {
    const job = await jobs.submit('o', { agentId, input: 'x' });
    const started = await sut.start(command(job.id));
    if (!started.run) throw new Error(`did not start: ${JSON.stringify(started)}`);
    await sut.progress(started.job, 40);
    await sut.progress(started.job, 140);
    expect(await sut.complete(started.job, { text: 'ok', model: 'm', finishReason: 'stop', usage: {} })).toBe(true);
    const types = (await eventsOf(job.id)).map((e) => [e.type, (e.data as { progress?: number }).progress]);
    expect(types).toEqual([
      ['job.created', undefined],
      ['job.active', undefined],
      ['job.progress', 40],
      ['job.progress', 100],
      ['job.completed', undefined],
    ]);
  });

  it('ignores progress of a job that is not running', async () => {
    const job = await jobs.submit('o', { agentId, input: 'y' });
    const started = await sut.start(command(job.id));
    if (!started.run) throw new Error('did not start');
    await sut.complete(started.job, { text: 'ok', model: 'm', finishReason: 'stop', usage: {} });
    await sut.progress(started.job, 50);
    expect((await eventsOf(job.id)).filter((e) => e.type === 'job.progress')).toEqual([]);
  });

  it('gives a job up after it lost the allowed number of runs to dead runtimes', async () => {
    const job = await jobs.submit('o', { agentId, input: 'z' });
    // Two starts without an end: each start after the first finds the job `active` (its runtime died).
    expect((await sut.start(command(job.id))).run).toBe(true);
    expect((await sut.start(command(job.id))).run).toBe(true);
    expect(await sut.start(command(job.id))).toEqual({ run: false, reason: 'too many lost runs' });
    const stored = await jobs.get('o', job.id);
    expect(stored).toMatchObject({ status: 'failed', failureReason: 'runtime lost the job 2 times mid-run (crash or kill); giving up' });
    expect(stored.attemptLog.map((a) => a.error)).toEqual([expect.stringMatching(/runtime stopped/), expect.stringMatching(/runtime stopped/)]);
    // The agent is free for its next job.
    const next = await jobs.submit('o', { agentId, input: 'next' });
    expect((await sut.start(command(next.id))).run).toBe(true);
  });
});
