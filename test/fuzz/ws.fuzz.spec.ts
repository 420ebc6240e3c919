import fc from 'fast-check';
import { WebSocket } from 'ws';
import { ServerFrame, ServerFrameSchema } from '@wiz/contracts';
import { asKey } from '../support/http';
import { WsClient } from '../support/ws-client';
import { expectHealthy, FUZZ_RUNS_SCALE, FuzzWorld, seedFor, startFuzzWorld } from './support/fuzz-world';
import { failure } from './support/rest-check';
import { HOSTILE_VALUE, mutate, serialise } from './support/rest-requests';
import { JsonSchema, schemaArbitrary } from './support/schema-arbitrary';

// Property-based fuzzing of the WebSocket protocol (issue 12): every client frame type of the
// protocol's JSON Schema, valid, mutated, of the wrong type, oversized, binary or not JSON. The
// server answers each with its frames or an error frame (never `internal`), keeps the connection
// usable (a ping still gets its pong) unless the protocol says it closes (1009 for a frame over
// the limit, 4401 for a bad key), and never drops another client.
const RUNS = Math.max(1, Math.round(150 * FUZZ_RUNS_SCALE));
const MAX_FRAME = 64 * 1024;

type Auth = 'a' | 'b' | 'none';
interface Probe {
  auth: Auth;
  frames: Array<string | Buffer>;
}

