import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource, IsNull } from 'typeorm';
import type { ServerFrame } from '@wiz/contracts';
import {
  ConversationEntity,
  ConversationParticipantEntity,
  MessageEntity,
  MessagesRepository,
  WebhookDeliveryEntity,
} from '@wiz/persistence';
import { asKey, HttpResult } from '../support/http';
import { cleanup, isolation } from '../support/isolation';
import { InProcessGateway, startGatewayInProcess } from '../support/gateway-app';
import { WsClient } from '../support/ws-client';

type Store = 'postgres' | 'sqlite';
type As = ReturnType<typeof asKey>;
type EventFrame = Extract<ServerFrame, { type: 'event' }>;

// Deleting a conversation or a project: what goes with it, what refuses it, and what a message,
// a member or a channel added at the same moment (on another gateway, Postgres) finds. Gateways
// only: a DM's jobs stay queued (no runtime), which is what a deletion must refuse.
describe.each<[Store]>([['postgres'], ['sqlite']])('deleting conversations and projects on %s', (store) => {
  const iso = isolation(`condel${store}`);
  const ADMIN = 'd'.repeat(40);
  const dataDir = mkdtempSync(join(tmpdir(), 'wiz-condel-'));
  // Postgres: two gateways on one store, so that a deletion and an addition race across
  // processes' transactions. SQLite is for one process.
  const gateways: InProcessGateway[] = [];
  let owners = 0;
  let ds: DataSource;

  beforeAll(async () => {
    const env = {
      WIZ_AUTH: 'on',
      WIZ_ADMIN_KEY: ADMIN,
      WIZ_ALLOW_PRIVATE_URLS: 'true',
      ...(store === 'sqlite' && { DATABASE_URL: '', WIZ_DATA_DIR: dataDir }),
    };
    gateways.push(await startGatewayInProcess(iso, env));
    if (store === 'postgres') gateways.push(await startGatewayInProcess(iso, env));
    ds = gateways[0]!.app.get(DataSource);
  });

  afterAll(async () => {
    for (const g of gateways) await g.close();
    await cleanup(iso);
    rmSync(dataDir, { recursive: true, force: true });
  });

  const via = (i: number) => gateways[i % gateways.length]!.baseUrl;
  async function newOwner(): Promise<{ as: (i: number) => As; key: string; agentId: string; ownerId: string }> {
    const admin = asKey(via(0), ADMIN);
    const ownerId = `tenant-${store}-${owners++}`;
    const key: string = (await admin('POST', '/api/v1/keys', { ownerId })).body.key;
    const as = (i: number) => asKey(via(i), key);
    const agentId: string = (await as(0)('POST', '/api/v1/agents', { name: 'Ada', role: 'r' })).body.id;
    return { as, key, agentId, ownerId };
  }
  const stored = async (conversationId: string) => ({
    conversations: await ds.getRepository(ConversationEntity).countBy({ id: conversationId, deletedAt: IsNull() }),
    participants: await ds.getRepository(ConversationParticipantEntity).countBy({ conversationId }),
    messages: await ds.getRepository(MessageEntity).countBy({ conversationId }),
  });
  const none = { conversations: 0, participants: 0, messages: 0 };
  const codes = (rs: HttpResult[]) => [...new Set(rs.map((r) => `${r.status} ${r.body?.code ?? ''}`.trim()))].sort();

  it("refuses while one of its jobs has not ended, naming it; once ended, deletes it with its members and messages, the topic's last event saying so", async () => {
    const { as, key, agentId } = await newOwner();
    const id: string = (await as(0)('POST', '/api/v1/conversations', { kind: 'dm', agentId, userId: 'ann' })).body.id;
    const posted = await as(0)('POST', `/api/v1/conversations/${id}/messages`, { userId: 'ann', content: 'hello' });
    expect(posted.status).toBe(201);
    const [jobId] = posted.body.jobIds as string[];

    const refused = await as(1)('DELETE', `/api/v1/conversations/${id}`);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'conflict', message: expect.stringContaining(jobId!) });
    expect(await stored(id)).toEqual({ conversations: 1, participants: 2, messages: 1 });

    const ws = await WsClient.open(gateways[0]!.wsUrl, key);
    try {
      ws.send({ type: 'subscribe', topic: `conversation:${id}` });
      await ws.take(1, (f) => f.type === 'subscribed');
      expect((await as(0)('POST', `/api/v1/jobs/${jobId}/cancel`)).status).toBe(200);
      expect((await as(1)('DELETE', `/api/v1/conversations/${id}`)).status).toBe(204);
      const [deleted] = (await ws.take(
        1,
        (f) => f.type === 'event' && f.event.type === 'conversation.deleted',
      )) as EventFrame[];
      expect(deleted!.event).toMatchObject({ conversationId: id, data: { conversationId: id } });
    } finally {
      await ws.close();
    }
    expect(await stored(id)).toEqual(none);
    expect((await as(0)('GET', `/api/v1/conversations/${id}`)).status).toBe(404);
    expect((await as(0)('GET', `/api/v1/conversations/${id}/messages`)).status).toBe(404);
    expect((await as(0)('GET', '/api/v1/conversations')).body.total).toBe(0);
    expect((await as(1)('DELETE', `/api/v1/conversations/${id}`)).status).toBe(404);
    const after = await as(0)('POST', `/api/v1/conversations/${id}/messages`, { userId: 'ann', content: 'hi?' });
    expect(after.status).toBe(404);
    // Its jobs stay, with the conversation's id.
    expect((await as(0)('GET', `/api/v1/jobs/${jobId}`)).body).toMatchObject({
      status: 'cancelled',
      conversationId: id,
    });
  });

  it("deletes more messages than one statement takes on SQLite (2,000), and no other conversation's", async () => {
    const { as, agentId, ownerId } = await newOwner();
    const dms: string[] = [];
    for (const userId of ['ann', 'bob'])
      dms.push((await as(0)('POST', '/api/v1/conversations', { kind: 'dm', agentId, userId })).body.id);
    const now = Date.now();
    for (const [c, count] of [
      [dms[0]!, 4_500],
      [dms[1]!, 10],
    ] as const)
      for (let from = 0; from < count; from += 100) {
        const rows = Array.from({ length: Math.min(100, count - from) }, (_, i) =>
          Object.assign(new MessageEntity(), {
            id: randomUUID(),
            ownerId,
            conversationId: c,
            authorKind: 'user',
            authorId: 'ann',
            authorName: null,
            content: `m${from + i}`,
            role: 'user',
            toolData: null,
            jobIds: [],
            createdAt: new Date(now + from + i),
            updatedAt: new Date(now),
            deletedAt: null,
          } satisfies MessageEntity),
        );
        await gateways[0]!.app.get(MessagesRepository).insertMany(rows);
      }
    expect((await as(1)('DELETE', `/api/v1/conversations/${dms[0]}`)).status).toBe(204);
    expect(await stored(dms[0]!)).toEqual(none);
    expect(await stored(dms[1]!)).toEqual({ conversations: 1, participants: 2, messages: 10 });
  });

  it("tells the owner's topic and webhooks of a deletion that is the conversation's first event, and refuses its own topic after", async () => {
    const { as, key, agentId, ownerId } = await newOwner();
    const hook = { url: 'http://127.0.0.1:9/hook', events: ['conversation.*'], secret: 's'.repeat(16) };
    const webhookId: string = (await as(0)('POST', '/api/v1/webhooks', hook)).body.id;
    const projectId: string = (await as(0)('POST', '/api/v1/projects', { name: 'P' })).body.id;
    // A channel nobody spoke in: no event named it before its deletion, so no gateway knows its owner yet.
    const id: string = (
      await as(0)('POST', '/api/v1/conversations', { kind: 'channel', projectId, name: 'new', agentIds: [agentId] })
    ).body.id;
    const ws = await WsClient.open(gateways[0]!.wsUrl, key);
    try {
      ws.send({ type: 'subscribe', topic: 'owner' });
      await ws.take(1, (f) => f.type === 'subscribed');
      expect((await as(1)('DELETE', `/api/v1/conversations/${id}`)).status).toBe(204);
      // Its webhook delivery was recorded with the event, in its transaction (no runtime here sends it).
      const deliveries = await ds.getRepository(WebhookDeliveryEntity).findBy({ webhookId });
      expect(deliveries.map((d) => [d.eventType, d.ownerId])).toEqual([['conversation.deleted', ownerId]]);
      const [seen] = (await ws.take(
        1,
        (f) => f.type === 'event' && f.event.type === 'conversation.deleted',
      )) as EventFrame[];
      expect(seen).toMatchObject({ topic: 'owner', event: { conversationId: id } });
      expect(deliveries.map((d) => d.eventId)).toEqual([seen!.event.id]);
      ws.send({ type: 'subscribe', topic: `conversation:${id}` });
      const [refused] = await ws.take(1, (f) => f.type === 'error');
      expect(refused).toMatchObject({ type: 'error', code: 'not_found' });
    } finally {
      await ws.close();
    }
  });

  it("answers another owner's conversation or project like an unknown one, and changes nothing", async () => {
    const a = await newOwner();
    const b = await newOwner();
    const projectId: string = (await a.as(0)('POST', '/api/v1/projects', { name: 'P' })).body.id;
    const id: string = (
      await a.as(0)('POST', '/api/v1/conversations', { kind: 'channel', projectId, name: 'c', agentIds: [a.agentId] })
    ).body.id;
    expect((await b.as(1)('DELETE', `/api/v1/conversations/${id}`)).status).toBe(404);
    expect((await b.as(1)('DELETE', `/api/v1/projects/${projectId}`)).status).toBe(404);
    expect((await b.as(1)('DELETE', '/api/v1/conversations/not-a-uuid')).status).toBe(404);
    expect(await stored(id)).toEqual({ conversations: 1, participants: 1, messages: 0 });
    expect((await a.as(0)('GET', `/api/v1/projects/${projectId}`)).status).toBe(200);
  });

  it('keeps a project while it has channels; an empty one is deleted, and takes no channel after', async () => {
    const { as, agentId } = await newOwner();
    const projectId: string = (await as(0)('POST', '/api/v1/projects', { name: 'P' })).body.id;
    const channel = (i: number) =>
      as(i)('POST', '/api/v1/conversations', { kind: 'channel', projectId, name: `c${i}`, agentIds: [agentId] });
    const id: string = (await channel(0)).body.id;
    const refused = await as(1)('DELETE', `/api/v1/projects/${projectId}`);
    expect(refused.status).toBe(409);
    expect(refused.body.message).toMatch(/still has 1 channel/);
    expect((await as(0)('DELETE', `/api/v1/conversations/${id}`)).status).toBe(204);
    expect((await as(1)('DELETE', `/api/v1/projects/${projectId}`)).status).toBe(204);
    expect((await as(0)('GET', `/api/v1/projects/${projectId}`)).status).toBe(404);
    expect((await channel(1)).status).toBe(404);
    expect((await as(0)('GET', '/api/v1/conversations')).body.total).toBe(0);
  });

  it('lets no message or member land in a conversation deleted at the same moment', async () => {
    const { as, agentId } = await newOwner();
    const projectId: string = (await as(0)('POST', '/api/v1/projects', { name: 'P' })).body.id;
    const id: string = (
      await as(0)('POST', '/api/v1/conversations', {
        kind: 'channel',
        projectId,
        name: 'busy',
        agentIds: [agentId],
        users: [{ userId: 'ann' }],
      })
    ).body.id;
    // Messages mention no agent (no job to refuse the deletion), members join: both gateways.
    const adds = (from: number) =>
      Array.from({ length: 12 }, (_, i) =>
        i % 3 === 2
          ? as(from + i)('POST', `/api/v1/conversations/${id}/participants`, { kind: 'user', userId: `u${from + i}` })
          : as(from + i)('POST', `/api/v1/conversations/${id}/messages`, { userId: 'ann', content: `m${from + i}` }),
      );
    const early = adds(0);
    const removal = as(1)('DELETE', `/api/v1/conversations/${id}`);
    const late = adds(100);
    const results = await Promise.all([...early, ...late]);
    expect((await removal).status).toBe(204);
    // Each addition committed before the deletion (and went with it) or found it gone.
    expect(codes(results).every((c) => c === '201' || c === '404 not_found')).toBe(true);
    expect(await stored(id)).toEqual(none);
  });

  it('lets no channel land in a project deleted at the same moment', async () => {
    const { as, agentId } = await newOwner();
    for (let round = 0; round < 3; round++) {
      const projectId: string = (await as(0)('POST', '/api/v1/projects', { name: `P${round}` })).body.id;
      const creates = Array.from({ length: 6 }, (_, i) =>
        as(i)('POST', '/api/v1/conversations', { kind: 'channel', projectId, name: `c${i}`, agentIds: [agentId] }),
      );
      const removal = await as(1)('DELETE', `/api/v1/projects/${projectId}`);
      const created = await Promise.all(creates);
      const channels = await ds.getRepository(ConversationEntity).countBy({ projectId, deletedAt: IsNull() });
      expect(channels).toBe(created.filter((r) => r.status === 201).length);
      if (removal.status === 204) {
        // Deleted: no channel committed before it (it would have refused), none after.
        expect(channels).toBe(0);
        expect((await as(0)('GET', `/api/v1/projects/${projectId}`)).status).toBe(404);
      } else {
        expect(removal.status).toBe(409);
        expect(channels).toBeGreaterThan(0);
        expect((await as(0)('GET', `/api/v1/projects/${projectId}`)).status).toBe(200);
      }
      expect(codes(created).every((c) => c === '201' || c === '404 not_found')).toBe(true);
    }
  });
});
