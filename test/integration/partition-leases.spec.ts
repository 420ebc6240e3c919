import { connect, NatsConnection } from 'nats';
import { busNames } from '@wiz/contracts';
import { BusService, PartitionLeases } from '@wiz/bus';
import { cleanup, isolation, TEST_NATS_URL } from '../support/isolation';
import { until } from '../support/until';

const PARTITIONS = 16;

// Mailbox partitions leased to runtimes through KV: spread evenly, never held twice, moved
// within a lease period when a runtime dies, handed over at once when one stops.
describe(PartitionLeases.name, () => {
  const iso = isolation('leases');
  const names = busNames(iso.prefix);
  const conns: NatsConnection[] = [];
  const all: Array<{ sut: PartitionLeases; consuming: Set<number>; nc: NatsConnection }> = [];

  async function runtime() {
    const nc = await connect({ servers: TEST_NATS_URL });
    conns.push(nc);
    const consuming = new Set<number>();
    const sut = new PartitionLeases(new BusService(nc, await nc.jetstreamManager(), names), {
      partitions: PARTITIONS,
      replicas: 1,
      heartbeatMs: 200,
      leaseMs: 1_000,
      onGained: (p) => void consuming.add(p),
      onLost: (p) => Promise.resolve(void consuming.delete(p)),
    });
    const r = { sut, consuming, nc };
    all.push(r);
    sut.start();
    return r;
  }

  const spread = (rs: typeof all) => rs.map((r) => r.consuming.size).sort((a, b) => a - b);
  const covered = (rs: typeof all) => {
    const seen = rs.flatMap((r) => [...r.consuming]);
    return new Set(seen).size === PARTITIONS && seen.length === PARTITIONS;
  };

  afterAll(async () => {
    for (const r of all) await r.sut.stop().catch(() => undefined);
    for (const nc of conns) if (!nc.isClosed()) await nc.close();
    await cleanup(iso);
  });

  it('gives one runtime every partition, then spreads them as runtimes join', async () => {
    const a = await runtime();
    await until(async () => a.consuming.size === PARTITIONS, 10_000, 'one runtime holds all');
    expect(await a.sut.health()).toMatchObject({ ok: true, detail: expect.stringContaining('holds 16 of 16') });
    const b = await runtime();
    const c = await runtime();
    await until(
      async () => covered([a, b, c]) && spread([a, b, c]).every((n) => n >= 4 && n <= 6),
      15_000,
      'three runtimes share the partitions',
      () => JSON.stringify(spread([a, b, c])),
    );
  });

  it('moves the partitions of a runtime that died within seconds', async () => {
    const [a, b, c] = all as [(typeof all)[0], (typeof all)[0], (typeof all)[0]];
    const started = Date.now();
    await c.nc.close(); // no heartbeat, no release: its leases must expire
    await until(
      async () => {
        const ab = [a, b];
        return ab.flatMap((r) => [...r.consuming]).length === PARTITIONS && covered(ab);
      },
      10_000,
      'the two survivors hold every partition',
      () => JSON.stringify(spread([a, b])),
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(spread([a, b])).toEqual([8, 8]);
  });

  it('hands its partitions over at once when a runtime stops', async () => {
    const [a, b] = all as [(typeof all)[0], (typeof all)[0]];
    const started = Date.now();
    await b.sut.stop();
    expect(b.consuming.size).toBe(0);
    await until(async () => a.consuming.size === PARTITIONS, 10_000, 'the last runtime holds all');
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
