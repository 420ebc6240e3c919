import { connect, JsMsg, NatsConnection } from 'nats';
import { busNames } from '@wiz/contracts';
import { BusService, firstEventSeq, provision, replayEventPages } from '@wiz/bus';
import { cleanup, isolation, TEST_NATS_URL } from '../support/isolation';
import { TcpProxy } from '../support/tcp-proxy';

const EVENTS = 1_200;

// A replay reads the event stream page by page. A fetch ends at its deadline on the process's
// clock: when its request or its page comes late (a stalled network here; a process whose event
// loop is held past the deadline in CI), the page the server sends is never read and is gone
// from the consumer. The replay must neither end there in silence nor skip it.
describe(replayEventPages.name, () => {
  const iso = isolation('pages');
  const names = busNames(iso.prefix);
  let nc: NatsConnection;
  let viaProxy: NatsConnection;
  let proxy: TcpProxy;
  let bus: BusService;
  let firstSeq = 0;

  beforeAll(async () => {
    nc = await connect({ servers: TEST_NATS_URL });
    const jsm = await nc.jetstreamManager();
    await provision(jsm, names, {
      partitions: 1,
      ackWaitMs: 30_000,
      maxDeliver: 5,
      maxAckPending: 100,
      eventsMaxAgeMs: 3_600_000,
      replicas: 1,
    });
    const nats = new URL(TEST_NATS_URL);
    proxy = new TcpProxy({ host: nats.hostname, port: Number(nats.port || 4222) });
    await proxy.start();
    viaProxy = await connect({ servers: `127.0.0.1:${proxy.port}` });
    bus = new BusService(viaProxy, await viaProxy.jetstreamManager(), names);
    const js = nc.jetstream();
    const acks = [];
    for (let i = 0; i < EVENTS; i++) {
      const subject = names.eventSubject({ agentId: i % 2 ? 'odd' : 'even', type: 'agent.updated' });
      acks.push(js.publish(subject, JSON.stringify({ i })));
    }
    firstSeq = (await Promise.all(acks))[0]!.seq;
  });

  afterAll(async () => {
    await viaProxy?.close();
    await proxy?.stop();
    await nc?.close();
    await cleanup(iso);
  });

  /**
   * `stalls`: after which delivered page the link stalls, and for how long; `cuts`: after which
   * page the next page's answer stalls part-way, after how many bytes. Returns the events read, and
   * the size of each page.
   */
  const replayPages = async (filter: string, stalls: Map<number, number>, cuts = new Map<number, number>()) => {
    const seen: number[] = [];
    const sizes: number[] = [];
    await replayEventPages(bus, filter, firstSeq - 1, async (page: JsMsg[]) => {
      seen.push(...page.map((m) => (m.json() as { i: number }).i));
      sizes.push(page.length);
      // The next fetch's request reaches the server past the fetch's deadline (5 s).
      const stall = stalls.get(sizes.length);
      if (stall) {
        proxy.hold();
        setTimeout(() => proxy.release(), stall);
      }
      // The next page's first messages arrive, the rest only past the fetch's deadline.
      const cut = cuts.get(sizes.length);
      if (cut) proxy.holdRepliesAfter(cut, 5_500);
      return true;
    });
    return { seen, sizes };
  };
  const replay = async (filter: string, stalls: Map<number, number>) => (await replayPages(filter, stalls)).seen;

  it('reads every event once and in order when a page comes after its fetch ended', async () => {
    expect(await replay(names.eventsAll(), new Map([[1, 5_500]]))).toEqual(Array.from({ length: EVENTS }, (_, i) => i));
  }, 60_000);

  it('does the same on a filtered replay stalled twice', async () => {
    const odd = Array.from({ length: EVENTS }, (_, i) => i).filter((i) => i % 2);
    expect(
      await replay(
        names.agentEventsFilter('odd'),
        new Map([
          [1, 5_500],
          [2, 5_500],
        ]),
      ),
    ).toEqual(odd);
  }, 60_000);

  it('reads the rest of a page whose end came after its fetch ended, from the gap on', async () => {
    // The fetch ends with the page's first messages; the others reach the client after it, and
    // are gone from the consumer: the next read starts past them (a gap in delivery), so the
    // replay starts again after the last event it read.
    const { seen, sizes } = await replayPages(names.eventsAll(), new Map(), new Map([[1, 10_000]]));
    expect(sizes.slice(0, -1).some((n) => n > 0 && n < 256)).toBe(true);
    expect(seen).toEqual(Array.from({ length: EVENTS }, (_, i) => i));
  }, 60_000);

  it('goes on when a request to the stream times out meanwhile', async () => {
    // Past the fetch's deadline and the 5 s of the request that asks whether events remain.
    const even = Array.from({ length: EVENTS }, (_, i) => i).filter((i) => i % 2 === 0);
    expect(await replay(names.agentEventsFilter('even'), new Map([[1, 11_000]]))).toEqual(even);
  }, 60_000);

  it('asks again for where the stream starts when the first request times out', async () => {
    proxy.hold();
    setTimeout(() => proxy.release(), 6_000);
    expect(await firstEventSeq(bus)).toBeLessThanOrEqual(firstSeq);
  }, 30_000);

  it('leaves no consumer behind', async () => {
    const left = await (await nc.jetstreamManager()).consumers.list(names.streams.events).next();
    expect(left.map((c) => c.name)).toEqual([]);
  });
});
