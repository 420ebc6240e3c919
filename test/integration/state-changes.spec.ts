import type { EntityManager } from 'typeorm';
import { CreateJobSchema, WizError } from '@wiz/contracts';
import { JobEntity } from '@wiz/persistence';
import { JobsService, makeEvent, QueueLimits, StateChangesService } from '@wiz/queue';
import { isolation } from '../support/isolation';
import { countSocketWrites } from '../support/socket-writes';
import { insertAgent, openQueueStack, QueueStack, Store } from '../support/queue-stack';

// Group commit: units that arrive together share a transaction; one failing unit fails alone.
describe.each<[Store]>([['postgres'], ['sqlite']])(`${StateChangesService.name} on %s`, (store) => {
  const iso = isolation(`sc${store}`);
  let stack: QueueStack;
  let sut: StateChangesService;
  let agentId: string;

  beforeAll(async () => {
    stack = await openQueueStack(iso, store);
    sut = stack.changes;
    agentId = (await insertAgent(stack.agents, 'o')).id;
  });

  afterAll(() => stack.close());

  const submitMany = async (n: number): Promise<JobEntity[]> => {
    const ids = await Promise.all(
      Array.from({ length: n }, (_, i) => stack.jobs.submit('o', { agentId, input: `job ${i}` })),
    );
    return stack.jobRepo.findByIds(
      'o',
      ids.map((j) => j.id),
    );
  };

  it('commits concurrent units together, each with its own result and events', async () => {
    const jobs = await submitMany(10);
    const results = await Promise.all(
      jobs.map((job, i) =>
        sut.commit(async (m, emit) => {
          const moved = await stack.flow.move(job, { status: 'cancelled', failureReason: `r${i}` }, m);
          emit.event(makeEvent('job.cancelled', { agentId, jobId: job.id, traceId: 't' }, { reason: `r${i}` }));
          return moved ? i : -1;
        }, agentId),
      ),
    );
    expect(results).toEqual(jobs.map((_, i) => i));
    const stored = await stack.jobRepo.findByIds(
      'o',
      jobs.map((j) => j.id),
    );
    expect(stored.map((j) => [j.status, j.revision]).sort()).toEqual(jobs.map((j) => ['cancelled', j.revision]).sort());
  });

  it('commits a new job beside a group under way on Postgres (the lane of new jobs; after it on SQLite), one with dependencies after it', async () => {
    const [first] = await submitMany(1);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let started!: () => void;
    const inGroup = new Promise<void>((r) => (started = r));
    // A unit that keeps its group's transaction open until released.
    const holding = sut.commit(async (m) => {
      await stack.flow.move(first!, { failureReason: 'held' }, m);
      started();
      await held;
    }, agentId);
    await inGroup;
    const order: string[] = [];
    const plain = stack.jobs.submit('o', { agentId, input: 'plain' }).then((j) => (order.push('plain'), j));
    const dependent = stack.jobs
      .submit('o', { agentId, input: 'dependent', dependsOn: [first!.id] })
      .then((j) => (order.push('dependent'), j));
    if (store === 'postgres') {
      const job = await plain; // while the group is still open
      expect((await stack.jobRepo.findById('o', job.id))?.status).toBe('queued');
      expect(order).toEqual(['plain']);
    }
    order.push('released');
    release();
    await Promise.all([holding, plain, dependent]);
    expect(order).toEqual(
      store === 'postgres' ? ['plain', 'released', 'dependent'] : ['released', 'plain', 'dependent'],
    );
  });

  it.each([
    ['of one agent', (_: number) => agentId],
    ['of different agents (side by side on Postgres)', (i: number) => `k${i}`],
  ])(
    'runs the others again alone when one unit of a group %s fails, and undoes its in-memory changes',
    async (_, key) => {
      const jobs = await submitMany(6);
      const seen = jobs.map((j) => j.revision);
      const bad = 3;
      const outcomes = await Promise.allSettled(
        jobs.map((job, i) =>
          sut.commit(async (m) => {
            if (!(await stack.flow.move(job, { status: 'cancelled', failureReason: 'x' }, m))) return 'lost';
            if (i === bad) throw new Error('unit failed');
            // The others still have statements to send when the bad one fails.
            await stack.flow.move(job, { failureReason: 'y' }, m);
            return 'moved';
          }, key(i)),
        ),
      );
      expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as Error).message))).toEqual(
        jobs.map((_, i) => (i === bad ? 'unit failed' : 'moved')),
      );
      const stored = new Map(
        (
          await stack.jobRepo.findByIds(
            'o',
            jobs.map((j) => j.id),
          )
        ).map((j) => [j.id, j]),
      );
      jobs.forEach((job, i) => {
        const row = stored.get(job.id)!;
        // The failed unit changed nothing, in the store or in memory; the others moved exactly twice.
        expect([row.status, row.revision]).toEqual(i === bad ? ['queued', seen[i]] : ['cancelled', seen[i]! + 2]);
        expect([job.status, job.revision]).toEqual([row.status, row.revision]);
      });
    },
  );

  if (store === 'postgres')
    it("sends the statements of different agents' units together, one agent's in order", async () => {
      const order: string[] = [];
      const units = ['a', 'b', 'c', 'd', 'a'].map((key, i) =>
        sut.commit(async (m) => {
          for (const step of [1, 2, 3]) {
            await m.query('SELECT $1::int AS "n"', [step]);
            order.push(`${key}${i}.${step}`);
          }
          return key;
        }, key),
      );
      expect(await Promise.all(units)).toEqual(['a', 'b', 'c', 'd', 'a']);
      // Every chain's first statement is sent before any answer is read, so the four agents' first
      // steps end first, in the order sent (one unit after the other: a0.1, a0.2, a0.3, b1.1…). Not
      // a count of socket writes: answers read in separate turns of a loaded machine make more.
      expect(order.slice(0, 4)).toEqual(['a0.1', 'b1.1', 'c2.1', 'd3.1']);
      const ofA = order.filter((o) => o.startsWith('a'));
      expect(ofA).toEqual(['a0.1', 'a0.2', 'a0.3', 'a4.1', 'a4.2', 'a4.3']);
    });

  // Jobs bounded per agent (QueueLimits): in a group, each job's insert goes with the commit and
  // fails past the bound, failing the group; its units then run alone and the one past is refused.
  describe('a group of submits', () => {
    const CAP = 3;
    const limited = () =>
      new JobsService(
        stack.agents,
        stack.jobRepo,
        sut,
        stack.flow,
        stack.bus,
        stack.budgets,
        new QueueLimits({ WIZ_MAX_QUEUED_PER_AGENT: CAP, WIZ_MAX_QUEUED_PER_OWNER: 1_000 }, stack.jobRepo),
      );
    const submitIn = (jobs: JobsService, agent: Awaited<ReturnType<typeof insertAgent>>, i: number) =>
      sut.commit(
        (m, emit) => jobs.createIn(agent, CreateJobSchema.parse({ agentId: agent.id, input: `q${i}` }), 't', m, emit),
        agent.id,
      );

    it('commits the jobs within the bound and refuses the ones past it', async () => {
      const agent = await insertAgent(stack.agents, 'o');
      const jobs = limited();
      const outcomes = await Promise.allSettled(Array.from({ length: CAP + 2 }, (_, i) => submitIn(jobs, agent, i)));
      const refused = outcomes.filter((o) => o.status === 'rejected').map((o) => (o.reason as WizError).code);
      expect(refused).toEqual(['rate_limited', 'rate_limited']);
      const stored = await stack.jobRepo.findByIds(
        'o',
        outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value.id] : [])),
      );
      expect(stored.map((j) => j.status)).toEqual(['queued', 'queued', 'queued']);
      expect((await stack.jobs.counts('o', agent.id)).queued).toBe(CAP);
    });

    // A submit alone in the lane of new jobs (JobsService.submit's path) commits as a group of one.
    const submitAlone = (jobs: JobsService, agent: Awaited<ReturnType<typeof insertAgent>>, input: string) =>
      sut.commitNew(
        (m, emit) => jobs.createIn(agent, CreateJobSchema.parse({ agentId: agent.id, input }), 't', m, emit),
        agent.id,
      );

    it('refuses a new job alone past the bound, and stores nothing of it', async () => {
      const agent = await insertAgent(stack.agents, 'o');
      const jobs = limited();
      for (let i = 0; i < CAP; i++) await submitAlone(jobs, agent, `a${i}`);
      await expect(submitAlone(jobs, agent, 'past')).rejects.toMatchObject({ code: 'rate_limited' });
      const counts = await stack.jobs.counts('o', agent.id);
      expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(CAP);
      expect(counts.queued).toBe(CAP);
    });

    if (store === 'postgres')
      it('commits a new job alone in one write: its check goes with the COMMIT', async () => {
        const agent = await insertAgent(stack.agents, 'o');
        const jobs = limited();
        await submitAlone(jobs, agent, 'warm'); // the owner's webhooks are read once, then known
        let counter: ReturnType<typeof countSocketWrites> | undefined;
        const job = await sut
          .commitNew(async (m, emit) => {
            counter = countSocketWrites(m);
            return jobs.createIn(agent, CreateJobSchema.parse({ agentId: agent.id, input: 'one' }), 't', m, emit);
          }, agent.id)
          .finally(() => counter?.restore());
        expect((await stack.jobRepo.findById('o', job.id))?.status).toBe('queued');
        // Its insert (BEGIN before it), the outbox's and COMMIT; two when the insert was waited for.
        expect(counter?.writes()).toBe(1);
      });

    if (store === 'postgres')
      it("does not wait for each job's insert: the group's statements leave together", async () => {
        const agent = await insertAgent(stack.agents, 'o');
        const jobs = limited();
        let counter: ReturnType<typeof countSocketWrites> | undefined;
        // Runs first in the group (its key sorts first): counts what reaches the socket from here.
        const counting = sut.commit(async (m: EntityManager) => void (counter = countSocketWrites(m)), '');
        const submitted = await Promise.all([
          counting,
          ...Array.from({ length: CAP }, (_, i) => submitIn(jobs, agent, i)),
        ]).finally(() => counter?.restore());
        expect(submitted).toHaveLength(CAP + 1);
        expect((await stack.jobs.counts('o', agent.id)).queued).toBe(CAP);
        // Two (the statements, then COMMIT); five when each job's insert was waited for.
        expect(counter?.writes()).toBeLessThanOrEqual(2);
      });
  });
});
