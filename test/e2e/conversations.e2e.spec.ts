import type { Message, ServerFrame } from '@wiz/contracts';
import { BuildSnapshot, snapshotBuild } from '../support/built-app';
import { WizCluster } from '../support/wiz-cluster';
import { WsClient } from '../support/ws-client';

type EventFrame = Extract<ServerFrame, { type: 'event' }>;
const isEvent = (f: ServerFrame): f is EventFrame => f.type === 'event';

// A person talks to an agent with the gateway and the runtime as separate processes (the built
// entries): the runtime ends the job, so the reply is posted there, by the settle hook.
describe('conversations across gateway and runtime processes', () => {
  let build: BuildSnapshot;
  let cluster: WizCluster;

  beforeAll(async () => {
    build = await snapshotBuild();
    cluster = await WizCluster.start(build, 'convproc', [
      { match: { lastUserContains: 'BOOM' }, reply: { status: 500, errorMessage: 'upstream exploded' } },
      { reply: { content: 'echo: {{lastUserFirstLine}}' } },
    ]);
    await cluster.spawn('gateway');
    await cluster.spawn('runtime');
  });

  afterAll(async () => {
    await cluster?.dispose();
    build?.remove();
  });

  it('answers a DM and apologises for a failure, live on conversation:<id>', async () => {
    const agentId = (await cluster.api('POST', '/api/v1/agents', { name: 'Ada', role: 'a helper' })).body.id;
    const dm = await cluster.api('POST', '/api/v1/conversations', { kind: 'dm', agentId, userId: 'ann' });
    expect(dm.status).toBe(201);
    const ws = await WsClient.open(cluster.gateway!.baseUrl.replace('http', 'ws') + '/ws');
    try {
      ws.send({ type: 'subscribe', topic: `conversation:${dm.body.id}` });
      await ws.take(1, (f) => f.type === 'subscribed');
      const isMessage = (f: ServerFrame) => isEvent(f) && f.event.type === 'message.created';
      const message = (f: ServerFrame) => (f as EventFrame).event.data['message'] as Message;

      expect(
        (await cluster.api('POST', `/api/v1/conversations/${dm.body.id}/messages`, { userId: 'ann', content: 'hi' }))
          .status,
      ).toBe(201);
      const [mine, reply] = await ws.take(2, isMessage);
      expect([message(mine!).author.kind, message(mine!).content]).toEqual(['user', 'hi']);
      expect(message(reply!)).toMatchObject({
        author: { kind: 'agent', id: agentId },
        role: 'assistant',
        content: 'echo: hi',
      });

      await cluster.api('POST', `/api/v1/conversations/${dm.body.id}/messages`, { userId: 'ann', content: 'BOOM' });
      const [, apology] = await ws.take(2, isMessage);
      expect(message(apology!)).toMatchObject({ author: { kind: 'agent', id: agentId }, role: 'system' });
      expect(message(apology!).content).toMatch(/^Sorry, I could not answer this: .*upstream exploded.*retry/s);
    } finally {
      await ws.close();
    }
    expect((await cluster.api('GET', `/api/v1/agents/${agentId}`)).body.status).toBe('active');
  });
});
