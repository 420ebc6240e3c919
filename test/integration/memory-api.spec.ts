import type { ServerFrame } from '@wiz/contracts';
import { FakeLlmServer } from '../../apps/fake-llm/src/fake-llm.server';
import { http, HttpResult } from '../support/http';
import { cleanup, isolation } from '../support/isolation';
import { InProcessServer, startServerInProcess } from '../support/server-app';
import { WsClient } from '../support/ws-client';

type EventFrame = Extract<ServerFrame, { type: 'event' }>;

// The product's memory and behavior endpoints on the agents' memory store: the
// scripted model's embeddings are a hashed bag of words, so texts sharing words are close.
describe('memory and behavior API', () => {
  const iso = isolation('memapi');
  const llm = new FakeLlmServer({ rules: [] });
  let sut: InProcessServer;
  let api: (method: string, path: string, body?: unknown) => Promise<HttpResult>;
  let agentId: string;

  beforeAll(async () => {
    sut = await startServerInProcess(iso, await llm.start());
    api = (method, path, body) => http(sut.baseUrl, method, path, body);
    agentId = (await api('POST', '/api/v1/agents', { name: 'Keeper', role: 'remembers' })).body.id;
  });

  afterAll(async () => {
    await sut?.close();
    await llm.stop();
    await cleanup(iso);
  });

  it('saves items (published as memory.update) and finds them by meaning and by metadata', async () => {
    const ws = await WsClient.open(sut.wsUrl);
    try {
      ws.send({ type: 'subscribe', topic: `agent:${agentId}` });
      await ws.take(1, (f) => f.type === 'subscribed');
      const saved = await api('POST', '/api/v1/memory/save', {
        agentId,
        text: 'the invoice service runs on port 8443',
        metadata: { topic: 'billing' },
      });
      expect(saved).toMatchObject({ status: 201, body: { embedded: true } });
      await api('POST', '/api/v1/memory/save', {
        agentId,
        text: 'lunch is served at noon in the cafeteria',
        metadata: { topic: 'office' },
      });
      const [update] = (await ws.take(
        1,
        (f) => f.type === 'event' && f.event.type === 'memory.update',
      )) as EventFrame[];
      expect(update!.event.data).toMatchObject({
        item: { id: saved.body.id, text: 'the invoice service runs on port 8443', metadata: { topic: 'billing' } },
      });
    } finally {
      await ws.close();
    }
    const byMeaning = await api(
      'GET',
      `/api/v1/memory/query?agentId=${agentId}&query=${encodeURIComponent('which port does the invoice service use')}&limit=2`,
    );
    expect(byMeaning.status).toBe(200);
    expect(byMeaning.body.items.map((i: { text: string }) => i.text)).toEqual([
      'the invoice service runs on port 8443',
      'lunch is served at noon in the cafeteria',
    ]);
    expect(byMeaning.body.items[0].score).toBeGreaterThan(byMeaning.body.items[1].score);
    const byFilter = await api(
      'GET',
      `/api/v1/memory/query?agentId=${agentId}&filter=${encodeURIComponent('{"topic":"office"}')}`,
    );
    expect(byFilter.body.items.map((i: { text: string }) => i.text)).toEqual([
      'lunch is served at noon in the cafeteria',
    ]);
  });

  it('refuses a bad filter, an unknown agent and an empty text, and stores nothing', async () => {
    const before = (await api('GET', `/api/v1/memory/query?agentId=${agentId}&limit=100`)).body.items.length;
    expect(await api('GET', `/api/v1/memory/query?agentId=${agentId}&filter=nope`)).toMatchObject({
      status: 400,
      body: { code: 'validation_failed' },
    });
    expect(await api('POST', '/api/v1/memory/save', { agentId: crypto.randomUUID(), text: 'x' })).toMatchObject({
      status: 404,
      body: { code: 'not_found' },
    });
    expect(await api('POST', '/api/v1/memory/save', { agentId, text: '  ' })).toMatchObject({
      status: 400,
      body: { code: 'validation_failed' },
    });
    expect((await api('GET', `/api/v1/memory/query?agentId=${agentId}&limit=100`)).body.items).toHaveLength(before);
  });

  it('adjusts behavior with the agent in the body, as POST /agents/:id/behavior does', async () => {
    const r = await api('POST', '/api/v1/behavior/adjust', { agentId, rules: ['answer in French'] });
    expect(r).toMatchObject({
      status: 200,
      body: { id: agentId, behaviorRules: ['answer in French'], behaviorVersion: 1 },
    });
    const again = await api('POST', '/api/v1/behavior/adjust', {
      agentId,
      rules: ['be brief'],
      remove: ['answer in French'],
    });
    expect(again.body).toMatchObject({ behaviorRules: ['be brief'], behaviorVersion: 2 });
    expect(await api('POST', '/api/v1/behavior/adjust', { agentId, rules: [] })).toMatchObject({ status: 400 });
  });
});
