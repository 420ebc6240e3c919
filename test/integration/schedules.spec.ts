import { DataSource, Like } from 'typeorm';
import { MissedRunPolicy, Schedule } from '@wiz/contracts';
import { parseConfig } from '@wiz/config';
import { AgentsRepository, JobEntity, OwnerCaps, ScheduleEntity, SchedulesRepository } from '@wiz/persistence';
import { JobFlowService, JobsService, ScheduleFiringWorker, SchedulesService, tickKey } from '@wiz/queue';
import { isolation } from '../support/isolation';
import { insertAgent, openQueueStack, QueueStack, Store } from '../support/queue-stack';

const OWNER = 'local';
const HOUR = 3_600_000;

// Cron schedules on the real store and bus: two firing loops on one store (two runtimes) make
// exactly one job per tick, and each missed-run policy does what it says.
describe.each<[Store]>([['postgres'], ['sqlite']])(`${ScheduleFiringWorker.name} on %s`, (store) => {
  const iso = isolation(`sched${store}`);
  let stack: QueueStack;
  let ds: DataSource;
  let agents: AgentsRepository;
  let schedules: SchedulesService;
  let jobs: JobsService;
  let sut: ScheduleFiringWorker;
  let other: ScheduleFiringWorker;
  const created: string[] = [];

  beforeAll(async () => {
    stack = await openQueueStack(iso, store);
    ({ ds, agents, jobs } = stack);
    const { changes, jobRepo, bus, budgets } = stack;
    const schedulesRepo = new SchedulesRepository(ds);
    schedules = new SchedulesService(agents, schedulesRepo, changes, new OwnerCaps(ds, parseConfig({})));
    // Two runtimes: each its own firing loop and job service, one store.
    sut = new ScheduleFiringWorker(schedulesRepo, jobs, changes);
    other = new ScheduleFiringWorker(
      schedulesRepo,
      new JobsService(agents, jobRepo, changes, new JobFlowService(jobRepo, agents, bus), bus, budgets),
      changes,
    );
  });

  // `due` serves every schedule in the store: each test leaves none behind.
  afterEach(async () => {
    for (const id of created.splice(0)) await ds.getRepository(ScheduleEntity).delete({ id });
  });

  afterAll(() => stack.close());

  const newAgent = (status: 'active' | 'inactive' = 'active') =>
    insertAgent(agents, OWNER, { name: 'Cronos', role: 'a timekeeper', status });

  const newSchedule = async (missedRunPolicy: MissedRunPolicy, agentId?: string): Promise<Schedule> => {
    const s = await schedules.create(OWNER, {
      cron: '0 * * * *',
      timezone: 'Europe/Berlin',
      template: {
        agentId: agentId ?? (await newAgent()).id,
        input: 'tick',
        priority: 0,
        attempts: 1,
        ignoreDependencyFailures: false,
      },
      missedRunPolicy,
      enabled: true,
    });
    created.push(s.id);
    return s;
  };

  /** The hourly ticks from the schedule's first one, `n` of them. */
  const ticksOf = (s: Schedule, n: number) =>
    Array.from({ length: n }, (_, i) => new Date(Date.parse(s.nextRunAt!) + i * HOUR));
  const jobsOf = (s: Schedule) =>
    ds.getRepository(JobEntity).find({ where: { idempotencyKey: Like(`schedule:${s.id}:%`) } });
  const keysOf = async (s: Schedule) => (await jobsOf(s)).map((j) => j.idempotencyKey).sort();
  const stored = async (s: Schedule) => await schedules.get(OWNER, s.id);
  const firedEvents = async (agentId: string) => {
    await stack.relay.drain();
    const { bus } = stack;
    const subject = bus.names.eventSubject({ agentId, type: 'schedule.fired' });
    const info = await bus.jsm.streams.info(bus.names.streams.events, { subjects_filter: subject });
    return info.state.subjects?.[subject] ?? 0;
  };

  it('computes the first tick in the schedule time zone at creation', async () => {
    const s = await newSchedule('skip');
    expect(Date.parse(s.nextRunAt!)).toBeGreaterThan(Date.now());
    expect(new Date(s.nextRunAt!).getUTCMinutes()).toBe(0);
    expect(s).toMatchObject({ missedRunPolicy: 'skip', enabled: true, lastRunAt: null, timezone: 'Europe/Berlin' });
  });

  it('two runtimes firing at once make exactly one job per tick and advance the schedule once', async () => {
    const s = await newSchedule('run-all');
    const ticks = ticksOf(s, 4);
    const now = new Date(ticks[3]!.getTime() + 5_000);
    const advanced = await Promise.all([sut.tick(now), other.tick(new Date(now.getTime() + 200))]);
    expect(advanced[0]! + advanced[1]!).toBe(1);
    expect(await keysOf(s)).toEqual(ticks.map((t) => tickKey(s.id, t)).sort());
    expect(await stored(s)).toMatchObject({
      lastRunAt: ticks[3]!.toISOString(),
      nextRunAt: new Date(ticks[3]!.getTime() + HOUR).toISOString(),
    });
    expect(await firedEvents(s.template.agentId)).toBe(1);
    // Nothing is due any more: a second round changes nothing.
    expect(await Promise.all([sut.tick(now), other.tick(now)])).toEqual([0, 0]);
    expect(await jobsOf(s)).toHaveLength(4);
  });

  it('a runtime that died after submitting a tick leaves it due, and the next firing reuses its job', async () => {
    const s = await newSchedule('run-all');
    const [first, second] = ticksOf(s, 2);
    // The dead runtime got as far as the first tick's job, not the compare-and-set.
    const orphan = await jobs.submit(OWNER, { ...s.template, idempotencyKey: tickKey(s.id, first!) });
    expect(await other.tick(new Date(second!.getTime() + 1_000))).toBe(1);
    const made = await jobsOf(s);
    expect(made.map((j) => j.idempotencyKey).sort()).toEqual([tickKey(s.id, first!), tickKey(s.id, second!)].sort());
    expect(made.map((j) => j.id)).toContain(orphan.id);
  });

  it('skip: fires the latest tick when it is only a little late', async () => {
    const s = await newSchedule('skip');
    const ticks = ticksOf(s, 3);
    await sut.tick(new Date(ticks[2]!.getTime() + 10_000));
    expect(await keysOf(s)).toEqual([tickKey(s.id, ticks[2]!)]);
  });

  it('skip: fires nothing for ticks missed long ago, and moves on', async () => {
    const s = await newSchedule('skip');
    const ticks = ticksOf(s, 3);
    expect(await sut.tick(new Date(ticks[2]!.getTime() + 30 * 60_000))).toBe(1);
    expect(await jobsOf(s)).toEqual([]);
    expect(await stored(s)).toMatchObject({
      lastRunAt: null,
      nextRunAt: new Date(ticks[2]!.getTime() + HOUR).toISOString(),
    });
  });

  it('run-once: fires one job, for the latest missed tick', async () => {
    const s = await newSchedule('run-once');
    const ticks = ticksOf(s, 5);
    await sut.tick(new Date(ticks[4]!.getTime() + 30 * 60_000));
    expect(await keysOf(s)).toEqual([tickKey(s.id, ticks[4]!)]);
    expect((await stored(s)).lastRunAt).toBe(ticks[4]!.toISOString());
  });

  it('run-all: fires every missed tick', async () => {
    const s = await newSchedule('run-all');
    const ticks = ticksOf(s, 5);
    await sut.tick(new Date(ticks[4]!.getTime() + 30 * 60_000));
    expect(await keysOf(s)).toEqual(ticks.map((t) => tickKey(s.id, t)).sort());
  });

  it('a deleted agent does not wedge the schedule: it stops, with no job', async () => {
    const agent = await newAgent();
    const s = await newSchedule('run-all', agent.id);
    await agents.update(OWNER, agent.id, { deletedAt: new Date() });
    const now = new Date(ticksOf(s, 1)[0]!.getTime() + 1_000);
    expect(await sut.tick(now)).toBe(1);
    expect(await jobsOf(s)).toEqual([]);
    expect(await stored(s)).toMatchObject({ enabled: false, nextRunAt: null });
    expect(await sut.tick(new Date(now.getTime() + 10 * HOUR))).toBe(0);
  });

  it('an inactive agent loses the tick, and the schedule keeps going', async () => {
    const agent = await newAgent('inactive');
    const s = await newSchedule('run-all', agent.id);
    const [first, second] = ticksOf(s, 2);
    expect(await sut.tick(new Date(first!.getTime() + 1_000))).toBe(1);
    expect(await jobsOf(s)).toEqual([]);
    expect(await stored(s)).toMatchObject({ enabled: true, nextRunAt: second!.toISOString() });
    await agents.update(OWNER, agent.id, { status: 'active' });
    await sut.tick(new Date(second!.getTime() + 1_000));
    expect(await keysOf(s)).toEqual([tickKey(s.id, second!)]);
  });

  it('a deleted schedule fires no more', async () => {
    const s = await newSchedule('run-all');
    await schedules.remove(OWNER, s.id);
    expect(await sut.tick(new Date(ticksOf(s, 3)[2]!.getTime() + 1_000))).toBe(0);
    expect(await jobsOf(s)).toEqual([]);
    await expect(schedules.get(OWNER, s.id)).rejects.toMatchObject({ code: 'not_found' });
  });
});
