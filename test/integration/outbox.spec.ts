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
});
