import { connect, NatsConnection } from 'nats';
import { busNames } from '@wiz/contracts';
import { BusService, WindowCounters } from '@wiz/bus';
import { cleanup, isolation, TEST_NATS_URL } from '../support/isolation';

// The counters behind the cluster-wide limits: processes counting one key at once lose no hit
// and never count one twice (compare-and-set on the entry's revision).
describe(WindowCounters.name, () => {
  const iso = isolation('counters');
  const names = busNames(iso.prefix);
  const conns: NatsConnection[] = [];

  const process = async (): Promise<WindowCounters> => {
    const nc = await connect({ servers: TEST_NATS_URL });
    conns.push(nc);
    return new WindowCounters(new BusService(nc, await nc.jetstreamManager(), names), {
      bucket: names.kvBucket('limits'),
      replicas: 1,
      maxWindowMs: 60_000,
    });
  };

  afterAll(async () => {
    for (const nc of conns) await nc.close();
    await cleanup(iso);
  });

  it('gives three processes hitting one key at once each count exactly once', async () => {
    const sut = [await process(), await process(), await process()];
    // A window long enough that the test never crosses its edge.
    const hits = await Promise.all(Array.from({ length: 90 }, (_, i) => sut[i % 3]!.hit('t', 'one', 3_600_000)));
    expect(hits.map((h) => h.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 90 }, (_, i) => i + 1));
    expect((await sut[1]!.peek('t', 'one', 3_600_000)).count).toBe(90);
  });

  it('counts ids, scopes and windows apart', async () => {
    const sut = await process();
    await sut.hit('t', 'a', 3_600_000);
    await sut.hit('t', 'a', 3_600_000);
    await sut.hit('t', 'b', 3_600_000);
    await sut.hit('u', 'a', 3_600_000);
    await sut.hit('t', 'a', 1_800_000);
    // Ids that are not KV-safe (an IPv6 address, a colon-separated key) are encoded.
    await sut.hit('t', '::ffff:127.0.0.1', 3_600_000);
    const counts = await Promise.all([
      sut.peek('t', 'a', 3_600_000),
      sut.peek('t', 'b', 3_600_000),
      sut.peek('u', 'a', 3_600_000),
      sut.peek('t', 'a', 1_800_000),
      sut.peek('t', '::ffff:127.0.0.1', 3_600_000),
      sut.peek('t', 'never', 3_600_000),
    ]);
    expect(counts.map((c) => c.count)).toEqual([2, 1, 1, 1, 1, 0]);
    for (const c of counts) expect(c.resetMs).toBeGreaterThan(0);
    expect(counts[0]!.resetMs).toBeLessThanOrEqual(3_600_000);
  });
});
