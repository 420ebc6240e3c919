import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, NatsConnection } from 'nats';
import { DataSource } from 'typeorm';
import { busNames } from '@wiz/contracts';
import { BusService, provision } from '@wiz/bus';
import { OutboxEntity, OutboxRepository, openStore } from '@wiz/persistence';
import { makeEvent, OutboxRelay, StateChanges } from '@wiz/queue';
import { cleanup, isolation, TEST_NATS_URL, TEST_PG_URL } from '../support/isolation';

// The durability mechanism (DESIGN.md invariant 1): a state change and its bus messages commit
// together; whatever is committed reaches JetStream exactly once, even if its writer died.
describe.each([['postgres'], ['sqlite']])(`${OutboxRelay.name} on %s`, (store) => {
  const iso = isolation(`outbox${store}`);
  const dir = mkdtempSync(join(tmpdir(), 'wiz-outbox-'));
  let nc: NatsConnection;
  let ds: DataSource;
  let bus: BusService;
  let outbox: OutboxRepository;
  let sut: OutboxRelay;
  let changes: StateChanges;

  beforeAll(async () => {
    nc = await connect({ servers: TEST_NATS_URL });
    const names = busNames(iso.prefix);
    const jsm = await nc.jetstreamManager();
    await provision(jsm, names, { partitions: 1, ackWaitMs: 30_000, maxDeliver: 5, maxAckPending: 10, eventsMaxAgeMs: 3_600_000 });
    bus = new BusService(nc, jsm, names);
    ds = await openStore({ databaseUrl: store === 'postgres' ? TEST_PG_URL : '', schema: iso.schema, dataDir: dir });
    outbox = new OutboxRepository(ds);
    sut = new OutboxRelay(bus, outbox);
    changes = new StateChanges(ds, outbox, sut, bus);
  });

  afterAll(async () => {
    await ds.destroy();
    await nc.close();
    await cleanup(iso);
    rmSync(dir, { recursive: true, force: true });
  });

  const eventCount = async () => (await bus.jsm.streams.info(bus.names.streams.events)).state.messages;

  it('publishes what a committed change emitted, then forgets it', async () => {
    const before = await eventCount();
    const event = makeEvent('agent.deleted', { agentId: crypto.randomUUID(), traceId: 't1' }, { agentId: crypto.randomUUID() });
    await changes.commit(async (_m, emit) => emit.event(event));
    await sut.drain();
    expect(await eventCount()).toBe(before + 1);
    const stored = await bus.jsm.streams.getMessage(bus.names.streams.events, { last_by_subj: bus.names.eventSubject(event) });
    expect(stored.json()).toEqual(event);
    expect(await outbox.count()).toBe(0);
  });

  it('publishes nothing when the change rolls back', async () => {
    const before = await eventCount();
    const event = makeEvent('agent.deleted', { agentId: crypto.randomUUID(), traceId: 't2' }, { agentId: crypto.randomUUID() });
    await expect(
      changes.commit(async (_m, emit) => {
        emit.event(event);
        throw new Error('business rule says no');
      }),
    ).rejects.toThrow('business rule says no');
    await sut.drain();
    expect(await eventCount()).toBe(before);
    expect(await outbox.count()).toBe(0);
  });

  it('sweeps rows whose writer died before publishing, and a row published twice is stored once', async () => {
    const published = makeEvent('agent.deleted', { agentId: crypto.randomUUID(), traceId: 't3' }, { agentId: crypto.randomUUID() });
    await changes.commit(async (_m, emit) => emit.event(published));
    await sut.drain();
    const before = await eventCount();
    // A dead process's leftovers: one never published, one published but not yet deleted.
    const orphan = makeEvent('agent.deleted', { agentId: crypto.randomUUID(), traceId: 't4' }, { agentId: crypto.randomUUID() });
    const lapsed = new Date(Date.now() - 1_000);
    await ds.transaction((m) =>
      outbox.insert(
        [
          { id: orphan.id, kind: 'event', subject: bus.names.eventSubject(orphan), payload: JSON.stringify(orphan) },
          { id: published.id, kind: 'event', subject: bus.names.eventSubject(published), payload: JSON.stringify(published) },
        ],
        lapsed,
        m,
      ),
    );
    await sut.sweep();
    await sut.drain();
    expect(await eventCount()).toBe(before + 1);
    expect(await outbox.count()).toBe(0);
  });

  it('leaves rows another live process has claimed', async () => {
    const event = makeEvent('agent.deleted', { agentId: crypto.randomUUID(), traceId: 't5' }, { agentId: crypto.randomUUID() });
    await ds.transaction((m) =>
      outbox.insert(
        [{ id: event.id, kind: 'event', subject: bus.names.eventSubject(event), payload: JSON.stringify(event) }],
        new Date(Date.now() + 60_000),
        m,
      ),
    );
    const before = await eventCount();
    await sut.sweep();
    await sut.drain();
    expect(await eventCount()).toBe(before);
    await ds.getRepository(OutboxEntity).delete({ id: event.id });
  });
});
