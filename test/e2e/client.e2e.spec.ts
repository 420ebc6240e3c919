import { WebSocket } from 'ws';
import { WizApiError, WizClient, WizEvent } from '@wiz/client';
import { FakeLlmServer } from '../../apps/fake-llm/src/fake-llm.server';
import { cleanup, isolation } from '../support/isolation';
import { InProcessServer, startServerInProcess } from '../support/server-app';
import { TcpProxy } from '../support/tcp-proxy';
import { WizClients } from '../support/wiz-clients';

const ADMIN_KEY = 'admin-key-for-the-client-test-0123456789abcdef';

/** Collects a subscription's events until `stop` holds for one of them. */
async function collect(iterable: AsyncIterable<WizEvent>, stop: (e: WizEvent) => boolean): Promise<WizEvent[]> {
  const out: WizEvent[] = [];
  for await (const e of iterable) {
    out.push(e);
    if (stop(e)) break;
  }
  return out;
}
const ended = (e: WizEvent) => ['job.completed', 'job.failed', 'job.cancelled'].includes(e.event.type);

// The typed client (@wiz/client) against the real server (gateway + runtime in this process, on
// Postgres and NATS) and the scripted model, in Node with the `ws` package.
describe(WizClient.name, () => {
  const iso = isolation('client');
  const clients = new WizClients();
  const llm = new FakeLlmServer({
    rules: [
      { match: { lastUserContains: 'SLOW' }, reply: { content: 'still thinking', delayMs: 20_000 } },
      {
        match: { lastUserContains: 'STREAM' },
        reply: { content: 'a long streamed answer, token after token.', chunkSize: 2, tokenIntervalMs: 40 },
      },
      { reply: { content: 'echo: {{lastUserFirstLine}}' } },
    ],
  });
  let server: InProcessServer;
  let proxy: TcpProxy;
  let sut: WizClient;

  beforeAll(async () => {
    server = await startServerInProcess(iso, await llm.start());
    proxy = new TcpProxy({ host: '127.0.0.1', port: Number(new URL(server.baseUrl).port) });
    await proxy.start();
    sut = clients.open({ baseUrl: proxy.baseUrl, WebSocket, ...{} });
  });

  afterAll(async () => {
    clients.closeAll();
    await proxy?.stop();
    await server?.close();
    await llm.stop();
    await cleanup(iso);
  });

  it('manages agents and reports errors as WizApiError with status, code and message', async () => {
    const agent = await sut.agents.create({ name: 'Ada', role: 'a helper', doubleTexting: 'queue' });
    expect(agent).toMatchObject({ name: 'Ada', status: 'active', behaviorVersion: expect.any(Number) });
    expect((await sut.agents.list()).items.map((a) => a.id)).toContain(agent.id);
    const updated = await sut.agents.update(agent.id, { goal: 'answer well' });
    expect(updated.goal).toBe('answer well');
    const adjusted = await sut.agents.adjustBehavior(agent.id, { rules: ['be brief'] });
    expect(adjusted.behaviorRules).toContain('be brief');
    expect(adjusted.behaviorVersion).toBeGreaterThan(agent.behaviorVersion);

    const missing = await sut.agents.get('00000000-0000-4000-8000-000000000000').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(WizApiError);
    expect(missing).toMatchObject({ status: 404, code: 'not_found' });
    const invalid = await sut.agents.create({ name: '', role: 'x' }).catch((e: unknown) => e);
    expect(invalid).toMatchObject({ status: 400, code: 'validation_failed' });
    expect((invalid as WizApiError).issues?.[0]?.path).toBe('name');
  });

  it('runs a job and streams its events; lists, counts, cancels and retries jobs', async () => {
    const agent = await sut.agents.create({ name: 'Runner', role: 'runs jobs' });
    const job = await sut.jobs.create({ agentId: agent.id, input: 'hello there' });
    const events = await collect(sut.events.subscribe(`job:${job.id}`, { since: 0 }), ended);
    expect(events.at(-1)!.event).toMatchObject({
      type: 'job.completed',
      data: { result: { text: 'echo: hello there' } },
    });
    expect(events.map((e) => e.event.type)).toContain('job.active');
    // A subscription that picks its event types gets those only.
    const ends = await collect(sut.events.subscribe(`job:${job.id}`, { since: 0, events: ['job.completed'] }), ended);
    expect(ends.map((e) => [e.event.type, e.seq])).toEqual([['job.completed', events.at(-1)!.seq]]);
    expect((await sut.jobs.get(job.id)).status).toBe('completed');
    expect((await sut.jobs.context(job.id)).jobId).toBe(job.id);
    expect((await sut.jobs.list({ agentId: agent.id, status: ['completed'] })).items.map((j) => j.id)).toEqual([
      job.id,
    ]);
    expect((await sut.jobs.counts(agent.id)).completed).toBe(1);

    const slow = await sut.jobs.create({ agentId: agent.id, input: 'SLOW one' });
    const cancelled = await sut.jobs.cancel(slow.id);
    expect(cancelled.status).toBe('cancelled');
    const again = await sut.jobs.retry(slow.id);
    expect(again.status).not.toBe('cancelled');
    await sut.jobs.cancel(slow.id);
    const terminal = await sut.jobs.cancel(slow.id).catch((e: unknown) => e);
    expect(terminal).toBeInstanceOf(WizApiError);
  });

  it('talks in a DM, and manages schedules, providers, keys and memory', async () => {
    const agent = await sut.agents.create({ name: 'Chatty', role: 'talks' });
    const dm = await sut.conversations.create({ kind: 'dm', agentId: agent.id, userId: 'ann' });
    const sub = sut.events.subscribe(`conversation:${dm.id}`);
    await sub.ready;
    const mine = await sut.messages.post(dm.id, { userId: 'ann', content: 'hi' });
    expect(mine.jobIds).toHaveLength(1);
    const replies = await collect(
      sub,
      (e) => e.event.type === 'message.created' && e.event.data.message.author.kind === 'agent',
    );
    sub.close();
    const reply = replies.at(-1)!.event;
    expect(reply.type === 'message.created' && reply.data.message.content).toBe('echo: hi');
    expect((await sut.messages.list(dm.id)).items.map((m) => m.content)).toEqual(['echo: hi', 'hi']);

    const schedule = await sut.schedules.create({
      cron: '0 3 * * *',
      template: { agentId: agent.id, input: 'nightly' },
    });
    expect((await sut.schedules.list()).items.map((s) => s.id)).toContain(schedule.id);
    await sut.schedules.remove(schedule.id);

    const provider = await sut.providers.create({ name: 'local', baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'sk-x' });
    expect(provider).toMatchObject({ hasApiKey: true });
    expect(JSON.stringify(await sut.providers.get(provider.id))).not.toContain('sk-x');

    const key = await sut.keys.create({ name: 'ci' });
    expect(key.key.length).toBeGreaterThan(20);
    expect((await sut.keys.list()).items.map((k) => k.id)).toContain(key.id);
    await sut.keys.revoke(key.id);

    await sut.memory.save({
      agentId: agent.id,
      text: 'the invoice service runs on port 8443',
      metadata: { topic: 'billing' },
    });
    const found = await sut.memory.query({ agentId: agent.id, query: 'which port does the invoice service use' });
    expect(found.items[0]?.text).toContain('8443');
    const filtered = await sut.memory.query({ agentId: agent.id, filter: { topic: 'nothing' } });
    expect(filtered.items).toEqual([]);
  });

  it('resumes a job topic across a forced disconnect mid-stream: no gap, no duplicate', async () => {
    const agent = await sut.agents.create({ name: 'Streamer', role: 'streams' });
    const client = clients.open({ baseUrl: proxy.baseUrl, WebSocket });
    const states: string[] = [];
    client.events.onState((s) => states.push(s));
    try {
      const job = await client.jobs.create({ agentId: agent.id, input: 'STREAM please' });
      const seen: WizEvent[] = [];
      let cut = false;
      for await (const e of client.events.subscribe(`job:${job.id}`, { since: 0 })) {
        seen.push(e);
        // Cut every connection at the first streamed token: the job goes on meanwhile.
        if (e.live && !cut) cut = proxy.cut() > 0;
        if (ended(e)) break;
      }
      expect(cut).toBe(true);
      expect(states).toEqual(expect.arrayContaining(['open', 'reconnecting']));
      const durable = seen.filter((e) => !e.live).map((e) => e.seq!);
      expect(durable).toEqual([...durable].sort((a, b) => a - b));
      expect(new Set(durable).size).toBe(durable.length);

      // What a fresh subscriber replays from the start is exactly what the resumed one saw.
      const replay = await collect(sut.events.subscribe(`job:${job.id}`, { since: 0 }), ended);
      expect(durable).toEqual(replay.map((e) => e.seq));
      expect(seen.at(-1)!.event.type).toBe('job.completed');
    } finally {
      client.close();
    }
  });
  it('resumes a topic that got no event yet from the position the subscribed frame gave', async () => {
    // A long first backoff: the agent below is created while the client is surely disconnected.
    const client = clients.open({ baseUrl: proxy.baseUrl, WebSocket, backoffMs: 1500 });
    const direct = clients.open({ baseUrl: server.baseUrl, WebSocket });
    try {
      const sub = client.events.subscribe('owner');
      await sub.ready;
      expect(sub.lastSeq).toEqual(expect.any(Number));
      const reconnecting = new Promise<void>((r) => client.events.onState((s) => s === 'reconnecting' && r()));
      expect(proxy.cut()).toBeGreaterThan(0);
      await reconnecting;
      const agent = await direct.agents.create({ name: 'Made during the gap', role: 'is replayed' });
      expect(client.events.state).toBe('reconnecting');
      const seen = await collect(sub, (e) => e.event.type === 'agent.created' && e.event.data.agent.id === agent.id);
      expect(seen.at(-1)!.seq).toBeGreaterThan(0);
    } finally {
      client.close();
      direct.close();
    }
  });
});

