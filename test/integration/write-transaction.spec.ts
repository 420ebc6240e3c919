import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import {
  AgentEntity,
  openStore,
  OutboxEntity,
  OutboxRepository,
  StoreOptions,
  writeTransaction,
} from '@wiz/persistence';
import { cleanup, isolation, TEST_PG_URL } from '../support/isolation';

// writeTransaction on Postgres pipelines: BEGIN goes out with the first statement, and the
// statements sent with the commit (the outbox insert, the usage rows) go out with COMMIT
// without being waited for. The transaction must stay one: nothing seen before COMMIT,
// everything or nothing, and the error that broke it reported.
const iso = isolation('wtx');
const dir = mkdtempSync(join(tmpdir(), 'wiz-wtx-'));
const stores: Array<[string, StoreOptions]> = [
  ['postgres', { databaseUrl: TEST_PG_URL, schema: iso.schema, dataDir: dir }],
  ['sqlite', { databaseUrl: '', schema: 'public', dataDir: dir }],
];

afterAll(async () => {
  await cleanup(iso);
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
const agent = (): AgentEntity =>
  Object.assign(new AgentEntity(), {
    id: `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
    ownerId: 'wtx',
    name: `agent ${n}`,
    role: 'tester',
    backstory: null,
    goal: null,
    systemPrompt: null,
    model: {},
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
    partition: 0,
    createdAt: new Date(),
    updatedAt: new Date(),
    deletedAt: null,
  } satisfies AgentEntity);

const event = (id: string) => ({ id, kind: 'event' as const, subject: 'wtx.events', payload: '{}' });

describe.each(stores)('writeTransaction on %s', (store, options) => {
  let ds: DataSource;
  let outbox: OutboxRepository;
  const has = async (entity: typeof AgentEntity | typeof OutboxEntity, id: string) =>
    (await ds.getRepository<{ id: string }>(entity).countBy({ id })) === 1;

  beforeAll(async () => {
    ds = await openStore(options);
    outbox = new OutboxRepository(ds);
  });

  afterAll(async () => {
    await ds?.destroy();
  });

  it('commits the statements sent with the commit beside the ones waited for', async () => {
    const a = agent();
    const id = `evt-${n}`;
    const result = await writeTransaction(ds, async (m) => {
      await m.getRepository(AgentEntity).insert(a);
      await outbox.insert([event(id)], new Date(), m);
      return 'done';
    });
    expect({ result, agent: await has(AgentEntity, a.id), outbox: await has(OutboxEntity, id) }).toEqual({
      result: 'done',
      agent: true,
      outbox: true,
    });
  });

  it("rolls everything back when a statement sent with the commit fails, and fails with that statement's error", async () => {
    const taken = `evt-taken-${n}`;
    await writeTransaction(ds, (m) => outbox.insert([event(taken)], new Date(), m));
    const a = agent();
    const done = writeTransaction(ds, async (m) => {
      await m.getRepository(AgentEntity).insert(a);
      await outbox.insert([event(`evt-new-${n}`), event(taken)], new Date(), m); // a duplicate key
    });
    await expect(done).rejects.toThrow(/duplicate key|UNIQUE constraint/);
    expect({ agent: await has(AgentEntity, a.id), outbox: await has(OutboxEntity, `evt-new-${n}`) }).toEqual({
      agent: false,
      outbox: false,
    });
    // The connection went back to the pool usable, outside any transaction.
    const b = agent();
    await writeTransaction(ds, (m) => m.getRepository(AgentEntity).insert(b));
    expect(await has(AgentEntity, b.id)).toBe(true);
  });

  it('keeps a TypeORM save inside the work in the transaction (it opens none of its own)', async () => {
    const a = agent();
    const done = writeTransaction(ds, async (m) => {
      await m.getRepository(AgentEntity).save(a);
      throw new Error('work failed after the save');
    });
    await expect(done).rejects.toThrow('work failed after the save');
    expect(await has(AgentEntity, a.id)).toBe(false);
  });

  if (store === 'postgres')
    it('sends BEGIN before the first statement: another connection sees nothing until COMMIT', async () => {
      const a = agent();
      let seenInside: boolean | undefined;
      await writeTransaction(ds, async (m) => {
        await m.getRepository(AgentEntity).insert(a);
        seenInside = await has(AgentEntity, a.id); // ds: another pooled connection
        await outbox.insert([event(`evt-inside-${n}`)], new Date(), m);
      });
      expect({ seenInside, after: await has(AgentEntity, a.id) }).toEqual({ seenInside: false, after: true });
    });
});
