import { EventEnvelope } from '@wiz/contracts';
import { JobExecution, JobsService } from '@wiz/queue';
import { isolation } from '../support/isolation';
import { insertAgent, openQueueStack, QueueStack, Store } from '../support/queue-stack';

// The runtime's side of the lifecycle, driven by hand against the real store and bus.
describe.each<[Store]>([['postgres'], ['sqlite']])(`${JobExecution.name} on %s`, (store) => {
  const iso = isolation(`exec${store}`);
  let stack: QueueStack;
  let jobs: JobsService;
  let sut: JobExecution;
  let agentId: string;

  beforeAll(async () => {
    stack = await openQueueStack(iso, store);
    jobs = stack.jobs;
    sut = new JobExecution(stack.agents, stack.jobRepo, stack.changes, stack.flow, 2);
    agentId = (await insertAgent(stack.agents, 'o')).id;
  });

  afterAll(() => stack.close());

  const command = (jobId: string) => ({ kind: 'job.run' as const, jobId, agentId, ownerId: 'o', traceId: 't', priority: 0 });
  const eventsOf = async (jobId: string): Promise<EventEnvelope[]> => {
    await stack.relay.drain();
    const out: EventEnvelope[] = [];
    const info = await stack.bus.jsm.streams.info(stack.bus.names.streams.events);
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const m = await stack.bus.jsm.streams.getMessage(stack.bus.names.streams.events, { seq }).catch(() => null);
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
