import { connect, NatsConnection } from 'nats';
import { busNames } from '@wiz/contracts';
import { BusService, LiveInterest, LiveTokensMode } from '@wiz/bus';
import { cleanup, isolation, TEST_NATS_URL } from '../support/isolation';
import { until } from '../support/until';
import { PrivateNats } from '../support/private-nats';

// Who follows a job's tokens, across processes: gateways hold keys in KV, runtimes watch them and
// stream a model call only while a live holder follows its job, agent or conversation.
describe(LiveInterest.name, () => {
  const iso = isolation('interest');
  const names = busNames(iso.prefix);
  const conns: NatsConnection[] = [];
  const made: LiveInterest[] = [];

  const process = async (mode: LiveTokensMode = 'subscribed', heartbeatMs = 10_000) => {
    const nc = await connect({ servers: TEST_NATS_URL });
    conns.push(nc);
    const sut = new LiveInterest(new BusService(nc, await nc.jetstreamManager(), names), {
      mode,
      replicas: 1,
      heartbeatMs,
    });
    made.push(sut);
    return { sut, nc };
  };
  const job = (jobId: string) => ({ agentId: 'a-none', jobId, conversationId: null });

  afterAll(async () => {
    for (const s of made) await s.beforeApplicationShutdown();
    for (const nc of conns) if (!nc.isClosed()) await nc.close();
    await cleanup(iso);
  });

  it('streams before its watch has read the bucket, then only what a holder follows', async () => {
    const { sut: runtime } = await process();
    expect(runtime.streams(job('j1'))).toBe(true); // not read yet: in doubt, stream
    await runtime.start();
    expect(runtime.streams(job('j1'))).toBe(false);

    const { sut: gateway } = await process();
    await gateway.hold('job.j1');
    await gateway.hold('agent.a1');
    await gateway.hold('conversation.c1');
    // The watch sees the keys in the order they were put: the last one means all three.
    const inC1 = { agentId: 'a2', jobId: 'other', conversationId: 'c1' };
    await until(async () => runtime.streams(inC1), 5_000, 'the runtime sees the conversation followed');
    expect(runtime.streams(job('j1'))).toBe(true);
    expect(runtime.streams({ agentId: 'a1', jobId: 'other' })).toBe(true);
    expect(runtime.streams({ agentId: 'a2', jobId: 'other', conversationId: 'c2' })).toBe(false);

    // A second follower of the same job in the gateway: one release leaves it followed.
    await gateway.hold('job.j1');
    await gateway.release('job.j1');
    await gateway.release('agent.a1');
    await until(async () => !runtime.streams({ agentId: 'a1', jobId: 'other' }), 5_000, 'the agent unfollowed');
    expect(runtime.streams(job('j1'))).toBe(true);
    await gateway.release('job.j1');
    await until(async () => !runtime.streams(job('j1')), 5_000, 'the job unfollowed');

    // A runtime that starts later reads what is held already.
    const { sut: late } = await process();
    await late.start();
    expect(late.streams({ agentId: 'a2', jobId: 'other', conversationId: 'c1' })).toBe(true);
    expect(late.streams(job('j1'))).toBe(false);
  });

  it('withdraws its keys when it shuts down, and a quick follow-unfollow leaves none', async () => {
    const { sut: runtime } = await process();
    await runtime.start();
    const { sut: gateway } = await process();
    await gateway.hold('job.j2');
    await until(async () => runtime.streams(job('j2')), 5_000, 'the job followed');
    await Promise.all([gateway.hold('job.j3'), gateway.release('job.j3')]);
    await gateway.beforeApplicationShutdown();
    await until(async () => !runtime.streams(job('j2')), 5_000, 'the shut-down gateway unfollowed');

    const { sut: fresh } = await process();
    await fresh.start();
    expect(fresh.streams(job('j2'))).toBe(false);
    expect(fresh.streams(job('j3'))).toBe(false);
  });

  it('stops counting the keys of a holder that died (no heartbeat) without withdrawing them', async () => {
    const { sut: runtime, nc: runtimeNc } = await process('subscribed', 200);
    await runtime.start();
    const { sut: gateway, nc } = await process('subscribed', 200);
    await gateway.hold('job.j4');
    await until(async () => runtime.streams(job('j4')), 5_000, 'the job followed');
    await nc.close(); // the gateway's process dies: its key stays in the bucket
    await until(async () => !runtime.streams(job('j4')), 5_000, 'the dead holder ignored');
    // Ignored for its silence, not withdrawn: its key and its last heartbeat are still there.
    const kv = await runtimeNc.jetstream().views.kv(names.kvBucket('interest'));
    const keys = async (filter: string) => {
      const found: string[] = [];
      for await (const k of await kv.keys(filter)) found.push(k);
      return found;
    };
    const [held] = await keys('job.j4.*');
    expect(held).toMatch(/^job\.j4\./);
    expect(await keys(`holder.${held.slice('job.j4.'.length)}`)).toHaveLength(1);
  });

  it('announces what a client followed while NATS was away once it is back', async () => {
    const nats = await PrivateNats.start('interest');
    const mine: LiveInterest[] = [];
    try {
      const on = async (heartbeatMs: number) => {
        const nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
        conns.push(nc);
        const sut = new LiveInterest(new BusService(nc, await nc.jetstreamManager(), names), {
          mode: 'subscribed',
          replicas: 1,
          heartbeatMs,
        });
        mine.push(sut);
        return sut;
      };
      const [runtime, gateway] = [await on(200), await on(200)];
      await runtime.start();
      await gateway.hold('job.before');
      await until(async () => runtime.streams(job('before')), 5_000, 'the job followed before the outage');

      await nats.stop('SIGKILL');
      const t0 = Date.now();
      await gateway.hold('job.during'); // its put cannot reach NATS: the subscribe goes on after ~1 s
      expect(Date.now() - t0).toBeLessThan(3_000);
      nats.start();
      await nats.waitReady();
      // The gateway says it again, and the runtime reads the bucket again, after their reconnect.
      await until(async () => runtime.streams(job('during')), 10_000, 'the job followed during the outage');
      expect(runtime.streams(job('before'))).toBe(true);
    } finally {
      for (const s of mine) await s.beforeApplicationShutdown();
      await nats.stop('SIGKILL');
      await nats.dispose();
    }
  });

  it('always or never streams when told to, without the bucket', async () => {
    const { sut: always } = await process('always');
    const { sut: never } = await process('never');
    await always.start();
    await never.hold('job.j5');
    expect(always.streams(job('j5'))).toBe(true);
    expect(never.streams(job('j5'))).toBe(false);
  });
});
