import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConversationJobData, Message, ServerFrame } from '@wiz/contracts';
import { FakeLlmServer } from '../../apps/fake-llm/src/fake-llm.server';
import { http, HttpResult } from '../support/http';
import { cleanup, isolation } from '../support/isolation';
import { InProcessServer, startServerInProcess } from '../support/server-app';
import { until } from '../support/until';
import { WsClient } from '../support/ws-client';

type EventFrame = Extract<ServerFrame, { type: 'event' }>;
const isEvent = (f: ServerFrame): f is EventFrame => f.type === 'event';
const WINDOW = 3;

// People talk to agents: gateway and runtime in one process on the real bus and
// store, the scripted model over HTTP, driven over REST and a real WebSocket like a client.
describe.each<['postgres' | 'sqlite']>([['postgres'], ['sqlite']])('conversations on %s', (store) => {
  const iso = isolation(`conv${store}`);
  const dataDir = mkdtempSync(join(tmpdir(), 'wiz-conv-'));
  const llm = new FakeLlmServer({
    rules: [
      { match: { lastUserContains: 'BOOM' }, reply: { status: 500, errorMessage: 'upstream exploded' } },
      {
        match: { lastUserContains: 'POSTNOTE', hasToolResult: false },
        reply: { toolCalls: [{ name: 'post_to_channel', arguments: { message: 'a note first' } }] },
      },
      { match: { lastUserRegex: '^(u1: )?slow' }, reply: { content: 'slowly: {{lastUserFirstLine}}', delayMs: 1_500 } },
      // Wiz appends the conversation (job data) after the input: echo the input only.
      { reply: { content: 'echo: {{lastUserFirstLine}}' } },
    ],
  });
  let sut: InProcessServer;
  let api: (method: string, path: string, body?: unknown) => Promise<HttpResult>;

  beforeAll(async () => {
    const llmUrl = await llm.start();
    const sqlite: Record<string, string> = store === 'sqlite' ? { DATABASE_URL: '', WIZ_DATA_DIR: dataDir } : {};
    sut = await startServerInProcess(iso, llmUrl, { WIZ_CONVERSATION_CONTEXT_MESSAGES: String(WINDOW), ...sqlite });
    api = (method, path, body) => http(sut.baseUrl, method, path, body);
  });

  afterAll(async () => {
    await sut?.close();
    await llm.stop();
    await cleanup(iso);
    rmSync(dataDir, { recursive: true, force: true });
  });

  const agent = async (name: string, over: object = {}): Promise<string> => {
    const r = await api('POST', '/api/v1/agents', { name, role: 'a helper', ...over });
    expect(r.status).toBe(201);
    return r.body.id;
  };
  const dm = async (agentId: string, userId = 'ann'): Promise<string> => {
    const r = await api('POST', '/api/v1/conversations', { kind: 'dm', agentId, userId, userName: 'Ann' });
    expect(r.status).toBe(201);
    return r.body.id;
  };
  const say = async (
    conversationId: string,
    content: string,
    userId = 'ann',
  ): Promise<HttpResult<Message & { code?: string; message?: string }>> =>
    api('POST', `/api/v1/conversations/${conversationId}/messages`, { userId, content });
  const messages = async (conversationId: string): Promise<Message[]> =>
    (await api('GET', `/api/v1/conversations/${conversationId}/messages?limit=200`)).body.items;
  /** Waits for the agent messages answering `jobIds`; returns every message, oldest first. */
  const replies = async (conversationId: string, jobIds: string[]): Promise<Message[]> => {
    let all: Message[] = [];
    await until(
      async () => {
        all = (await messages(conversationId)).reverse();
        return jobIds.every((j) => all.some((m) => m.author.kind === 'agent' && m.jobIds.includes(j)));
      },
      20_000,
      `replies to ${jobIds.join(', ')}`,
      () => JSON.stringify(all),
    );
    return all;
  };
  const job = async (id: string) => (await api('GET', `/api/v1/jobs/${id}`)).body;

  it("answers a person's DM: the message makes a job, its reply is the agent's message, live on conversation:<id>", async () => {
    const agentId = await agent('Ada');
    const id = await dm(agentId);
    const ws = await WsClient.open(sut.wsUrl);
    try {
      ws.send({ type: 'subscribe', topic: `conversation:${id}` });
      await ws.take(1, (f) => f.type === 'subscribed');
      const posted = await say(id, 'hello Ada');
      expect(posted.status).toBe(201);
      expect(posted.body).toMatchObject({
        conversationId: id,
        author: { kind: 'user', id: 'ann', name: 'Ann' },
        content: 'hello Ada',
        role: 'user',
      });
      const [jobId] = posted.body.jobIds;
      expect(posted.body.jobIds).toHaveLength(1);

      // Everything up to the agent's reply (the second message.created), in stream order.
      const frames: EventFrame[] = [];
      while (frames.filter((f) => f.event.type === 'message.created').length < 2)
        frames.push(...((await ws.take(1, isEvent)) as EventFrame[]));
      const lifecycle = frames.filter((f) => /^(job|message)\./.test(f.event.type));
      expect(lifecycle.map((f) => [f.event.type, f.event.conversationId])).toEqual([
        ['message.created', id],
        ['job.created', id],
        ['job.active', id],
        ['job.completed', id],
        ['message.created', id],
      ]);
      // The agent's status, busy then active again, on the conversation's topic too.
      const statuses = frames
        .filter((f) => f.event.type === 'agent.status')
        .map((f) => (f.event.data as { status: string }).status);
      expect(statuses).toEqual(['busy', 'active']);
      expect(frames.every((f) => f.topic === `conversation:${id}`)).toBe(true);
      const reply = lifecycle[4]!.event.data as { message: Message };
      expect(reply.message).toMatchObject({
        author: { kind: 'agent', id: agentId, name: 'Ada' },
        role: 'assistant',
        content: 'echo: hello Ada',
        jobIds: [jobId],
      });
      expect(await job(jobId!)).toMatchObject({ status: 'completed', conversationId: id, input: 'hello Ada' });

      // Resume: a client that saw the first frame gets the rest again, in order, from the stream.
      const late = await WsClient.open(sut.wsUrl);
      late.send({ type: 'subscribe', topic: `conversation:${id}`, since: frames[0]!.seq });
      const replayed = (await late.take(frames.length - 1, isEvent)) as EventFrame[];
      expect(replayed.map((f) => f.seq)).toEqual(frames.slice(1).map((f) => f.seq));
      await late.close();
    } finally {
      await ws.close();
    }
    const listed = await messages(id);
    expect(listed.map((m) => [m.author.kind, m.content])).toEqual([
      ['agent', 'echo: hello Ada'],
      ['user', 'hello Ada'],
    ]);
  });

  it('puts the message before its job and the job before the reply, in every run', async () => {
    const agentId = await agent('Orderly');
    const id = await dm(agentId);
    const ws = await WsClient.open(sut.wsUrl);
    try {
      ws.send({ type: 'subscribe', topic: `conversation:${id}` });
      await ws.take(1, (f) => f.type === 'subscribed');
      for (let run = 0; run < 5; run++) {
        const posted = await say(id, `run ${run}`);
        expect(posted.status).toBe(201);
        const [jobId] = posted.body.jobIds;
        const frames: EventFrame[] = [];
        while (frames.filter((f) => f.event.type === 'message.created').length < 2)
          frames.push(...((await ws.take(1, isEvent)) as EventFrame[]));
        const lifecycle = frames.filter((f) => /^(job|message)\./.test(f.event.type));
        expect(lifecycle.map((f) => f.event.type)).toEqual([
          'message.created',
          'job.created',
          'job.active',
          'job.completed',
          'message.created',
        ]);
        expect((lifecycle[0]!.event.data as { message: Message }).message).toMatchObject({
          id: posted.body.id,
          jobIds: [jobId],
        });
        expect(lifecycle.slice(1, 4).every((f) => f.event.jobId === jobId)).toBe(true);
        expect(frames.map((f) => f.seq)).toEqual([...frames.map((f) => f.seq)].sort((a, b) => a - b));
      }
    } finally {
      await ws.close();
    }
  });

  it("carries its agents' own events, and no other agent's", async () => {
    const [mine, other] = [await agent('Member'), await agent('Outsider')];
    const id = await dm(mine);
    const ws = await WsClient.open(sut.wsUrl);
    const replay = await WsClient.open(sut.wsUrl);
    try {
      ws.send({ type: 'subscribe', topic: `conversation:${id}` });
      await ws.take(1, (f) => f.type === 'subscribed');
      expect((await api('PATCH', `/api/v1/agents/${other}`, { goal: 'not here' })).status).toBe(200);
      expect((await api('PATCH', `/api/v1/agents/${mine}`, { goal: 'seen here' })).status).toBe(200);
      const [live] = (await ws.take(1, isEvent)) as EventFrame[];
      expect(live!.event).toMatchObject({ type: 'agent.updated', agentId: mine });

      replay.send({ type: 'subscribe', topic: `conversation:${id}`, since: 0 });
      const replayed = (await replay.take(2, isEvent)) as EventFrame[];
      expect(replayed.map((f) => [f.event.type, f.event.agentId])).toEqual([
        ['agent.created', mine],
        ['agent.updated', mine],
      ]);
      expect(replayed[1]!.seq).toBe(live!.seq);
    } finally {
      await replay.close();
      await ws.close();
    }
  });

  it('serves the conversation topic as Server-Sent Events too', async () => {
    const id = await dm(await agent('Streamer'));
    await replies(id, (await say(id, 'over SSE')).body.jobIds);
    const ctrl = new AbortController();
    const res = await fetch(`${sut.baseUrl}/api/v1/conversations/${id}/events?since=0`, { signal: ctrl.signal });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    while ((text.match(/event: message.created/g) ?? []).length < 2)
      text += new TextDecoder().decode((await reader.read()).value);
    ctrl.abort();
    const types = [...text.matchAll(/^event: (\S+)$/gm)].map((m) => m[1]!);
    // The agent loop's own events (agent.status, agent.step…) come between these.
    expect(types.filter((t) => /^(agent\.created|job\.|message\.)/.test(t))).toEqual([
      'agent.created',
      'message.created',
      'job.created',
      'job.active',
      'job.completed',
      'message.created',
    ]);
  });

  it('posts a clear apology with a retry hint when the job fails', async () => {
    const agentId = await agent('Fragile');
    const id = await dm(agentId);
    const posted = await say(id, 'BOOM please');
    const [jobId] = posted.body.jobIds;
    const all = await replies(id, [jobId!]);
    const apology = all.find((m) => m.author.kind === 'agent')!;
    expect(apology.role).toBe('system');
    expect(apology.content).toMatch(/^Sorry, I could not answer this: .*500.*upstream exploded/s);
    expect(apology.content).toContain(`POST /api/v1/jobs/${jobId}/retry`);
    expect(await job(jobId!)).toMatchObject({ status: 'failed' });
    expect((await api('GET', `/api/v1/agents/${agentId}`)).body.status).toBe('active');
  });

  it('answers two conversations with one agent, each in its own conversation', async () => {
    const agentId = await agent('Shared');
    const [a, b] = [await dm(agentId, 'ann'), await dm(agentId, 'bob')];
    const [pa, pb] = await Promise.all([say(a, 'from ann'), say(b, 'from bob', 'bob')]);
    const [ra, rb] = await Promise.all([replies(a, pa.body.jobIds), replies(b, pb.body.jobIds)]);
    expect(ra.map((m) => m.content)).toEqual(['from ann', 'echo: from ann']);
    expect(rb.map((m) => m.content)).toEqual(['from bob', 'echo: from bob']);
  });

  it("signs a reply with the agent's name as it is when it answers", async () => {
    const agentId = await agent('Before');
    const id = await dm(agentId);
    expect((await api('PATCH', `/api/v1/agents/${agentId}`, { name: 'After' })).status).toBe(200);
    const posted = await say(id, 'who are you');
    const [, reply] = await replies(id, posted.body.jobIds);
    expect(reply!.author).toEqual({ kind: 'agent', id: agentId, name: 'After' });
  });

  it('queues a second message by default: both are answered, in order', async () => {
    const agentId = await agent('Patient');
    const id = await dm(agentId);
    const first = await say(id, 'slow one');
    const second = await say(id, 'two');
    expect(second.status).toBe(201);
    const all = await replies(id, [...first.body.jobIds, ...second.body.jobIds]);
    expect(all.map((m) => m.content)).toEqual(['slow one', 'two', 'slowly: slow one', 'echo: two']);
  });

  it('rejects a second message with 409 and stores nothing when the policy is reject', async () => {
    const agentId = await agent('Strict', { doubleTexting: 'reject' });
    expect((await api('GET', `/api/v1/agents/${agentId}`)).body.doubleTexting).toBe('reject');
    const id = await dm(agentId);
    const first = await say(id, 'slow question');
    const second = await say(id, 'are you there?');
    expect({ status: second.status, code: second.body.code }).toEqual({ status: 409, code: 'conflict' });
    expect(second.body.message).toMatch(/still answering.*"reject"/);
    expect((await messages(id)).map((m) => m.content)).toEqual(['slow question']);
    await replies(id, first.body.jobIds);
    expect((await say(id, 'now?')).status).toBe(201);
  });

  it('interrupts the running answer and answers the new message when the policy is interrupt', async () => {
    const agentId = await agent('Eager');
    expect((await api('PATCH', `/api/v1/agents/${agentId}`, { doubleTexting: 'interrupt' })).body.doubleTexting).toBe(
      'interrupt',
    );
    const id = await dm(agentId);
    const first = await say(id, 'slow thought');
    await until(async () => (await job(first.body.jobIds[0]!)).status === 'active', 10_000, 'first job active');
    const second = await say(id, 'never mind, this');
    const all = await replies(id, second.body.jobIds);
    expect(await job(first.body.jobIds[0]!)).toMatchObject({
      status: 'cancelled',
      failureReason: 'interrupted by a newer message',
    });
    expect(all.filter((m) => m.author.kind === 'agent').map((m) => m.content)).toEqual(['echo: never mind, this']);
  });

  it('gives the agent the last messages as context and summarises the older ones', async () => {
    const agentId = await agent('Memo');
    const id = await dm(agentId);
    for (let i = 1; i <= 3; i++) await replies(id, (await say(id, `note ${i}`)).body.jobIds);
    llm.reset();
    const last = await say(id, 'note 4');
    await replies(id, last.body.jobIds);
    const request = llm.requests.find((r) => JSON.stringify(r.body).includes('note 4'))!;
    const user = (request.body as { messages: Array<{ role: string; content: string }> }).messages
      .filter((m) => m.role === 'user')
      .pop()!;
    expect(user.content.startsWith('note 4\n\nData (JSON):\n')).toBe(true);
    const data = JSON.parse(user.content.slice(user.content.indexOf('{'))) as ConversationJobData;
    // Six messages came before: the window keeps the last three, the summary the others.
    expect(data.conversation).toEqual([
      { role: 'assistant', content: 'echo: note 2' },
      { role: 'user', content: 'note 3' },
      { role: 'assistant', content: 'echo: note 3' },
    ]);
    expect(data.summary).toBe(
      'Earlier in this conversation (3 older messages, shortened):\nAnn: note 1\nMemo: echo: note 1\nAnn: note 2',
    );
    expect(data).toMatchObject({ conversationId: id, messageId: last.body.id });
  });

  it('reaches the agent a channel message mentions, and no other', async () => {
    const [ada, bob] = [await agent('Ada Channel'), await agent('Bob')];
    const project = await api('POST', '/api/v1/projects', { name: 'Launch' });
    expect(project.status).toBe(201);
    const channel = await api('POST', '/api/v1/conversations', {
      kind: 'channel',
      projectId: project.body.id,
      name: 'general',
      agentIds: [ada, bob],
      users: [{ userId: 'u1' }],
    });
    expect(channel.status).toBe(201);
    expect(channel.body.participants.map((p: { kind: string; id: string }) => `${p.kind}:${p.id}`).sort()).toEqual(
      [`agent:${ada}`, `agent:${bob}`, 'user:u1'].sort(),
    );
    const id = channel.body.id;

    const quiet = await say(id, 'hello everyone', 'u1');
    expect(quiet.body.jobIds).toEqual([]);
    const asked = await say(id, 'what do you think, @bob?', 'u1');
    expect(asked.body.jobIds).toHaveLength(1);
    expect(await job(asked.body.jobIds[0]!)).toMatchObject({ agentId: bob, input: 'u1: what do you think, @bob?' });
    const all = await replies(id, asked.body.jobIds);
    expect(all.filter((m) => m.author.kind === 'agent').map((m) => m.author.id)).toEqual([bob]);

    // Names are unique in a channel (mentions stay unambiguous); a DM stays two participants.
    const twin = await agent('ada channel');
    expect(
      (await api('POST', `/api/v1/conversations/${id}/participants`, { kind: 'agent', agentId: twin })).status,
    ).toBe(409);
    expect(
      (await api('POST', `/api/v1/conversations/${id}/participants`, { kind: 'user', userId: 'u2', name: 'Una' }))
        .status,
    ).toBe(201);
    // Checked with the insert, under the channel's lock: of two namesakes (or one person twice)
    // added at once, one joins.
    const [cy, cyTwin] = [await agent('Cy'), await agent('CY')];
    const adds = await Promise.all([
      api('POST', `/api/v1/conversations/${id}/participants`, { kind: 'agent', agentId: cy }),
      api('POST', `/api/v1/conversations/${id}/participants`, { kind: 'agent', agentId: cyTwin }),
      api('POST', `/api/v1/conversations/${id}/participants`, { kind: 'user', userId: 'u3' }),
      api('POST', `/api/v1/conversations/${id}/participants`, { kind: 'user', userId: 'u3' }),
    ]);
    expect([adds[0]!.status, adds[1]!.status].sort()).toEqual([201, 409]);
    expect([adds[2]!.status, adds[3]!.status].sort()).toEqual([201, 409]);
    const members = (await api('GET', `/api/v1/conversations/${id}`)).body.participants as Array<{
      name: string | null;
    }>;
    expect(members.filter((p) => p.name?.toLowerCase() === 'cy')).toHaveLength(1);
    expect((await say(id, 'hi', 'stranger')).status).toBe(403);
    expect(
      (await api('GET', `/api/v1/conversations?projectId=${project.body.id}`)).body.items.map(
        (c: { id: string }) => c.id,
      ),
    ).toEqual([id]);
  });

  it('lists the conversations an agent or a person takes part in, of one kind, and refuses a bad filter', async () => {
    const [a, b] = [await agent('Filt-A'), await agent('Filt-B')];
    const [aAnn, aBob, bAnn] = [await dm(a, 'ann-f'), await dm(a, 'bob-f'), await dm(b, 'ann-f')];
    const project = (await api('POST', '/api/v1/projects', { name: 'Filtered' })).body.id;
    const channel = (
      await api('POST', '/api/v1/conversations', {
        kind: 'channel',
        projectId: project,
        name: 'both',
        agentIds: [a, b],
        users: [{ userId: 'ann-f' }],
      })
    ).body.id as string;
    const list = async (q: string) => {
      const r = await api('GET', `/api/v1/conversations?${q}`);
      expect(r.status).toBe(200);
      // Created in the same millisecond, two conversations may list in either order.
      return { ids: r.body.items.map((c: { id: string }) => c.id).sort() as string[], total: r.body.total as number };
    };
    const of = (...ids: string[]) => ids.sort();
    expect(await list(`agentId=${a}`)).toEqual({ ids: of(aAnn, aBob, channel), total: 3 });
    expect(await list(`agentId=${a}&kind=dm`)).toEqual({ ids: of(aAnn, aBob), total: 2 });
    expect(await list(`agentId=${a}&userId=ann-f&kind=dm`)).toEqual({ ids: [aAnn], total: 1 });
    expect(await list(`userId=ann-f`)).toEqual({ ids: of(aAnn, bAnn, channel), total: 3 });
    expect(await list(`userId=ann-f&kind=channel&agentId=${b}`)).toEqual({ ids: [channel], total: 1 });
    expect(await list(`agentId=${b}&userId=bob-f`)).toEqual({ ids: [], total: 0 });
    // Pages of a filtered list: each counts the whole filtered list, together they hold it once.
    const pages = [await list(`agentId=${a}&limit=2`), await list(`agentId=${a}&limit=2&offset=2`)];
    expect(pages.map((p) => [p.ids.length, p.total])).toEqual([
      [2, 3],
      [1, 3],
    ]);
    expect(of(...pages.flatMap((p) => p.ids))).toEqual(of(aAnn, aBob, channel));
    // A person's id matches as given: no pattern, no other person.
    expect(await list(`userId=ann-%25`)).toEqual({ ids: [], total: 0 });
    for (const bad of ['kind=group', 'agentId=not-a-uuid', 'userId=has%20space']) {
      const r = await api('GET', `/api/v1/conversations?${bad}`);
      expect(r).toMatchObject({ status: 400, body: { code: 'validation_failed' } });
    }
  });

  it("relays conversation events to the owner's `owner` topic", async () => {
    const project = (await api('POST', '/api/v1/projects', { name: 'Owned' })).body.id;
    const id = (
      await api('POST', '/api/v1/conversations', {
        kind: 'channel',
        projectId: project,
        name: 'quiet',
        users: [{ userId: 'ann' }],
      })
    ).body.id;
    const ws = await WsClient.open(sut.wsUrl);
    try {
      ws.send({ type: 'subscribe', topic: 'owner' });
      await ws.take(1, (f) => f.type === 'subscribed');
      const posted = await say(id, 'for the record');
      const [seen] = (await ws.take(1, (f) => isEvent(f) && f.event.type === 'message.created')) as EventFrame[];
      expect(seen).toMatchObject({
        topic: 'owner',
        event: { conversationId: id, data: { message: { id: posted.body.id } } },
      });
    } finally {
      await ws.close();
    }
  });

  it('pages messages newest first with a cursor; edits and deletions are events', async () => {
    const agentId = await agent('Pager', { doubleTexting: 'queue' });
    const id = (await api('POST', '/api/v1/conversations', { kind: 'dm', agentId, userId: 'ann' })).body.id;
    const ws = await WsClient.open(sut.wsUrl);
    ws.send({ type: 'subscribe', topic: `conversation:${id}` });
    await ws.take(1, (f) => f.type === 'subscribed');
    const posted: Message[] = [];
    for (let i = 1; i <= 3; i++) {
      const p = await say(id, `m${i}`);
      posted.push(p.body);
      await replies(id, p.body.jobIds);
    }
    const first = await api('GET', `/api/v1/conversations/${id}/messages?limit=4`);
    expect(first.body.items.map((m: Message) => m.content)).toEqual(['echo: m3', 'm3', 'echo: m2', 'm2']);
    const second = await api('GET', `/api/v1/conversations/${id}/messages?limit=4&cursor=${first.body.nextCursor}`);
    expect(second.body).toEqual({
      items: [expect.objectContaining({ content: 'echo: m1' }), expect.objectContaining({ content: 'm1' })],
      nextCursor: null,
    });
    expect((await api('GET', `/api/v1/conversations/${id}/messages?cursor=nope`)).status).toBe(400);

    const edited = await api('PATCH', `/api/v1/conversations/${id}/messages/${posted[0]!.id}`, {
      content: 'm1 (edited)',
    });
    expect(edited.body).toMatchObject({ content: 'm1 (edited)', deletedAt: null });
    expect((await api('DELETE', `/api/v1/conversations/${id}/messages/${posted[1]!.id}`)).status).toBe(204);
    expect((await api('DELETE', `/api/v1/conversations/${id}/messages/${posted[1]!.id}`)).status).toBe(404);
    const [updated, deleted] = (await ws.take(
      2,
      (f) => isEvent(f) && f.event.type.startsWith('message.') && f.event.type !== 'message.created',
    )) as EventFrame[];
    expect(updated!.event).toMatchObject({
      type: 'message.updated',
      conversationId: id,
      data: { message: { id: posted[0]!.id, content: 'm1 (edited)' } },
    });
    expect(deleted!.event).toMatchObject({
      type: 'message.deleted',
      data: { message: { id: posted[1]!.id, content: '', deletedAt: expect.any(String) } },
    });
    await ws.close();
  });

  it('lets an agent post into its conversation with the post_to_channel tool', async () => {
    const id = await dm(await agent('Noter', { loop: { planning: false } }));
    const posted = await say(id, 'POSTNOTE please');
    expect(posted.status).toBe(201);
    let agentSaid: string[] = [];
    await until(
      async () => {
        agentSaid = (await messages(id))
          .reverse()
          .filter((m) => m.author.kind === 'agent')
          .map((m) => m.content);
        return agentSaid.length >= 2;
      },
      20_000,
      'the note and the reply',
    );
    expect(agentSaid).toEqual(['a note first', 'echo: POSTNOTE please']);
  });

  it("streams the reply's tokens on the conversation topic as live frames", async () => {
    const id = await dm(await agent('Talker', { loop: { planning: false } }));
    const ws = await WsClient.open(sut.wsUrl);
    try {
      ws.send({ type: 'subscribe', topic: `conversation:${id}` });
      await ws.take(1, (f) => f.type === 'subscribed');
      await say(id, 'tokens please');
      let text = '';
      let reply: string | undefined;
      while (reply === undefined || text !== reply) {
        const [f] = await ws.take(1, (x) => x.type === 'live' || isEvent(x));
        if (f?.type === 'live' && f.event.type === 'agent.token') text += (f.event.data as { delta: string }).delta;
        if (f?.type === 'event' && f.event.type === 'message.created') {
          const m = (f.event.data as { message: Message }).message;
          if (m.author.kind === 'agent') reply = m.content;
        }
      }
      expect(text).toBe('echo: tokens please');
    } finally {
      await ws.close();
    }
  });
});
