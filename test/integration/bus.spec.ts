import { connect, NatsConnection } from 'nats';
import { busNames } from '@wiz/contracts';
import { BusTopology, provision } from '@wiz/bus';
import { cleanup, isolation, TEST_NATS_URL } from '../support/isolation';

const iso = isolation('bus');
const topology: BusTopology = {
  partitions: 4,
  ackWaitMs: 30_000,
  maxDeliver: 5,
  maxAckPending: 100,
  eventsMaxAgeMs: 3_600_000,
  replicas: 1,
};

describe(provision.name, () => {
  let nc: NatsConnection;
  const names = busNames(iso.prefix);

  beforeAll(async () => {
    nc = await connect({ servers: TEST_NATS_URL });
  });
  afterAll(async () => {
    await nc.close();
    await cleanup(iso);
  });

  it('creates the streams and one consumer per partition', async () => {
    const jsm = await nc.jetstreamManager();
    await provision(jsm, names, topology);
    const mailbox = await jsm.streams.info(names.streams.mailbox);
    expect(mailbox.config).toMatchObject({ retention: 'workqueue', subjects: [`${iso.prefix}.mailbox.>`] });
    const events = await jsm.streams.info(names.streams.events);
    expect(events.config.max_age).toBe(3_600_000 * 1_000_000);
    const consumers = await jsm.consumers.list(names.streams.mailbox).next();
    expect(consumers.map((c) => c.name).sort()).toEqual([0, 1, 2, 3].map((p) => names.mailboxConsumer(p)).sort());
    expect(consumers[0]!.config).toMatchObject({ ack_policy: 'explicit', max_deliver: -1, max_ack_pending: 100 });
  });

  it('is idempotent: a second and a concurrent start change and fail nothing', async () => {
    const jsm = await nc.jetstreamManager();
    const before = await jsm.streams.info(names.streams.mailbox);
    await Promise.all([provision(jsm, names, topology), provision(jsm, names, topology)]);
    const after = await jsm.streams.info(names.streams.mailbox);
    expect(after.created).toBe(before.created);
    expect(after.config).toEqual(before.config);
    expect((await jsm.consumers.list(names.streams.mailbox).next()).length).toBe(4);
  });

  it('updates what drifted', async () => {
    const jsm = await nc.jetstreamManager();
    await provision(jsm, names, { ...topology, ackWaitMs: 10_000, eventsMaxAgeMs: 7_200_000 });
    expect((await jsm.consumers.info(names.streams.mailbox, names.mailboxConsumer(0))).config.ack_wait).toBe(
      10_000 * 1_000_000,
    );
    expect((await jsm.streams.info(names.streams.events)).config.max_age).toBe(7_200_000 * 1_000_000);
  });

  it('keeps installations with different prefixes apart', async () => {
    const other = isolation('bus2');
    const jsm = await nc.jetstreamManager();
    try {
      await provision(jsm, busNames(other.prefix), topology);
      const mine = await jsm.streams.info(names.streams.mailbox);
      expect(mine.config.subjects).toEqual([`${iso.prefix}.mailbox.>`]);
    } finally {
      await cleanup(other);
    }
  });
});
