import { randomUUID } from 'node:crypto';
import { countSocketWrites } from '../support/socket-writes';
import { DataSource } from 'typeorm';
import { AgentEntity, openStore, OutboxEntity, OutboxRepository, writeTransaction } from '@wiz/persistence';
import { bothStores } from '../support/isolation';
import { agentRow } from '../support/queue-stack';

// writeTransaction on Postgres pipelines: BEGIN goes out with the first statement, and the
// statements sent with the commit (the outbox insert, the usage rows) go out with COMMIT
// without being waited for. The transaction must stay one: nothing seen before COMMIT,
// everything or nothing, and the error that broke it reported.
const { stores, remove } = bothStores('wtx');

afterAll(remove);

const agent = (): AgentEntity => agentRow('wtx');
const event = (id = randomUUID()) => ({ id, kind: 'event' as const, subject: 'wtx.events', payload: '{}' });

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
    const id = randomUUID();
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
    const [taken, fresh] = [randomUUID(), randomUUID()];
    await writeTransaction(ds, (m) => outbox.insert([event(taken)], new Date(), m));
    const a = agent();
    const done = writeTransaction(ds, async (m) => {
      await m.getRepository(AgentEntity).insert(a);
      await outbox.insert([event(fresh), event(taken)], new Date(), m); // a duplicate key
    });
    await expect(done).rejects.toThrow(/duplicate key|UNIQUE constraint/);
    expect({ agent: await has(AgentEntity, a.id), outbox: await has(OutboxEntity, fresh) }).toEqual({
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
        await outbox.insert([event()], new Date(), m);
      });
      expect({ seenInside, after: await has(AgentEntity, a.id) }).toEqual({ seenInside: false, after: true });
    });

  if (store === 'postgres')
    it('writes what it sends in one turn of the event loop at once: BEGIN with the first statement, COMMIT with the last', async () => {
      const a = agent();
      const id = randomUUID();
      let counter: ReturnType<typeof countSocketWrites> | undefined;
      await writeTransaction(ds, async (m) => {
        // BEGIN was sent (corked) just before: count from here what reaches the socket.
        counter = countSocketWrites(m);
        await m.getRepository(AgentEntity).insert(a); // waited for: BEGIN and it, one write
        await outbox.insert([event(id)], new Date(), m); // sent with the commit: it and COMMIT, one write
      }).finally(() => counter?.restore());
      expect({
        writes: counter?.writes(),
        agent: await has(AgentEntity, a.id),
        outbox: await has(OutboxEntity, id),
      }).toEqual({
        writes: 2,
        agent: true,
        outbox: true,
      });
    });
});
