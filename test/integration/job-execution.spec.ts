import { In } from 'typeorm';
import { EventEnvelope } from '@wiz/contracts';
import { JobEntity, JobWaitsRepository } from '@wiz/persistence';
import { DelayedJobsWorker, JobExecutionService, JobsService } from '@wiz/queue';
import { isolation } from '../support/isolation';
import { insertAgent, openQueueStack, QueueStack, Store } from '../support/queue-stack';

// The runtime's side of the lifecycle, driven by hand against the real store and bus.
describe.each<[Store]>([['postgres'], ['sqlite']])(`${JobExecutionService.name} on %s`, (store) => {
  const iso = isolation(`exec${store}`);
  let stack: QueueStack;
  let jobs: JobsService;
  let sut: JobExecutionService;
  let agentId: string;

  beforeAll(async () => {
    stack = await openQueueStack(iso, store);
    jobs = stack.jobs;
    sut = new JobExecutionService(
      stack.agents,
      stack.jobRepo,
      stack.changes,
      stack.flow,
      new JobWaitsRepository(stack.ds),
      {
        maxLostRuns: 2,
        leaseMs: 60_000,
      },
    );
    agentId = (await insertAgent(stack.agents, 'o')).id;
  });

  afterAll(() => stack.close());

  const command = (jobId: string) => ({
    kind: 'job.run' as const,
    jobId,
    agentId,
    ownerId: 'o',
    traceId: 't',
    priority: 0,
  });
  /** The job's lifecycle events (`job.*`; the agent's `agent.status` is checked on its own). */
  const eventsOf = async (jobId: string): Promise<EventEnvelope[]> => {
    await stack.relay.drain();
    const out: EventEnvelope[] = [];
    const info = await stack.bus.jsm.streams.info(stack.bus.names.streams.events);
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const m = await stack.bus.jsm.streams.getMessage(stack.bus.names.streams.events, { seq }).catch(() => null);
      const e = m?.json<EventEnvelope>();
      if (e?.jobId === jobId) out.push(e);
    }
    return out.filter((e) => e.type.startsWith('job.'));
  };
  const statusesOf = async (jobId: string) => {
    await stack.relay.drain();
    const info = await stack.bus.jsm.streams.info(stack.bus.names.streams.events);
    const out: string[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const e = (
        await stack.bus.jsm.streams.getMessage(stack.bus.names.streams.events, { seq }).catch(() => null)
      )?.json<EventEnvelope>();
      if (e?.jobId === jobId && (e.type === 'agent.status' || e.type === 'job.active' || e.type === 'job.completed')) {
        out.push(e.type === 'agent.status' ? `agent ${(e.data as { status: string }).status}` : e.type);
      }
    }
    return out;
  };

  it("publishes the agent's status as its job starts and ends, in the same transactions", async () => {
    const job = await jobs.submit('o', { agentId, input: 'status' });
    const started = await sut.start(command(job.id));
    if (!started.run) throw new Error('did not start');
    expect((await stack.agents.findById('o', agentId))!.status).toBe('busy');
    await sut.complete(started.job, { text: 'ok', model: 'm', finishReason: 'stop', usage: {} });
    expect((await stack.agents.findById('o', agentId))!.status).toBe('active');
    expect(await statusesOf(job.id)).toEqual(['job.active', 'agent busy', 'job.completed', 'agent active']);
  });

  // Delegation: a running job parks on a child it creates in the same transaction.
  const parkOnChild = async (input: string, wakeAt: Date | null = null) => {
    const parent = await jobs.submit('o', { agentId, input });
    const started = await sut.start(command(parent.id));
    if (!started.run) throw new Error('did not start');
    const childAgent = await insertAgent(stack.agents, 'o');
    let childId = '';
    const parked = await sut.park(started.job, wakeAt, async (m, emit) => {
      childId = (
        await jobs.createIn(
          childAgent,
          { agentId: childAgent.id, input: `${input} child`, parentJobId: parent.id },
          't',
          m,
          emit,
        )
      ).id;
    });
    return { parent: started.job, childId, childAgent, parked };
  };
  const stored = (id: string) => stack.jobRepo.findById('o', id);

  it('parks a running job: waiting-children, its agent and lease freed, the attempt handed back', async () => {
    const { parent, childId, childAgent, parked } = await parkOnChild('park');
    expect(parked).toBe(true);
    expect(await stored(parent.id)).toMatchObject({ status: 'waiting-children', attempts: 0, leaseUntil: null });
    expect((await stack.agents.findById('o', agentId))!.runningJobId).toBeNull();
    // The child completes: the parent is queued again with a new command, and resumes as attempt 1.
    const child = await sut.start({ ...command(childId), agentId: childAgent.id });
    if (!child.run) throw new Error('child did not start');
    expect(await sut.complete(child.job, { text: 'child done', model: 'm', finishReason: 'stop', usage: {} })).toBe(
      true,
    );
    expect(await stored(parent.id)).toMatchObject({ status: 'queued', runAt: null });
    const resumed = await sut.start(command(parent.id));
    if (!resumed.run) throw new Error('parent did not resume');
    expect(resumed.job.attempts).toBe(1);
    expect(resumed.job.attemptLog.map((a) => a.error)).toEqual(['parked: waiting for child jobs', null]);
    const types = (await eventsOf(parent.id)).map((e) => e.type);
    expect(types).toEqual(['job.created', 'job.active', 'job.waiting-children', 'job.queued', 'job.active']);
    await sut.complete(resumed.job, { text: 'ok', model: 'm', finishReason: 'stop', usage: {} });
  });

  it('writes nothing when the job moved before it could park', async () => {
    const parent = await jobs.submit('o', { agentId, input: 'park fenced' });
    const started = await sut.start(command(parent.id));
    if (!started.run) throw new Error('did not start');
    await jobs.cancel('o', parent.id);
    let created = false;
    const parked = await sut.park(started.job, null, async (m, emit) => {
      const other = await insertAgent(stack.agents, 'o');
      await jobs.createIn(other, { agentId: other.id, input: 'orphan?' }, 't', m, emit);
      created = true;
    });
    expect(created).toBe(true);
    expect(parked).toBe(false);
    expect((await stored(parent.id))!.status).toBe('cancelled');
    expect(await stack.ds.getRepository(JobEntity).findOneBy({ input: 'orphan?' })).toBeNull();
  });

  it('wakes a parked job at its wake-up time even while its child runs', async () => {
    const { parent, childId } = await parkOnChild('park deadline', new Date(Date.now() + 50));
    const delayed = new DelayedJobsWorker(stack.jobRepo, stack.flow, stack.changes);
    expect(await delayed.tick(new Date(Date.now() + 1_000))).toBeGreaterThanOrEqual(1);
    expect(await stored(parent.id)).toMatchObject({ status: 'queued', runAt: null });
    expect((await stored(childId))!.status).toBe('queued');
    await jobs.cancel('o', childId);
    await jobs.cancel('o', parent.id);
  });

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

  // What a runtime that died mid-job leaves behind: its job `active` with a lapsed lease.
  const lapse = (jobId: string) =>
    stack.ds.getRepository(JobEntity).update({ id: jobId }, { leaseUntil: new Date(Date.now() - 1) });

  it('keeps a copy of a running job waiting while its lease holds', async () => {
    const job = await jobs.submit('o', { agentId, input: 'leased' });
    const started = await sut.start(command(job.id));
    if (!started.run) throw new Error('did not start');
    expect(started.job.leaseUntil!.getTime()).toBeGreaterThan(Date.now() + 50_000);
    expect(await sut.start(command(job.id))).toEqual({ run: false, hold: 'busy', holder: null });
    await sut.renewLeases([job.id]);
    expect(await sut.complete(started.job, { text: 'ok', model: 'm', finishReason: 'stop', usage: {} })).toBe(true);
  });

  it('renews running leases; on Postgres it skips a row another transaction holds instead of waiting', async () => {
    const other = (await insertAgent(stack.agents, 'o')).id;
    const a = await jobs.submit('o', { agentId, input: 'renew a' });
    const b = await jobs.submit('o', { agentId: other, input: 'renew b' });
    const sa = await sut.start(command(a.id));
    const sb = await sut.start({ ...command(b.id), agentId: other });
    if (!sa.run || !sb.run) throw new Error('did not start');
    const soon = new Date(Date.now() + 1_000);
    await stack.ds.getRepository(JobEntity).update({ id: In([a.id, b.id]) }, { leaseUntil: soon });
    const leaseOf = async (id: string) =>
      (await stack.ds.getRepository(JobEntity).findOneByOrFail({ id })).leaseUntil!.getTime();
    if (store === 'postgres') {
      // Job a's row is held (as a completion's transaction holds it): the renewal must not wait
      // for it, or this transaction, which ends only after the renewal, would never end.
      await stack.ds.transaction(async (m) => {
        await m.getRepository(JobEntity).findOne({ where: { id: a.id }, lock: { mode: 'pessimistic_write' } });
        await sut.renewLeases([a.id, b.id]);
      });
      expect(await leaseOf(a.id)).toBe(soon.getTime());
    } else {
      await sut.renewLeases([a.id, b.id]);
      expect(await leaseOf(a.id)).toBeGreaterThan(Date.now() + 50_000);
    }
    expect(await leaseOf(b.id)).toBeGreaterThan(Date.now() + 50_000);
    await sut.renewLeases([a.id]);
    expect(await leaseOf(a.id)).toBeGreaterThan(Date.now() + 50_000);
    await sut.complete(sa.job, { text: 'ok', model: 'm', finishReason: 'stop', usage: {} });
    await sut.complete(sb.job, { text: 'ok', model: 'm', finishReason: 'stop', usage: {} });
  });

  it('queues a job again, with a new command, when its runtime died mid-run', async () => {
    const job = await jobs.submit('o', { agentId, input: 'lost once' });
    expect((await sut.start(command(job.id))).run).toBe(true);
    await lapse(job.id);
    expect(await sut.start(command(job.id))).toEqual({ run: false, reason: 'recovered from a lost run' });
    expect(await jobs.get('o', job.id)).toMatchObject({ status: 'queued', attempts: 1 });
    const types = (await eventsOf(job.id)).map((e) => [e.type, (e.data as { from?: string }).from]);
    expect(types).toEqual([
      ['job.created', undefined],
      ['job.active', undefined],
      ['job.queued', 'active'],
    ]);
    // The agent was freed: the job runs again, as its second attempt.
    const again = await sut.start(command(job.id));
    if (!again.run) throw new Error(`did not start again: ${JSON.stringify(again)}`);
    expect(again.job.attempts).toBe(2);
    await sut.complete(again.job, { text: 'ok', model: 'm', finishReason: 'stop', usage: {} });
  });

  it('leaves the agent to the winner when two copies of one command start at once', async () => {
    const job = await jobs.submit('o', { agentId, input: 'twice' });
    // Both read the job as queued; the second claims the agent it already holds, then loses the
    // compare-and-set, and must not free the agent under the running job.
    const outcomes = await Promise.all([sut.start(command(job.id)), sut.start(command(job.id))]);
    expect(outcomes.map((o) => o.run).sort()).toEqual([false, true]);
    expect(outcomes.find((o) => !o.run)).toEqual({ run: false, reason: 'moved by another worker' });
    expect((await stack.agents.findById('o', agentId))!.runningJobId).toBe(job.id);
    const winner = outcomes.find((o) => o.run)!;
    if (!winner.run) throw new Error('unreachable');
    await sut.complete(winner.job, { text: 'ok', model: 'm', finishReason: 'stop', usage: {} });
  });

  it('gives a job up after it lost the allowed number of runs to dead runtimes', async () => {
    const job = await jobs.submit('o', { agentId, input: 'z' });
    for (let lost = 0; lost < 2; lost++) {
      expect((await sut.start(command(job.id))).run).toBe(true);
      await lapse(job.id);
      expect((await sut.start(command(job.id))).run).toBe(false);
    }
    const stored = await jobs.get('o', job.id);
    expect(stored).toMatchObject({
      status: 'failed',
      failureReason: 'runtime lost the job 2 times mid-run (crash or kill); giving up',
    });
    expect(stored.attemptLog.map((a) => a.error)).toEqual([
      expect.stringMatching(/runtime stopped/),
      expect.stringMatching(/runtime stopped/),
    ]);
    // The agent is free for its next job.
    const next = await jobs.submit('o', { agentId, input: 'next' });
    expect((await sut.start(command(next.id))).run).toBe(true);
  });
});