describe(`${WizClient.name} with authentication on`, () => {
  const iso = isolation('clientauth');
  const clients = new WizClients();
  const llm = new FakeLlmServer({ rules: [] });
  let server: InProcessServer;

  beforeAll(async () => {
    server = await startServerInProcess(iso, await llm.start(), { WIZ_AUTH: 'on', WIZ_ADMIN_KEY: ADMIN_KEY });
  });

  afterAll(async () => {
    clients.closeAll();
    await server?.close();
    await llm.stop();
    await cleanup(iso);
  });

  it('sends the key on REST and in the socket auth frame; a bad key is unauthorized', async () => {
    const admin = clients.open({ baseUrl: server.baseUrl, apiKey: ADMIN_KEY, WebSocket });
    const anonymous = clients.open({ baseUrl: server.baseUrl, WebSocket });
    const wrong = clients.open({ baseUrl: server.baseUrl, apiKey: 'not-a-key', WebSocket });
    try {
      const agent = await admin.agents.create({ name: 'Guarded', role: 'guards' });
      await expect(admin.events.subscribe(`agent:${agent.id}`).ready).resolves.toBeUndefined();
      await expect(anonymous.agents.list()).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
      await expect(wrong.events.subscribe('owner').ready).rejects.toMatchObject({ code: 'unauthorized' });
      await expect(admin.events.subscribe('agent:00000000-0000-4000-8000-000000000000').ready).rejects.toMatchObject({
        code: 'not_found',
      });
    } finally {
      [admin, anonymous, wrong].forEach((c) => c.close());
    }
  });
});
