import { randomUUID } from 'node:crypto';
import { connect, NatsConnection } from 'nats';
import { busNames } from '@wiz/contracts';
import { BusService, OwnerCache, ownerConfigChanged } from '@wiz/bus';
import { BudgetsService } from '@wiz/queue';
import { UsageRecordEntity, UsageRepository } from '@wiz/persistence';
import { cleanup, isolation, TEST_NATS_URL } from '../support/isolation';
import { openQueueStack, QueueStack } from '../support/queue-stack';
import { until } from '../support/until';

const deferred = <T>() => {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
};

// What owners configured and every job reads (webhooks, budgets, approval policies), kept per
// process: a change said on the bus by one process reaches the others' caches (core NATS), and
// an entry is read again after its time anyway.
describe(OwnerCache.name, () => {
  const iso = isolation('ownercache');
  const names = busNames(iso.prefix);
  const conns: NatsConnection[] = [];
  const bus = async () => {
    const nc = await connect({ servers: TEST_NATS_URL });
    conns.push(nc);
    return new BusService(nc, await nc.jetstreamManager(), names);
  };

  afterAll(async () => {
    for (const nc of conns) await nc.close();
    await cleanup(iso);
  });

  it('reads an owner once, then again when another process says it changed (that owner and kind only)', async () => {
    const loads: string[] = [];
    const cache = new OwnerCache(
      await bus(),
      'budgets',
      async (ownerId) => (loads.push(ownerId), `${ownerId}#${loads.length}`),
    );
    const other = await bus();
    expect(await cache.get('o1')).toBe('o1#1');
    expect(await cache.get('o2')).toBe('o2#2');
    expect(await cache.get('o1')).toBe('o1#1');
    expect(loads).toEqual(['o1', 'o2']);

    ownerConfigChanged(other, 'webhooks', 'o1'); // another kind: kept
    ownerConfigChanged(other, 'budgets', 'o1');
    await until(async () => (await cache.get('o1')) !== 'o1#1', 5_000, 'o1 read again after its change');
    expect(await cache.get('o1')).toBe('o1#3');
    expect(await cache.get('o2')).toBe('o2#2');
    expect(loads).toEqual(['o1', 'o2', 'o1']);
    cache.close();
  });

  it('does not keep a read that began before a change, and reads again after its time', async () => {
    const gate = deferred<void>();
    let loads = 0;
    const cache = new OwnerCache(
      await bus(),
      'approvals',
      async () => {
        loads++;
        if (loads === 2) await gate.promise;
        return loads;
      },
      300,
    );
    expect(await cache.get('o')).toBe(1);
    cache.changed('o'); // this process: forgotten at once
    const slow = cache.get('o'); // read 2 waits on the gate
    cache.changed('o'); // a change while it reads
    gate.resolve();
    expect(await slow).toBe(2);
    expect(await cache.get('o')).toBe(3); // read 2 was not kept
    expect(await cache.get('o')).toBe(3);
    await new Promise((r) => setTimeout(r, 350)); // the entry's time (300 ms) passing is what is tested
    expect(await cache.get('o')).toBe(4);
    cache.close();
  });

  it('reads without keeping anything once its connection is closed (a process shutting down)', async () => {
    const closing = await bus();
    await conns.pop()!.close();
    let loads = 0;
    const cache = new OwnerCache(closing, 'webhooks', async () => ++loads);
    expect(await cache.get('o')).toBe(1);
    expect(await cache.get('o')).toBe(2);
  });

  describe('budgets across two processes on one store', () => {
    let stack: QueueStack;
    afterAll(() => stack?.close());

    it("a budget set through one process stops the other's next model call", async () => {
      stack = await openQueueStack(iso, 'postgres');
      const usage = new UsageRepository(stack.ds);
      const gateway = new BudgetsService(usage, await bus());
      const runtime = new BudgetsService(usage, await bus());
      const agentId = '00000000-0000-4000-8000-00000000000a';
      await usage.insert(
        [
          Object.assign(new UsageRecordEntity(), {
            id: randomUUID(),
            ownerId: 'owner-b',
            agentId,
            jobId: randomUUID(),
            provider: 'p',
            model: 'm',
            inputTokens: 5,
            outputTokens: 5,
            costNanoUsd: 0,
            createdAt: new Date(),
          }),
        ],
        stack.ds.manager,
      );
      expect(await runtime.stopReason('owner-b', agentId)).toBeNull(); // read (no budgets) and kept
      await gateway.replace('owner-b', { budgets: [{ agentId, period: 'day', maxTokens: 10 }] });
      await until(
        async () => (await runtime.stopReason('owner-b', agentId)) !== null,
        5_000,
        "the other process's cache forgets the owner's budgets",
      );
      expect(await runtime.stopReason('owner-b', agentId)).toMatch(
        /^budget exceeded: agent .* daily token budget \(10 of 10/,
      );
      expect(await runtime.stopReason('owner-b', '00000000-0000-4000-8000-00000000000c')).toBeNull();
    });
  });
});
