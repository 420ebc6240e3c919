import { DataSource, EntityManager } from 'typeorm';
import type { JobListQuery } from '@wiz/contracts';
import {
  AgentEntity,
  AgentsRepository,
  JobEntity,
  JobsRepository,
  MessageEntity,
  MessagesRepository,
  MIGRATIONS,
  openStore,
} from '@wiz/persistence';
import { bothStores } from '../support/isolation';

const { stores, remove } = bothStores('store');

afterAll(remove);

const agent = (id: string, ownerId: string): AgentEntity =>
  Object.assign(new AgentEntity(), {
    id,
    ownerId,
    name: 'Ada',
    role: 'reviewer',
    backstory: null,
    goal: null,
    systemPrompt: null,
    model: { temperature: 0.2 },
    status: 'active',
    paused: false,
    loop: {},
    behaviorRules: [],
    behaviorVersion: 0,
    tools: null,
    delegates: null,
    approvals: null,
    doubleTexting: 'queue',
    runningJobId: null,
    partition: 3,
    createdAt: new Date(1_700_000_000_123),
    updatedAt: new Date(1_700_000_000_123),
    deletedAt: null,
  } satisfies AgentEntity);

const job = (id: string, agentId: string, ownerId: string): JobEntity =>
  Object.assign(new JobEntity(), {
    id,
    ownerId,
    agentId,
    status: 'queued',
    partition: 0,
    input: 'hi',
    data: { a: [1, 2] },
    parentJobId: null,
    dependsOn: [],
    priority: 0,
    attempts: 0,
    maxAttempts: 1,
    backoff: null,
    timeoutMs: null,
    ignoreDependencyFailures: false,
    idempotencyKey: null,
    attemptLog: [],
    runAt: null,
    leaseUntil: null,
    progress: 0,
    result: null,
    failureReason: null,
    traceId: 't',
    conversationId: null,
    revision: 0,
    createdAt: new Date(),
    updatedAt: new Date(),
    startedAt: null,
    finishedAt: null,
  } satisfies JobEntity);

