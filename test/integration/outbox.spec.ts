import { makeEvent, OutboxRelay } from '@wiz/queue';
import { OutboxEntity } from '@wiz/persistence';
import { isolation } from '../support/isolation';
import { openQueueStack, QueueStack, Store } from '../support/queue-stack';

// The durability mechanism (docs/architecture.md, invariant 1): a state change and its bus messages commit
// together; whatever is committed reaches JetStream exactly once, even if its writer died.
describe.each<[Store]>([['postgres'], ['sqlite']])(`${OutboxRelay.name} on %s`, (store) => {
  const iso = isolation(`outbox${store}`);
  let stack: QueueStack;
  let sut: OutboxRelay;

  beforeAll(async () => {
    stack = await openQueueStack(iso, store);
    sut = stack.relay;
  });

  afterAll(() => stack.close());

  const eventCount = async () => (await stack.bus.jsm.streams.info(stack.bus.names.streams.events)).state.messages;

  it('publishes what a committed change emitted, then forgets it', async () => {
    const before = await eventCount();
    const event = makeEvent(
      'agent.deleted',
      { agentId: crypto.randomUUID(), traceId: 't1' },
      { agentId: crypto.randomUUID() },
    );
    await stack.changes.commit(async (_m, emit) => emit.event(event));
    await sut.drain();
    expect(await eventCount()).toBe(before + 1);
    const stored = await stack.bus.jsm.streams.getMessage(stack.bus.names.streams.events, {
      last_by_subj: stack.bus.names.eventSubject(event),
    });
    expect(stored.json()).toEqual(event);
    expect(await stack.outbox.count()).toBe(0);
  });

  it('publishes nothing when the change rolls back', async () => {
    const before = await eventCount();
    const event = makeEvent(
      'agent.deleted',
      { agentId: crypto.randomUUID(), traceId: 't2' },
      { agentId: crypto.randomUUID() },
    );
    await expect(
      stack.changes.commit(async (_m, emit) => {
        emit.event(event);
        throw new Error('business rule says no');
      }),
    ).rejects.toThrow('business rule says no');
    await sut.drain();
    expect(await eventCount()).toBe(before);
    expect(await stack.outbox.count()).toBe(0);
  });

  it('sweeps rows whose writer died before publishing, and a row published twice is stored once', async () => {
    const published = makeEvent(
      'agent.deleted',
      { agentId: crypto.randomUUID(), traceId: 't3' },
      { agentId: crypto.randomUUID() },
    );
    await stack.changes.commit(async (_m, emit) => emit.event(published));
    await sut.drain();
    const before = await eventCount();
    // A dead process's leftovers: one never published, one published but not yet deleted.
    const orphan = makeEvent(
      'agent.deleted',
      { agentId: crypto.randomUUID(), traceId: 't4' },
      { agentId: crypto.randomUUID() },
    );
    const lapsed = new Date(Date.now() - 1_000);
    await stack.ds.transaction((m) =>
      stack.outbox.insert(
        [
          {
            id: orphan.id,
            kind: 'event',
            subject: stack.bus.names.eventSubject(orphan),
            payload: JSON.stringify(orphan),
          },
          {
            id: published.id,
            kind: 'event',
            subject: stack.bus.names.eventSubject(published),
            payload: JSON.stringify(published),
          },
        ],
        lapsed,
        m,
      ),
    );
    await sut.sweep();
    await sut.drain();
    expect(await eventCount()).toBe(before + 1);
    expect(await stack.outbox.count()).toBe(0);
  });

  it('leaves rows another live process has claimed', async () => {
    const event = makeEvent(
      'agent.deleted',
      { agentId: crypto.randomUUID(), traceId: 't5' },
      { agentId: crypto.randomUUID() },
    );
    await stack.ds.transaction((m) =>
      stack.outbox.insert(
        [{ id: event.id, kind: 'event', subject: stack.bus.names.eventSubject(event), payload: JSON.stringify(event) }],
        new Date(Date.now() + 60_000),
        m,
      ),
    );
    const before = await eventCount();
    await sut.sweep();
    await sut.drain();
    expect(await eventCount()).toBe(before);
    await stack.ds.getRepository(OutboxEntity).delete({ id: event.id });
  });

  it('dead-letters a row over the bus limit and publishes the rows after it', async () => {
    const huge = makeEvent(
      'agent.deleted',
      { agentId: crypto.randomUUID(), traceId: 't6' },
      { agentId: crypto.randomUUID() },
    );
    const next = makeEvent(
      'agent.deleted',
      { agentId: crypto.randomUUID(), traceId: 't7' },
      { agentId: crypto.randomUUID() },
    );
    // A row written before events were bounded (or by a bug): bigger than NATS max_payload.
    const oversized = JSON.stringify({ ...huge, pad: 'x'.repeat(stack.nc.info!.max_payload + 1) });
    const rows = [
      { id: huge.id, kind: 'event' as const, subject: stack.bus.names.eventSubject(huge), payload: oversized },
      {
        id: next.id,
        kind: 'event' as const,
        subject: stack.bus.names.eventSubject(next),
        payload: JSON.stringify(next),
      },
    ];
    const written = await stack.ds.transaction((m) => stack.outbox.insert(rows, new Date(Date.now() + 60_000), m));
    const before = await eventCount();
    sut.push(written);
    await sut.drain();
    expect(await eventCount()).toBe(before + 1);
    const dead = await stack.ds.getRepository(OutboxEntity).findOneByOrFail({ id: huge.id });
    expect(dead.deadReason).toMatch(/over the bus limit/);
    expect(await stack.outbox.countDead()).toBe(1);
    expect(await sut.status()).toEqual({ deadLettered: 1, oldestPendingMs: 0 });
    // The sweep never picks a dead row up again.
    await stack.ds.getRepository(OutboxEntity).update({ id: huge.id }, { claimedUntil: new Date(0) });
    await sut.sweep();
    expect(sut.backlog).toBe(0);
    await stack.ds.getRepository(OutboxEntity).delete({ id: huge.id });
  });

  it('reports how long the oldest unpublished row has waited', async () => {
    const event = makeEvent(
      'agent.deleted',
      { agentId: crypto.randomUUID(), traceId: 't8' },
      { agentId: crypto.randomUUID() },
    );
    const row = { id: event.id, kind: 'event' as const, subject: stack.bus.names.eventSubject(event), payload: '{}' };
    await stack.ds.transaction((m) => stack.outbox.insert([row], new Date(Date.now() + 60_000), m));
    await stack.ds.getRepository(OutboxEntity).update({ id: event.id }, { createdAt: new Date(Date.now() - 90_000) });
    expect((await sut.status()).oldestPendingMs).toBeGreaterThanOrEqual(90_000);
    await stack.ds.getRepository(OutboxEntity).delete({ id: event.id });
  });
});
