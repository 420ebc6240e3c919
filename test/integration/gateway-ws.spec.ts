import { randomUUID } from 'node:crypto';
import { connect, JetStreamClient, NatsConnection } from 'nats';
import { BusService, LiveInterest } from '@wiz/bus';
import { busNames, ServerFrame, WS_CLOSE_CODES } from '@wiz/contracts';
import { wsDroppedSlowClients } from '@wiz/telemetry';
import { startGatewayInProcess, InProcessGateway } from '../support/gateway-app';
import { http } from '../support/http';
import { cleanup, isolation, TEST_NATS_URL } from '../support/isolation';
import { until } from '../support/until';
import { WsClient } from '../support/ws-client';

type EventFrame = Extract<ServerFrame, { type: 'event' }>;
const isEvent = (f: ServerFrame): f is EventFrame => f.type === 'event';

// The WS protocol under stress, against the real bus: events are published on JetStream the way
// the runtime publishes them, and read back through the gateway.
describe('gateway WebSocket protocol', () => {
  const iso = isolation('wsproto');
  const names = busNames(iso.prefix);
  let sut: InProcessGateway;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let agentId: string;

  /** Publishes `n` agent events of about `bytes` each; resolves with their stream sequences. */
  const publish = async (n: number, bytes = 200, types = ['agent.updated']): Promise<number[]> => {
    const seqs: number[] = [];
    const pad = 'x'.repeat(bytes);
    for (let i = 0; i < n; i++) {
      const type = types[i % types.length]!;
      const event = {
        id: randomUUID(),
        type,
        occurredAt: new Date().toISOString(),
        traceId: 't',
        agentId,
        data: { i, pad },
      };
      seqs.push((await js.publish(names.eventSubject({ agentId, type }), JSON.stringify(event))).seq);
    }
    return seqs;
  };
  const subscribe = async (c: WsClient, since?: number) => {
    c.send({ type: 'subscribe', topic: `agent:${agentId}`, ...(since === undefined ? {} : { since }) });
    await c.take(1, (f) => f.type === 'subscribed');
  };

  beforeAll(async () => {
    sut = await startGatewayInProcess(iso, {
      WIZ_WS_MAX_BUFFERED_BYTES: String(64 * 1024),
      WIZ_WS_MAX_FRAME_BYTES: '4096',
      WIZ_WS_PING_MS: '1500',
    });
    nc = await connect({ servers: TEST_NATS_URL });
    js = nc.jetstream();
    agentId = (await http(sut.baseUrl, 'POST', '/api/v1/agents', { name: 'A', role: 'r' })).body.id;
    // Its `agent.created` reaches the stream through the outbox, after the answer: on the stream
    // before the tests subscribe, or a live subscription may see it among the published events.
    const jsm = await nc.jetstreamManager();
    await until(
      async () => (await jsm.streams.info(names.streams.events)).state.last_seq >= 1,
      10_000,
      'agent.created published',
    );
  });

  afterAll(async () => {
    await nc?.close();
    await sut?.close();
    await cleanup(iso);
  });

  it('resumes after a forced disconnect with no loss and no duplicate', async () => {
    const first = await WsClient.open(sut.wsUrl);
    await subscribe(first);
    const publishing = publish(300);
    const before = (await first.take(40, isEvent)) as EventFrame[];
    first.ws.terminate(); // a dropped connection: no close handshake
    const resumed = await WsClient.open(sut.wsUrl);
    const last = before[before.length - 1]!.seq;
    await subscribe(resumed, last);
    const published = await publishing;
    const after = (await resumed.take(published.filter((s) => s > last).length, isEvent)) as EventFrame[];
    expect([...before, ...after].map((f) => f.seq)).toEqual(published);
    resumed.send({ type: 'ping' });
    await resumed.take(1, (f) => f.type === 'pong');
    expect(resumed.pending().filter(isEvent)).toEqual([]);
    await resumed.close();
  });

  it("replays the owner topic from `since`, keeping only the owner's events, then goes live", async () => {
    const c = await WsClient.open(sut.wsUrl);
    const from = (await publish(1))[0]!;
    const stranger = randomUUID(); // an agent nobody owns here: its events are nobody's
    await js.publish(
      names.eventSubject({ agentId: stranger, type: 'agent.updated' }),
      JSON.stringify({
        id: randomUUID(),
        type: 'agent.updated',
        occurredAt: new Date().toISOString(),
        traceId: 't',
        agentId: stranger,
        data: {},
      }),
    );
    const replayed = await publish(3);
    c.send({ type: 'subscribe', topic: 'owner', since: from });
    const live = publish(2);
    const frames = (await c.take(5, isEvent)) as EventFrame[];
    expect(frames.map((f) => f.seq)).toEqual([...replayed, ...(await live)]);
    expect(frames.every((f) => f.topic === 'owner' && f.event.agentId === agentId)).toBe(true);
    await c.close();
  });

  it('sends only the event types a subscription asks for, replayed and live, on WS and SSE', async () => {
    const types = ['agent.updated', 'job.completed', 'job.failed', 'job.started'];
    const jobEnds = (seqs: number[]) => seqs.filter((_, i) => i % 4 === 1 || i % 4 === 2);
    const replayed = await publish(8, 50, types);
    const c = await WsClient.open(sut.wsUrl);
    c.send({
      type: 'subscribe',
      topic: `agent:${agentId}`,
      since: replayed[0]! - 1,
      events: ['job.completed', 'job.f*'],
    });
    await c.take(1, (f) => f.type === 'subscribed');
    const live = await publish(8, 50, types);
    const frames = (await c.take(8, isEvent)) as EventFrame[];
    expect(frames.map((f) => f.seq)).toEqual([...jobEnds(replayed), ...jobEnds(live)]);
    expect(frames.map((f) => f.event.type)).toEqual(Array(4).fill(['job.completed', 'job.failed']).flat());
    // A marker of a type it asked for comes next: nothing else was sent in between.
    const [marker] = await publish(1, 50, ['job.completed']);
    expect(((await c.take(1)) as EventFrame[]).map((f) => f.seq)).toEqual([marker]);

    // A glob outside the notation is refused with an error frame; the connection stays usable.
    c.send({ type: 'subscribe', topic: 'owner', events: ['Job!'] });
    expect((await c.take(1))[0]).toMatchObject({ type: 'error', code: 'validation_failed' });
    await c.close();

    const ctrl = new AbortController();
    const res = await fetch(
      `${sut.baseUrl}/api/v1/agents/${agentId}/events?since=${replayed[0]! - 1}&events=job.failed,agent.*`,
      { signal: ctrl.signal },
    );
    const reader = res.body!.getReader();
    let text = '';
    const ids = () => [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    const picked = [...replayed, ...live].filter((_, i) => i % 4 === 0 || i % 4 === 2);
    while (ids().length < picked.length) text += new TextDecoder().decode((await reader.read()).value);
    expect(ids()).toEqual(picked);
    ctrl.abort();
    const refused = await http(sut.baseUrl, 'GET', `/api/v1/agents/${agentId}/events?events=`);
    expect(refused).toMatchObject({ status: 400, body: { code: 'validation_failed' } });
  });

  it("counts a subscription as following a topic's model calls only when it takes token frames", async () => {
    // What a runtime reads: whether a job of the agent should stream its model calls.
    const runtime = new LiveInterest(new BusService(nc, await nc.jetstreamManager(), names), {
      mode: 'subscribed',
      replicas: 1,
      heartbeatMs: 10_000,
    });
    await runtime.start();
    const other = (await http(sut.baseUrl, 'POST', '/api/v1/agents', { name: 'B', role: 'r' })).body.id as string;
    const streams = (id: string) => runtime.streams({ agentId: id });
    const follow = async (c: WsClient, id: string, events?: string[]) => {
      c.send({ type: 'subscribe', topic: `agent:${id}`, ...(events ? { events } : {}) });
      await c.take(1, (f) => f.type === 'subscribed');
    };
    const [c, c2] = [await WsClient.open(sut.wsUrl), await WsClient.open(sut.wsUrl)];
    try {
      await follow(c, agentId, ['job.*']);
      // The gateway says what its clients follow in order: once this is seen, the first would be.
      await follow(c, other);
      await until(async () => streams(other), 5_000, 'the unfiltered subscription followed');
      expect(streams(agentId)).toBe(false);

      // Subscribing again changes the filter, and with it the interest.
      await follow(c, agentId, ['job.*', 'agent.tok*']);
      await until(async () => streams(agentId), 5_000, 'followed once it takes agent.token');
      await follow(c, agentId, ['job.completed']);
      await until(async () => !streams(agentId), 5_000, 'unfollowed once its filter leaves tokens out');

      // A filtered subscription going away takes nothing from another client's interest.
      await follow(c2, agentId);
      await until(async () => streams(agentId), 5_000, 'followed by the second client');
      await c.close();
      await until(async () => !streams(other), 5_000, 'the first client gone');
      await follow(c2, other);
      await until(async () => streams(other), 5_000, 'the second client follows the other agent');
      expect(streams(agentId)).toBe(true);
    } finally {
      await c2.close();
      await runtime.beforeApplicationShutdown();
    }
  });

  it('disconnects a client that cannot keep up, while the others keep receiving everything', async () => {
    const fast = await WsClient.open(sut.wsUrl);
    const slow = await WsClient.open(sut.wsUrl);
    await subscribe(fast);
    await subscribe(slow);
    const slowClosed = slow.closed();
    const socket = (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    const dropped = async () => (await wsDroppedSlowClients.get()).values[0]?.value ?? 0;
    const droppedBefore = await dropped();
    socket.pause(); // stops reading
    const publishing = publish(200, 32 * 1024);
    // It reads again once the gateway has given up on it, to see the close frame behind its backlog:
    // paused past a keep-alive round (1.5 s here), it would be cut without one (1006).
    await until(async () => (await dropped()) > droppedBefore, 20_000, 'the slow client dropped');
    socket.resume();
    const published = await publishing;
    const got = (await fast.take(published.length, isEvent)) as EventFrame[];
    expect(got.map((f) => f.seq)).toEqual(published);
    expect(await slowClosed).toEqual({ code: WS_CLOSE_CODES.tooSlow, reason: 'too slow: reconnect with since' });
    await fast.close();
  });

  it('closes a connection that sends a frame over the size limit (1009), and keeps others open', async () => {
    const big = await WsClient.open(sut.wsUrl);
    const other = await WsClient.open(sut.wsUrl);
    const closed = big.closed();
    big.send({ type: 'ping', pad: 'x'.repeat(10_000) });
    expect((await closed).code).toBe(WS_CLOSE_CODES.tooBig);
    other.send({ type: 'ping' });
    expect((await other.take(1))[0]).toEqual({ type: 'pong' });
    await other.close();
  });

  it('answers malformed, binary and unknown frames with error frames and stays usable', async () => {
    const c = await WsClient.open(sut.wsUrl);
    c.send('{not json');
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    c.send({ type: 'subscribe', topic: 'agent:nope' });
    c.send({ type: 'dance' });
    c.send({ type: 'subscribe', topic: `agent:${randomUUID()}` });
    const errors = await c.take(5);
    expect(errors.map((f) => (f.type === 'error' ? f.code : f.type))).toEqual([
      'malformed_json',
      'malformed_json',
      'validation_failed',
      'validation_failed',
      'not_found',
    ]);
    c.send({ type: 'ping' });
    expect((await c.take(1))[0]).toEqual({ type: 'pong' });
    await c.close();
  });

  it('drops a peer that stops answering pings', async () => {
    const c = await WsClient.open(sut.wsUrl);
    const closed = c.closed();
    (c.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
    await new Promise((r) => setTimeout(r, 3_500)); // > 2 ping intervals (1.5 s): the server gave up
    (c.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    expect((await closed).code).toBe(1006); // terminated: no close frame
  });

  it('serves SSE with Last-Event-ID resume, no gap and no duplicate', async () => {
    const published = await publish(5);
    const after = published[1]!;
    const ctrl = new AbortController();
    const res = await fetch(`${sut.baseUrl}/api/v1/agents/${agentId}/events`, {
      headers: { 'last-event-id': String(after) },
      signal: ctrl.signal,
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    let text = '';
    const ids = () => [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    const more = await publish(2);
    while (ids().length < 5) text += new TextDecoder().decode((await reader.read()).value);
    expect(ids()).toEqual([...published.slice(2), ...more]);
    expect(text).toContain('event: agent.updated');
    ctrl.abort();
    const unknown = await http(sut.baseUrl, 'GET', `/api/v1/jobs/${randomUUID()}/events`);
    expect(unknown).toMatchObject({ status: 404, body: { code: 'not_found' } });
  });

  it("puts a request id on every response, honouring the caller's", async () => {
    const own = await http(sut.baseUrl, 'GET', '/api/v1/agents', undefined, undefined, { 'x-request-id': 'abc-123' });
    expect(own.headers.get('x-request-id')).toBe('abc-123');
    const generated = await http(sut.baseUrl, 'GET', `/api/v1/agents/${randomUUID()}`);
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

// Nest closes the HTTP server before `onApplicationShutdown`, and that close waits for every
// socket: an open WebSocket or SSE stream used to hold `app.close()`, and the process, forever.
describe('gateway shutdown with clients connected', () => {
  const iso = isolation('wsclose');
  let sut: InProcessGateway | undefined;
  let agentId: string;
  const open: WsClient[] = [];

  beforeAll(async () => {
    sut = await startGatewayInProcess(iso);
    agentId = (await http(sut.baseUrl, 'POST', '/api/v1/agents', { name: 'A', role: 'r' })).body.id;
  });

  afterAll(async () => {
    for (const c of open) c.ws.terminate();
    await sut?.close();
    await cleanup(iso);
  });

  it('says goodbye (1001) to WebSocket clients, ends SSE streams, and closes, even with a client not reading', async () => {
    const polite = await WsClient.open(sut!.wsUrl);
    const deaf = await WsClient.open(sut!.wsUrl);
    open.push(polite, deaf);
    const goodbye = polite.closed();
    const cut = deaf.closed();
    (deaf.ws as unknown as { _socket: { pause(): void } })._socket.pause(); // never reads the close frame
    const res = await fetch(`${sut!.baseUrl}/api/v1/agents/${agentId}/events`);
    const reader = res.body!.getReader();
    await reader.read(); // `: subscribed`
    const app = sut!;
    sut = undefined;
    await app.close();
    expect(await goodbye).toEqual({ code: 1001, reason: 'server shutting down' });
    let ended = false;
    while (!ended) ended = (await reader.read()).done;
    (deaf.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    expect((await cut).code).not.toBe(1000);
  });
});