describe.each(stores)('store on %s', (_name, options) => {
  let sut: DataSource;

  beforeAll(async () => {
    sut = await openStore(options);
  });
  afterAll(async () => {
    await sut?.destroy();
  });

  it('migrates to exactly the schema the entities describe', async () => {
    const pending = await sut.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('opens again without migrating twice', async () => {
    const again = await openStore(options);
    try {
      expect(await again.showMigrations()).toBe(false);
      const ran = await again.query('SELECT COUNT(*) AS n FROM migrations');
      expect(Number(ran[0].n)).toBe(MIGRATIONS.length);
    } finally {
      await again.destroy();
    }
  });

  it("reads a conversation's context rows as its page does, newest first, without the columns a context leaves out", async () => {
    const messages = new MessagesRepository(sut);
    const conversationId = crypto.randomUUID();
    const at = (i: number) => new Date(1_700_000_000_000 + i);
    const msg = (i: number, over: Partial<MessageEntity> = {}): MessageEntity =>
      Object.assign(new MessageEntity(), {
        id: `00000000-0000-4000-8000-00000000000${i}`,
        ownerId: 'alice',
        conversationId,
        authorKind: 'user',
        authorId: 'u1',
        authorName: 'Ann',
        content: `message ${i}`,
        role: 'user',
        toolData: { t: i },
        jobIds: [`job-${i}`],
        createdAt: at(i),
        updatedAt: at(i),
        deletedAt: null,
        ...over,
      } satisfies MessageEntity);
    await messages.insertMany([
      msg(1),
      msg(2, { authorKind: 'agent', authorId: 'a1', authorName: null, role: 'assistant' }),
      msg(3, { deletedAt: at(9) }),
      msg(4, { role: 'system' }),
      msg(5, { ownerId: 'bob' }),
    ]);
    const page = await messages.page('alice', conversationId, 3);
    const rows = await messages.contextRows('alice', conversationId, 3);
    expect(rows).toEqual(
      page.map((m) => ({
        authorKind: m.authorKind,
        authorId: m.authorId,
        authorName: m.authorName,
        role: m.role,
        content: m.content,
        deletedAt: m.deletedAt,
      })),
    );
    expect(rows.map((r) => r.content)).toEqual(['message 4', 'message 3', 'message 2']);
    expect(rows[1]!.deletedAt?.getTime()).toBe(at(9).getTime());
    expect(rows[2]).toMatchObject({ authorKind: 'agent', authorName: null, role: 'assistant' });
    expect(await messages.contextRows('alice', conversationId, 10)).toHaveLength(4);
    expect(await messages.contextRows('carol', conversationId, 10)).toEqual([]);
  });

  it('round-trips agents with JSON and millisecond timestamps, scoped by owner', async () => {
    const agents = new AgentsRepository(sut);
    const id = crypto.randomUUID();
    await agents.insert(agent(id, 'alice'));
    const found = await agents.findById('alice', id);
    expect(found?.model).toEqual({ temperature: 0.2 });
    expect(found?.createdAt.getTime()).toBe(1_700_000_000_123);
    await expect(agents.findById('bob', id)).resolves.toBeNull();
    expect(await agents.update('bob', id, { name: 'Mallory' })).toBe(false);
    expect(await agents.update('alice', id, { deletedAt: new Date() })).toBe(true);
    await expect(agents.findById('alice', id)).resolves.toBeNull();
  });

  it('fences job transitions with the revision', async () => {
    const jobs = new JobsRepository(sut);
    const id = crypto.randomUUID();
    await jobs.insert(job(id, crypto.randomUUID(), 'alice'));
    expect(await jobs.transition('alice', id, 0, { status: 'active', attempts: 1 })).toBe(true);
    // A second worker that read revision 0 loses.
    expect(await jobs.transition('alice', id, 0, { status: 'completed' })).toBe(false);
    expect(await jobs.transition('bob', id, 1, { status: 'completed' })).toBe(false);
    const now = await jobs.findById('alice', id);
    expect(now).toMatchObject({ status: 'active', attempts: 1, revision: 1, data: { a: [1, 2] } });
  });

  it("starts a job with its free agent's claim and ends it with the agent's release, both fenced by the revision", async () => {
    const agents = new AgentsRepository(sut);
    const jobs = new JobsRepository(sut);
    const owner = `claim-${crypto.randomUUID()}`;
    const a = agent(crypto.randomUUID(), owner);
    await agents.insert(a);
    const j = job(crypto.randomUUID(), a.id, owner);
    const dependent = job(crypto.randomUUID(), a.id, owner);
    await jobs.insert(j);
    await jobs.insert(dependent);
    await sut.transaction((m) => jobs.addDependencies(dependent.id, [j.id], m));
    const seen = (revision: number) => Object.assign(new JobEntity(), j, { revision });
    const inTx = <T>(work: (m: EntityManager) => Promise<T>) => sut.transaction(work);

    // A stale view of the job: the free agent is claimed all the same, the job does not move.
    expect(await inTx((m) => jobs.claimAndMove(seen(7), { status: 'active' }, m))).toMatchObject({
      moved: false,
      agent: { id: a.id, runningJobId: j.id, status: 'busy' },
    });
    expect(await jobs.findById(owner, j.id)).toMatchObject({ status: 'queued', revision: 0 });
    // Held now: not free, nothing written.
    expect(await inTx((m) => jobs.claimAndMove(seen(0), { status: 'active' }, m))).toBeNull();
    expect(await jobs.findById(owner, j.id)).toMatchObject({ status: 'queued', revision: 0 });
    await inTx((m) => agents.release(owner, a.id, j.id, m));

    expect(await inTx((m) => jobs.claimAndMove(seen(0), { status: 'active', attempts: 1 }, m))).toMatchObject({
      moved: true,
      agent: { runningJobId: j.id, status: 'busy' },
    });
    expect(await jobs.findById(owner, j.id)).toMatchObject({ status: 'active', attempts: 1, revision: 1 });

    // Ending it from a stale view changes nothing: the agent stays held.
    expect(await inTx((m) => jobs.finish(seen(0), { status: 'completed' }, m))).toEqual({
      moved: false,
      agentStatus: null,
      dependents: [],
    });
    expect(await agents.findById(owner, a.id)).toMatchObject({ runningJobId: j.id, status: 'busy' });
    expect(await inTx((m) => jobs.finish(seen(1), { status: 'completed' }, m))).toEqual({
      moved: true,
      agentStatus: 'active',
      dependents: [dependent.id],
    });
    expect(await agents.findById(owner, a.id)).toMatchObject({ runningJobId: null, status: 'active' });
    expect(await jobs.findById(owner, j.id)).toMatchObject({ status: 'completed', revision: 2 });
  });

  it('inserts a job only within its queue bounds, counted in the insert (insertBounded)', async () => {
    const jobs = new JobsRepository(sut);
    const owner = `bounded-${crypto.randomUUID()}`;
    const [a1, a2] = [crypto.randomUUID(), crypto.randomUUID()];
    const put = (agentId: string, id = crypto.randomUUID()) =>
      jobs.insertBounded(job(id, agentId, owner), 2, 3, sut.manager);
    expect(await put(a1)).toBe(true);
    const second = crypto.randomUUID();
    expect(await put(a1, second)).toBe(true);
    expect(await put(a1)).toBe(false); // a1 has 2 waiting: its bound
    expect(await put(a2)).toBe(true); // the owner's 3rd
    expect(await put(a2)).toBe(false); // the owner's bound
    expect((await jobs.list(owner, { limit: 10, offset: 0 } as JobListQuery))[1]).toBe(3); // nothing else written
    expect(await jobs.transition(owner, second, 0, { status: 'active' })).toBe(true); // started: not counted
    const roomy = crypto.randomUUID();
    expect(await put(a1, roomy)).toBe(true);
    expect(await jobs.findById(owner, roomy)).toMatchObject({ agentId: a1, status: 'queued', data: { a: [1, 2] } });
  });
});
