import { MailboxCommand } from '@wiz/contracts';
import { JobEntity, JobWaitsRepository } from '@wiz/persistence';
import { JobExecutionService, StalledJobsWorker } from '@wiz/queue';
import { isolation } from '../support/isolation';
import { insertAgent, openQueueStack, QueueStack, Store } from '../support/queue-stack';

// The safety net: jobs whose runtime died, and queued jobs whose mailbox command is gone.
describe.each<[Store]>([['postgres'], ['sqlite']])(`${StalledJobsWorker.name} on %s`, (store) => {
  const iso = isolation(`stall${store}`);
  const policy = { maxLostRuns: 3, leaseMs: 60_000 };
  let stack: QueueStack;
  let execution: JobExecutionService;
  let sut: StalledJobsWorker;

  beforeAll(async () => {
    stack = await openQueueStack(iso, store);
    execution = new JobExecutionService(
      stack.agents,
      stack.jobRepo,
      stack.changes,
      stack.flow,
      new JobWaitsRepository(stack.ds),
      policy,
    );
    sut = new StalledJobsWorker(stack.jobRepo, execution, policy);
  });

  afterAll(() => stack.close());

  const commandsFor = async (jobId: string): Promise<MailboxCommand[]> => {
    await stack.relay.drain();
    const stream = stack.bus.names.streams.mailbox;
    const info = await stack.bus.jsm.streams.info(stream);
    const out: MailboxCommand[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const c = (await stack.bus.jsm.streams.getMessage(stream, { seq }).catch(() => null))?.json<MailboxCommand>();
      if (c?.jobId === jobId) out.push(c);
    }
    return out;
  };

  it('queues again an active job whose lease lapsed, and frees its agent', async () => {
    const agent = await insertAgent(stack.agents, 'o');
    const job = await stack.jobs.submit('o', { agentId: agent.id, input: 'x' });
    const cmd = { kind: 'job.run' as const, jobId: job.id, agentId: agent.id, ownerId: 'o', traceId: 't', priority: 0 };
    expect((await execution.start(cmd)).run).toBe(true);
    expect(await sut.tick(new Date())).toEqual({ recovered: 0, woken: 0 });
    // Its runtime died: the lease is not renewed and lapses.
    await stack.ds.getRepository(JobEntity).update({ id: job.id }, { leaseUntil: new Date(Date.now() - 1) });
    expect(await sut.tick(new Date())).toEqual({ recovered: 1, woken: 0 });
    expect(await stack.jobs.get('o', job.id)).toMatchObject({ status: 'queued' });
    expect((await stack.agents.findById('o', agent.id))!.runningJobId).toBeNull();
    expect(await commandsFor(job.id)).toHaveLength(2); // the first enqueue and the recovery's
    const again = await execution.start(cmd);
    if (!again.run) throw new Error('did not run again');
    expect(await execution.complete(again.job, { text: 'ok', model: 'm', finishReason: 'stop', usage: {} })).toBe(true);
  });

  it("resends one command, marked backlog, for an idle agent's queued jobs that sat untouched", async () => {
    const agent = await insertAgent(stack.agents, 'o');
    const paused = await insertAgent(stack.agents, 'o', { paused: true });
    const first = await stack.jobs.submit('o', { agentId: agent.id, input: 'first', priority: 1 });
    const second = await stack.jobs.submit('o', { agentId: agent.id, input: 'second' });
    const held = await stack.jobs.submit('o', { agentId: paused.id, input: 'held' });
    expect(await sut.tick(new Date())).toEqual({ recovered: 0, woken: 0 });
    const later = new Date(Date.now() + policy.leaseMs + 1_000);
    expect(await sut.tick(later)).toEqual({ recovered: 0, woken: 1 });
    expect(await commandsFor(first.id)).toEqual([
      expect.not.objectContaining({ backlog: true }),
      expect.objectContaining({ jobId: first.id, backlog: true }),
    ]);
    expect(await commandsFor(second.id)).toHaveLength(1);
    expect(await commandsFor(held.id)).toHaveLength(1); // a paused agent's jobs wait by design
    // Touched: not resent again within the next lease period.
    expect(await sut.tick(new Date(later.getTime() + 1_000))).toEqual({ recovered: 0, woken: 0 });
    const stored = await stack.ds.getRepository(JobEntity).findOneByOrFail({ id: first.id });
    expect(stored.updatedAt.getTime()).toBe(later.getTime());
  });
});