/** Frames received until the pong of our ping, or the close; each checked against the protocol. */
async function exchange(url: string, w: FuzzWorld, probe: Probe): Promise<{ frames: ServerFrame[]; close?: number }> {
  const headers = probe.auth === 'none' ? {} : { authorization: `Bearer ${w.keys[probe.auth]}` };
  const ws = new WebSocket(url, { headers });
  const frames: ServerFrame[] = [];
  const problems: string[] = [];
  const done = new Promise<{ close?: number }>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no pong nor close within 10 s; got ${JSON.stringify(frames)}`)),
      10_000,
    );
    ws.on('message', (data, isBinary) => {
      if (isBinary) problems.push('a binary frame from the server');
      const parsed = ServerFrameSchema.safeParse(JSON.parse(data.toString()));
      if (!parsed.success) return problems.push(`not a server frame: ${data.toString().slice(0, 200)}`);
      frames.push(parsed.data);
      if (parsed.data.type === 'pong') {
        clearTimeout(timer);
        resolve({});
      }
    });
    ws.on('close', (code) => {
      clearTimeout(timer);
      resolve({ close: code });
    });
    ws.on('error', (e) => problems.push(`socket error ${e.message}`));
  });
  await new Promise<void>((resolve, reject) => ws.once('open', () => resolve()).once('error', reject));
  for (const f of probe.frames) ws.send(f);
  ws.send(JSON.stringify({ type: 'ping' }));
  const out = await done;
  ws.terminate();
  if (problems.length) throw new Error(problems.join('; '));
  return { frames, ...out };
}

describe('WS fuzz', () => {
  let w: FuzzWorld;
  let bystander: WsClient;
  let wsSchema: { $defs: { ClientFrame: JsonSchema } } | undefined;

  beforeAll(async () => {
    w = await startFuzzWorld('fuzzws');
    bystander = await WsClient.open(w.server.wsUrl, w.keys.a);
    bystander.send({ type: 'subscribe', topic: `agent:${w.pools.a.agents[0]}` });
    await bystander.take(1, (f) => f.type === 'subscribed');
  });

  afterAll(async () => {
    await bystander?.close();
    await w?.close();
  });

  function frameArbitrary(): fc.Arbitrary<string | Buffer> {
    const ids = (['a', 'b'] as const).flatMap((o) => Object.values(w.pools[o]).flat());
    const topic = fc.oneof(
      fc.constant('owner'),
      fc
        .tuple(fc.constantFrom('agent', 'job', 'conversation', 'AGENT'), fc.oneof(fc.constantFrom(...ids), fc.uuid()))
        .map(([k, id]) => `${k}:${id}`),
      fc.string({ maxLength: 50 }),
    );
    const named = (field: string) =>
      field === 'topic'
        ? topic
        : field === 'key'
          ? fc.constantFrom(w.keys.a, w.keys.b, 'wiz_bad', 'a\u0000b', 'x'.repeat(200))
          : undefined;
    return frames(named);
  }

  function frames(named: (f: string) => fc.Arbitrary<string> | undefined): fc.Arbitrary<string | Buffer> {
    const doc = wsSchema!;
    const valid = schemaArbitrary(doc.$defs.ClientFrame, named);
    return fc.oneof(
      { arbitrary: valid.map((v) => serialise(v)), weight: 5 },
      {
        arbitrary: fc
          .tuple(valid, fc.nat(), HOSTILE_VALUE, fc.boolean())
          .map(([v, at, h, extra]) => serialise(mutate(v, at, h, extra))),
        weight: 3,
      },
      { arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null'), weight: 1 },
      {
        arbitrary: fc.constantFrom<string | Buffer>(
          'not json',
          '{',
          '',
          '\u0000',
          Buffer.from([0, 1, 2, 255]),
          Buffer.from(JSON.stringify({ type: 'ping' })),
          `{"type":"subscribe","topic":${'['.repeat(10_000)}${']'.repeat(10_000)}}`,
          JSON.stringify({ type: 'subscribe', topic: 'owner', since: -1 }),
          JSON.stringify({ type: 'subscribe', topic: 'owner', since: 1e300 }),
          JSON.stringify({ type: 'ping', __proto__: { x: 1 } }),
        ),
        weight: 2,
      },
      { arbitrary: fc.integer({ min: MAX_FRAME + 1, max: 200_000 }).map((n) => 'x'.repeat(n)), weight: 1 },
    );
  }

  // Named regression cases: the hostile frames of issue 12, each leaving the connection usable
  // (or closed the way the protocol says) and the other clients untouched.
  const answersOf = async (auth: Auth, frame: string | Buffer) =>
    exchange(w.server.wsUrl, w, { auth, frames: [frame] });
  const errorCodes = (frames: ServerFrame[]) => frames.flatMap((f) => (f.type === 'error' ? [f.code] : []));

  it('closes a frame over WIZ_WS_MAX_FRAME_BYTES with 1009, and only that connection', async () => {
    const out = await answersOf('a', JSON.stringify({ type: 'subscribe', topic: 'owner', pad: 'x'.repeat(MAX_FRAME) }));
    expect(out.close).toBe(1009);
    bystander.send({ type: 'ping' });
    await bystander.take(1, (f) => f.type === 'pong');
  });

  it.each([
    ['a binary frame', Buffer.from([0, 1, 2, 255]), 'malformed_json'],
    ['a frame that is not JSON', '{"type":', 'malformed_json'],
    [
      'JSON nested 10,000 levels',
      `{"type":"subscribe","topic":${'['.repeat(10_000)}${']'.repeat(10_000)}}`,
      'validation_failed',
    ],
    ['NUL in a topic', JSON.stringify({ type: 'subscribe', topic: 'agent:\u0000' }), 'validation_failed'],
    ['an unknown frame type', JSON.stringify({ type: 'drop_table' }), 'validation_failed'],
    ['a negative since', JSON.stringify({ type: 'subscribe', topic: 'owner', since: -1 }), 'validation_failed'],
  ])('answers %s with an error frame and keeps the connection', async (_name, frame, code) => {
    const out = await answersOf('a', frame);
    expect({ errors: errorCodes(out.frames), close: out.close, last: out.frames.at(-1)?.type }).toEqual({
      errors: [code],
      close: undefined,
      last: 'pong',
    });
  });

  it('closes with 4401 on an auth frame with a NUL in its key (no internal error)', async () => {
    const out = await answersOf('none', JSON.stringify({ type: 'auth', key: 'wiz_\u0000' }));
    expect({ errors: errorCodes(out.frames), close: out.close }).toEqual({ errors: ['unauthorized'], close: 4401 });
  });

  it('serves 20 replays of the owner topic from one key at once, and stays healthy', async () => {
    const clients = await Promise.all(Array.from({ length: 20 }, () => WsClient.open(w.server.wsUrl, w.keys.a)));
    try {
      clients.forEach((c) => c.send({ type: 'subscribe', topic: 'owner', since: 0 }));
      // Each gets its replay or a clear refusal (a limit on concurrent replays), never silence.
      await Promise.all(clients.map((c) => c.take(1, (f) => f.type === 'subscribed' || f.type === 'error')));
      await expectHealthy(w);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });

  it('ends a session whose key is revoked with 4401', async () => {
    const call = asKey(w.server.baseUrl, w.keys.b);
    const created = await call('POST', '/api/v1/keys', { name: 'short-lived' });
    const client = await WsClient.open(w.server.wsUrl, created.body.key);
    const closed = client.closed();
    expect((await call('DELETE', `/api/v1/keys/${created.body.id}`)).status).toBe(204);
    expect((await closed).code).toBe(4401);
  });

  it('answers every client frame type, valid or hostile, and keeps the other clients', async () => {
    wsSchema = (await (await fetch(`${w.server.baseUrl}/api/ws-schema.json`)).json()) as typeof wsSchema;
    const seen = new Set<string>();
    const probe: fc.Arbitrary<Probe> = fc.record({
      auth: fc.constantFrom<Auth>('a', 'a', 'b', 'none'),
      frames: fc.array(frameArbitrary(), { minLength: 1, maxLength: 3 }),
    });
    const out = await fc.check(
      fc.asyncProperty(probe, async (p) => {
        const { frames: got, close } = await exchange(w.server.wsUrl, w, p);
        got.forEach((f) => seen.add(f.type === 'error' ? `error:${f.code}` : f.type));
        if (close) seen.add(`close:${close}`);
        const internal = got.filter((f) => f.type === 'error' && f.code === 'internal');
        if (internal.length) throw new Error(`internal error frames: ${JSON.stringify(internal)}`);
        if (close === undefined) return;
        // The protocol's closes: a frame over the limit, or a bad key in an auth frame.
        const oversized = p.frames.some((f) => Buffer.byteLength(f) > MAX_FRAME);
        const badAuth = got.some((f) => f.type === 'error' && f.code === 'unauthorized');
        if (!(close === 1009 && oversized) && !(close === 4401 && badAuth))
          throw new Error(`closed with ${close} after ${JSON.stringify(got).slice(0, 500)}`);
      }),
      { numRuns: RUNS, seed: seedFor('ws'), endOnFailure: true },
    );
    if (out.failed) throw new Error(failure('WS frames', out));
    // The runs reached every kind of answer, not only the first refusal.
    expect([...seen].sort()).toEqual(
      expect.arrayContaining(['error:malformed_json', 'error:validation_failed', 'pong', 'subscribed', 'close:1009']),
    );
    // The client that watched all along is still there, and still gets events.
    bystander.send({ type: 'ping' });
    await bystander.take(1, (f) => f.type === 'pong');
    const patched = await asKey(w.server.baseUrl, w.keys.a)('PATCH', `/api/v1/agents/${w.pools.a.agents[0]}`, {
      goal: 'still here',
    });
    expect(patched.status).toBe(200);
    await bystander.take(1, (f) => f.type === 'event' && f.event.type === 'agent.updated');
    await expectHealthy(w);
  });
});
