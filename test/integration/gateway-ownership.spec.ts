import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { TOPIC_KINDS, TopicKind } from '@wiz/contracts';
import { startGatewayInProcess, InProcessGateway } from '../support/gateway-app';
import { asKey, http, HttpResult } from '../support/http';
import { cleanup, isolation } from '../support/isolation';
import { insertPendingApproval } from '../support/pending-approval';
import { WsClient } from '../support/ws-client';

// Invariant 7: a client never sees another owner's things. Every route the gateway registers
// must have a rule here (a new route without one fails this test); every rule is tried by
// owner B on owner A's resources and must be refused without leaking existence (404), or,
// for lists and creations, must show and touch only B's own things.
type Call = ReturnType<typeof asKey>;
interface World {
  a: Call;
  b: Call;
  anon: (method: string, path: string) => Promise<HttpResult>;
  agentId: string;
  jobId: string;
  scheduleId: string;
  keyId: string;
  providerId: string;
  mcpServerId: string;
  projectId: string;
  conversationId: string;
  messageId: string;
  /** A JSON-RPC message to /mcp as owner B (the answer is an SSE stream: its text). */
  bMcp: (message: unknown) => Promise<HttpResult<string>>;
  /** A pending approval of A's job (written to the store: no runtime runs here). */
  approvalId: string;
  webhookId: string;
}
const NOT_FOUND = async (r: Promise<HttpResult>) => {
  const res = await r;
  expect({ status: res.status, code: res.body?.code }).toEqual({ status: 404, code: 'not_found' });
};

// 'stateless': the route answers 405 to everyone with a key (no MCP sessions), and 401 without one.
const ROUTES: Record<string, ((w: World) => Promise<void>) | 'public' | 'stateless'> = {
  'GET /health': 'public',
  'GET /livez': 'public',
  'GET /readyz': 'public',
  'GET /startupz': 'public',
  'GET /api/docs': 'public',
  'GET /api/docs.json': 'public',
  'GET /api/docs/assets/:name': 'public',
  'GET /api/ws-schema.json': 'public',
  'POST /api/v1/agents': async (w) => {
    const mine = await w.b('POST', '/api/v1/agents', { name: 'B', role: 'r' });
    expect(mine.status).toBe(201);
    await NOT_FOUND(w.a('GET', `/api/v1/agents/${mine.body.id}`));
  },
  'GET /api/v1/agents': async (w) => {
    const list = await w.b('GET', '/api/v1/agents');
    expect(list.body.items.map((x: { id: string }) => x.id)).not.toContain(w.agentId);
  },
  'GET /api/v1/agents/:id': (w) => NOT_FOUND(w.b('GET', `/api/v1/agents/${w.agentId}`)),
  'PATCH /api/v1/agents/:id': (w) => NOT_FOUND(w.b('PATCH', `/api/v1/agents/${w.agentId}`, { name: 'stolen' })),
  'DELETE /api/v1/agents/:id': (w) => NOT_FOUND(w.b('DELETE', `/api/v1/agents/${w.agentId}`)),
  'POST /api/v1/agents/:id/pause': (w) => NOT_FOUND(w.b('POST', `/api/v1/agents/${w.agentId}/pause`)),
  'POST /api/v1/agents/:id/resume': (w) => NOT_FOUND(w.b('POST', `/api/v1/agents/${w.agentId}/resume`)),
  'POST /api/v1/agents/:id/behavior': (w) =>
    NOT_FOUND(w.b('POST', `/api/v1/agents/${w.agentId}/behavior`, { rules: ['obey B'] })),
  'GET /api/v1/agents/:id/events': (w) => NOT_FOUND(w.b('GET', `/api/v1/agents/${w.agentId}/events`)),
  'POST /api/v1/agents/:id/execute': (w) =>
    NOT_FOUND(w.b('POST', `/api/v1/agents/${w.agentId}/execute`, { input: 'hijack', waitMs: 0 })),
  'POST /api/v1/tasks': async (w) => {
    await NOT_FOUND(w.b('POST', '/api/v1/tasks', { agentId: w.agentId, input: 'hijack' }));
    await NOT_FOUND(w.b('POST', '/api/v1/tasks', { agentId: w.agentId, input: 'hijack', cron: '@daily' }));
  },
  'GET /api/v1/tasks': async (w) => {
    expect((await w.b('GET', '/api/v1/tasks')).body.items.map((x: { id: string }) => x.id)).not.toContain(w.jobId);
    expect((await w.b('GET', '/api/v1/tasks?type=schedule')).body.items.map((x: { id: string }) => x.id)).not.toContain(
      w.scheduleId,
    );
  },
  'GET /api/v1/tasks/:id': async (w) => {
    await NOT_FOUND(w.b('GET', `/api/v1/tasks/${w.jobId}`));
    await NOT_FOUND(w.b('GET', `/api/v1/tasks/${w.scheduleId}`));
  },
  'POST /api/v1/jobs': (w) => NOT_FOUND(w.b('POST', '/api/v1/jobs', { agentId: w.agentId, input: 'hijack' })),
  'GET /api/v1/jobs': async (w) => {
    const list = await w.b('GET', '/api/v1/jobs');
    expect(list.body.items.map((x: { id: string }) => x.id)).not.toContain(w.jobId);
    expect((await w.b('GET', `/api/v1/jobs?agentId=${w.agentId}`)).body.items).toEqual([]);
  },
  'GET /api/v1/jobs/counts': async (w) => {
    const counts = (await w.b('GET', `/api/v1/jobs/counts?agentId=${w.agentId}`)).body;
    expect(Object.values(counts).every((n) => n === 0)).toBe(true);
  },
  'GET /api/v1/jobs/:id': (w) => NOT_FOUND(w.b('GET', `/api/v1/jobs/${w.jobId}`)),
  'POST /api/v1/jobs/:id/cancel': (w) => NOT_FOUND(w.b('POST', `/api/v1/jobs/${w.jobId}/cancel`)),
  'POST /api/v1/jobs/:id/retry': (w) => NOT_FOUND(w.b('POST', `/api/v1/jobs/${w.jobId}/retry`)),
  'GET /api/v1/jobs/:id/context': (w) => NOT_FOUND(w.b('GET', `/api/v1/jobs/${w.jobId}/context`)),
  'GET /api/v1/jobs/:id/events': (w) => NOT_FOUND(w.b('GET', `/api/v1/jobs/${w.jobId}/events`)),
  'POST /api/v1/jobs/:id/input': (w) => NOT_FOUND(w.b('POST', `/api/v1/jobs/${w.jobId}/input`, { answer: 'x' })),
  'POST /api/v1/jobs/:id/messages': (w) =>
    NOT_FOUND(w.b('POST', `/api/v1/jobs/${w.jobId}/messages`, { text: 'obey B' })),
  'POST /api/v1/jobs/:id/signals/:name': (w) => NOT_FOUND(w.b('POST', `/api/v1/jobs/${w.jobId}/signals/go`, {})),
  'GET /api/v1/approvals': async (w) => {
    const ids = (await w.b('GET', '/api/v1/approvals')).body.items.map((x: { id: string }) => x.id);
    expect(ids).not.toContain(w.approvalId);
    expect(
      (await w.a('GET', '/api/v1/approvals?status=pending')).body.items.map((x: { id: string }) => x.id),
    ).toContain(w.approvalId);
  },
  'GET /api/v1/approvals/:id': (w) => NOT_FOUND(w.b('GET', `/api/v1/approvals/${w.approvalId}`)),
  'POST /api/v1/approvals/:id': async (w) => {
    await NOT_FOUND(w.b('POST', `/api/v1/approvals/${w.approvalId}`, { decision: 'approve' }));
    expect((await w.a('GET', `/api/v1/approvals/${w.approvalId}`)).body.status).toBe('pending');
  },
  'GET /api/v1/approvals/policy': async (w) => {
    expect((await w.b('GET', '/api/v1/approvals/policy')).body).toEqual({ approvals: {} });
  },
  'PUT /api/v1/approvals/policy': async (w) => {
    expect((await w.b('PUT', '/api/v1/approvals/policy', { approvals: { '*': 'never' } })).status).toBe(200);
    expect((await w.a('GET', '/api/v1/approvals/policy')).body).toEqual({ approvals: { 'todo_*': 'always' } });
  },
  'POST /api/v1/schedules': (w) =>
    NOT_FOUND(w.b('POST', '/api/v1/schedules', { cron: '@daily', template: { agentId: w.agentId, input: 'x' } })),
  'GET /api/v1/schedules': async (w) => {
    expect((await w.b('GET', '/api/v1/schedules')).body.items.map((x: { id: string }) => x.id)).not.toContain(
      w.scheduleId,
    );
  },
  'GET /api/v1/schedules/:id': (w) => NOT_FOUND(w.b('GET', `/api/v1/schedules/${w.scheduleId}`)),
  'DELETE /api/v1/schedules/:id': (w) => NOT_FOUND(w.b('DELETE', `/api/v1/schedules/${w.scheduleId}`)),
  'POST /api/v1/projects': async (w) => {
    const mine = await w.b('POST', '/api/v1/projects', { name: 'B' });
    expect(mine.status).toBe(201);
    await NOT_FOUND(w.a('GET', `/api/v1/projects/${mine.body.id}`));
  },
  'GET /api/v1/projects': async (w) => {
    expect((await w.b('GET', '/api/v1/projects')).body.items.map((x: { id: string }) => x.id)).not.toContain(
      w.projectId,
    );
  },
  'GET /api/v1/projects/:id': (w) => NOT_FOUND(w.b('GET', `/api/v1/projects/${w.projectId}`)),
  'DELETE /api/v1/projects/:id': async (w) => {
    await NOT_FOUND(w.b('DELETE', `/api/v1/projects/${w.projectId}`));
    expect((await w.a('GET', `/api/v1/projects/${w.projectId}`)).status).toBe(200);
  },
  'POST /api/v1/conversations': async (w) => {
    await NOT_FOUND(w.b('POST', '/api/v1/conversations', { kind: 'dm', agentId: w.agentId, userId: 'me' }));
    await NOT_FOUND(w.b('POST', '/api/v1/conversations', { kind: 'channel', projectId: w.projectId, name: 'x' }));
  },
  'GET /api/v1/conversations': async (w) => {
    expect((await w.b('GET', '/api/v1/conversations')).body.items.map((x: { id: string }) => x.id)).not.toContain(
      w.conversationId,
    );
    expect((await w.b('GET', `/api/v1/conversations?projectId=${w.projectId}`)).body.items).toEqual([]);
  },
  'GET /api/v1/conversations/:id': (w) => NOT_FOUND(w.b('GET', `/api/v1/conversations/${w.conversationId}`)),
  'DELETE /api/v1/conversations/:id': async (w) => {
    await NOT_FOUND(w.b('DELETE', `/api/v1/conversations/${w.conversationId}`));
    expect((await w.a('GET', `/api/v1/conversations/${w.conversationId}`)).status).toBe(200);
  },
  'POST /api/v1/conversations/:id/participants': (w) =>
    NOT_FOUND(
      w.b('POST', `/api/v1/conversations/${w.conversationId}/participants`, { kind: 'user', userId: 'intruder' }),
    ),
  'DELETE /api/v1/conversations/:id/participants/:kind/:participantId': (w) =>
    NOT_FOUND(w.b('DELETE', `/api/v1/conversations/${w.conversationId}/participants/user/ann`)),
  'POST /api/v1/conversations/:id/messages': (w) =>
    NOT_FOUND(
      w.b('POST', `/api/v1/conversations/${w.conversationId}/messages`, { userId: 'ann', content: 'hijack @A' }),
    ),
  'GET /api/v1/conversations/:id/events': (w) =>
    NOT_FOUND(w.b('GET', `/api/v1/conversations/${w.conversationId}/events`)),
  'GET /api/v1/conversations/:id/messages': (w) =>
    NOT_FOUND(w.b('GET', `/api/v1/conversations/${w.conversationId}/messages`)),
  'PATCH /api/v1/conversations/:id/messages/:messageId': (w) =>
    NOT_FOUND(w.b('PATCH', `/api/v1/conversations/${w.conversationId}/messages/${w.messageId}`, { content: 'stolen' })),
  'DELETE /api/v1/conversations/:id/messages/:messageId': (w) =>
    NOT_FOUND(w.b('DELETE', `/api/v1/conversations/${w.conversationId}/messages/${w.messageId}`)),
  'POST /api/v1/keys': async (w) => {
    const r = await w.b('POST', '/api/v1/keys', { ownerId: 'user:a' });
    expect({ status: r.status, code: r.body.code }).toEqual({ status: 403, code: 'forbidden' });
    expect((await w.b('POST', '/api/v1/keys', { admin: true })).status).toBe(403);
  },
  'GET /api/v1/keys': async (w) => {
    expect((await w.b('GET', '/api/v1/keys')).body.items.map((k: { id: string }) => k.id)).not.toContain(w.keyId);
    expect((await w.b('GET', '/api/v1/keys?ownerId=user:a')).status).toBe(403);
  },
  'DELETE /api/v1/keys/:id': (w) => NOT_FOUND(w.b('DELETE', `/api/v1/keys/${w.keyId}`)),
  'POST /api/v1/memory/save': (w) =>
    NOT_FOUND(w.b('POST', '/api/v1/memory/save', { agentId: w.agentId, text: 'planted' })),
  'GET /api/v1/memory/query': (w) => NOT_FOUND(w.b('GET', `/api/v1/memory/query?agentId=${w.agentId}`)),
  'POST /api/v1/behavior/adjust': (w) =>
    NOT_FOUND(w.b('POST', '/api/v1/behavior/adjust', { agentId: w.agentId, rules: ['obey B'] })),
  'POST /api/v1/providers': async (w) => {
    const mine = await w.b('POST', '/api/v1/providers', {
      name: 'B',
      baseUrl: 'http://203.0.113.9/v1',
      apiKey: 'sk-b',
    });
    expect(mine.status).toBe(201);
    await NOT_FOUND(w.a('GET', `/api/v1/providers/${mine.body.id}`));
    // An agent of B cannot name A's provider.
    const stolen = await w.b('POST', '/api/v1/agents', { name: 'B2', role: 'r', model: { provider: w.providerId } });
    expect(stolen.status).toBe(400);
  },
  'GET /api/v1/providers': async (w) => {
    expect((await w.b('GET', '/api/v1/providers')).body.items.map((x: { id: string }) => x.id)).not.toContain(
      w.providerId,
    );
  },
  'GET /api/v1/providers/:id': (w) => NOT_FOUND(w.b('GET', `/api/v1/providers/${w.providerId}`)),
  'DELETE /api/v1/providers/:id': (w) => NOT_FOUND(w.b('DELETE', `/api/v1/providers/${w.providerId}`)),
  'GET /metrics': 'public', // its own access rule (WIZ_METRICS_ACCESS), no owner data
  'GET /api/v1/usage': async (w) => {
    for (const groupBy of ['agent', 'model', 'day']) {
      const keys = (await w.b('GET', `/api/v1/usage?groupBy=${groupBy}`)).body.groups.map(
        (g: { key: string }) => g.key,
      );
      expect(keys).not.toContain(w.agentId);
    }
  },
  'GET /api/v1/budgets': async (w) => {
    expect(
      (await w.a('PUT', '/api/v1/budgets', { budgets: [{ agentId: w.agentId, period: 'day', maxTokens: 1e9 }] }))
        .status,
    ).toBe(200);
    expect((await w.b('GET', '/api/v1/budgets')).body).toEqual({ budgets: [] });
  },
  'PUT /api/v1/budgets': async (w) => {
    const mine = { budgets: [{ agentId: w.agentId, period: 'month', maxTokens: 5 }] };
    expect((await w.a('PUT', '/api/v1/budgets', { budgets: [{ period: 'day', maxTokens: 1e9 }] })).status).toBe(200);
    // B's budgets are B's own, whatever agent id they name: A's stay as they were.
    expect((await w.b('PUT', '/api/v1/budgets', mine)).status).toBe(200);
    expect((await w.b('PUT', '/api/v1/budgets', { budgets: [] })).status).toBe(200);
    expect((await w.a('GET', '/api/v1/budgets')).body.budgets).toEqual([
      { period: 'day', maxTokens: 1e9, maxCostUsd: null },
    ]);
  },
  'POST /api/v1/mcp-servers': async (w) => {
    // The same name as A's server: names are per owner.
    const mine = await w.b('POST', '/api/v1/mcp-servers', {
      name: 'tools',
      transport: 'http',
      url: 'http://127.0.0.1:9/mcp',
    });
    expect(mine.status).toBe(201);
    await NOT_FOUND(w.a('GET', `/api/v1/mcp-servers/${mine.body.id}`));
  },
  'GET /api/v1/mcp-servers': async (w) => {
    const list = await w.b('GET', '/api/v1/mcp-servers');
    expect(list.body.items.map((x: { id: string }) => x.id)).not.toContain(w.mcpServerId);
  },
  'GET /api/v1/mcp-servers/:id': (w) => NOT_FOUND(w.b('GET', `/api/v1/mcp-servers/${w.mcpServerId}`)),
  'GET /api/v1/mcp-servers/:id/tools': (w) => NOT_FOUND(w.b('GET', `/api/v1/mcp-servers/${w.mcpServerId}/tools`)),
  'PATCH /api/v1/mcp-servers/:id': (w) =>
    NOT_FOUND(w.b('PATCH', `/api/v1/mcp-servers/${w.mcpServerId}`, { url: 'http://127.0.0.1:9/stolen' })),
  'DELETE /api/v1/mcp-servers/:id': (w) => NOT_FOUND(w.b('DELETE', `/api/v1/mcp-servers/${w.mcpServerId}`)),
  'POST /mcp': async (w) => {
    const list = await w.bMcp({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    expect([list.status, list.body]).toEqual([200, expect.stringContaining('list_agents')]);
    expect(list.body).not.toContain('ask_A"');
    const ask = await w.bMcp({
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'ask_A', arguments: { task: 'hijack' } },
    });
    expect([ask.body.includes('"isError":true'), ask.body.includes('Tool ask_A not found')]).toEqual([true, true]);
    const job = await w.bMcp({
      jsonrpc: '2.0',
      id: 3,
      method: 'tools/call',
      params: { name: 'get_job', arguments: { jobId: w.jobId } },
    });
    expect([job.body.includes('"isError":true'), job.body.includes(`job ${w.jobId} not found`)]).toEqual([true, true]);
  },
  'GET /mcp': 'stateless',
  'DELETE /mcp': 'stateless',
  'POST /api/v1/webhooks': async (w) => {
    const body = { url: 'https://203.0.113.20/hook', events: ['*'], secret: 'b-secret-0123456789' };
    const mine = await w.b('POST', '/api/v1/webhooks', body);
    expect(mine.status).toBe(201);
    await NOT_FOUND(w.a('GET', `/api/v1/webhooks/${mine.body.id}`));
    // With authentication on, a receiver on a loopback or private address is refused.
    for (const url of [
      'http://127.0.0.1:9/hook',
      'http://10.1.2.3/hook',
      'http://169.254.169.254/latest',
      'http://[::1]/x',
    ])
      expect((await w.b('POST', '/api/v1/webhooks', { ...body, url })).status).toBe(400);
  },
  'GET /api/v1/webhooks': async (w) => {
    expect((await w.b('GET', '/api/v1/webhooks')).body.items.map((x: { id: string }) => x.id)).not.toContain(
      w.webhookId,
    );
  },
  'GET /api/v1/webhooks/:id': (w) => NOT_FOUND(w.b('GET', `/api/v1/webhooks/${w.webhookId}`)),
  'GET /api/v1/webhooks/:id/deliveries': (w) => NOT_FOUND(w.b('GET', `/api/v1/webhooks/${w.webhookId}/deliveries`)),
  'DELETE /api/v1/webhooks/:id': async (w) => {
    await NOT_FOUND(w.b('DELETE', `/api/v1/webhooks/${w.webhookId}`));
    expect((await w.a('GET', `/api/v1/webhooks/${w.webhookId}`)).status).toBe(200);
  },
};

// Every WS topic kind, tried by B on A's things.
const TOPICS: Record<TopicKind, (w: World, b: WsClient) => Promise<void>> = {
  agent: async (w, b) => expectRefused(b, `agent:${w.agentId}`),
  job: async (w, b) => expectRefused(b, `job:${w.jobId}`),
  conversation: async (w, b) => {
    await expectRefused(b, `conversation:${w.conversationId}`);
    await expectRefused(b, `conversation:${randomUUID()}`);
  },
  owner: async () => undefined, // checked by the live test below: B's `owner` never carries A's events
};
async function expectRefused(b: WsClient, topic: string): Promise<void> {
  b.send({ type: 'subscribe', topic });
  const [f] = await b.take(1, (x) => x.type === 'error' || x.type === 'subscribed');
  expect(f).toMatchObject({ type: 'error', code: 'not_found', topic });
}

describe('gateway ownership', () => {
  const iso = isolation('owners');
  const adminKey = `adm_${randomBytes(24).toString('hex')}`;
  let sut: InProcessGateway;
  let w: World;
  let keyB: string;
  let keyA: string;

  beforeAll(async () => {
    // Every route is tried without a key and with a bad one, from one address: no limit on
    // failed authentications here (cluster-limits.spec.ts tests it).
    sut = await startGatewayInProcess(iso, {
      WIZ_AUTH: 'on',
      WIZ_ADMIN_KEY: adminKey,
      WIZ_RATE_LIMIT_PER_MIN: '0',
      WIZ_AUTH_FAILURES_PER_MIN: '0',
    });
    const admin = asKey(sut.baseUrl, adminKey);
    keyA = (await admin('POST', '/api/v1/keys', { ownerId: 'user:a', name: 'a' })).body.key;
    keyB = (await admin('POST', '/api/v1/keys', { ownerId: 'user:b', name: 'b' })).body.key;
    const a = asKey(sut.baseUrl, keyA);
    const agentId = (await a('POST', '/api/v1/agents', { name: 'A', role: 'r' })).body.id;
    const jobId = (await a('POST', '/api/v1/jobs', { agentId, input: 'mine', delay: 3_600_000 })).body.id;
    const scheduleId = (await a('POST', '/api/v1/schedules', { cron: '@daily', template: { agentId, input: 'x' } }))
      .body.id;
    const keyId = (await a('POST', '/api/v1/keys', { name: 'second' })).body.id;
    const providerId = (
      await a('POST', '/api/v1/providers', { name: 'A', baseUrl: 'http://203.0.113.9/v1', apiKey: 'sk-a' })
    ).body.id;
    const mcpServerId = (
      await a('POST', '/api/v1/mcp-servers', {
        name: 'tools',
        transport: 'http',
        url: 'http://127.0.0.1:9/mcp',
        headers: { Authorization: 'Bearer a-secret' },
      })
    ).body.id;
    const projectId = (await a('POST', '/api/v1/projects', { name: 'P' })).body.id;
    const webhookId = (
      await a('POST', '/api/v1/webhooks', {
        url: 'https://203.0.113.10/hook',
        events: ['job.*'],
        secret: 'a-secret-0123456789',
      })
    ).body.id;
    const conversationId = (
      await a('POST', '/api/v1/conversations', {
        kind: 'channel',
        projectId,
        name: 'c',
        agentIds: [agentId],
        users: [{ userId: 'ann' }],
      })
    ).body.id;
    // No mention: no job, so the gateway alone (no runtime) leaves nothing unfinished.
    const messageId = (
      await a('POST', `/api/v1/conversations/${conversationId}/messages`, { userId: 'ann', content: 'mine' })
    ).body.id;
    expect((await a('PUT', '/api/v1/approvals/policy', { approvals: { 'todo_*': 'always' } })).status).toBe(200);
    const approvalId = await insertPendingApproval(sut.app.get(DataSource), {
      ownerId: 'user:a',
      jobId,
      agentId,
      reason: 'policy todo_*: always',
    });
    w = {
      a,
      b: asKey(sut.baseUrl, keyB),
      bMcp: (message) =>
        http<string>(sut.baseUrl, 'POST', '/mcp', message, undefined, {
          authorization: `Bearer ${keyB}`,
          accept: 'application/json, text/event-stream',
        }),
      anon: (m, p) => http(sut.baseUrl, m, p),
      agentId,
      jobId,
      scheduleId,
      keyId,
      providerId,
      mcpServerId,
      projectId,
      conversationId,
      messageId,
      approvalId,
      webhookId,
    };
    expect(
      [
        agentId,
        jobId,
        scheduleId,
        keyId,
        providerId,
        mcpServerId,
        projectId,
        conversationId,
        messageId,
        approvalId,
        webhookId,
      ].every(Boolean),
    ).toBe(true);
  });

  afterAll(async () => {
    await sut?.close();
    await cleanup(iso);
  });

  it('has an ownership rule for every registered route, and no rule for a route that does not exist', () => {
    const routes = sut.routes();
    expect(routes.filter((r) => !(r in ROUTES))).toEqual([]);
    expect(Object.keys(ROUTES).filter((r) => !routes.includes(r))).toEqual([]);
  });

  it('documents every registered route in the OpenAPI document, and nothing else', async () => {
    const doc = (await http(sut.baseUrl, 'GET', '/api/docs.json')).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ':$1')}`),
    );
    expect(documented.sort()).toEqual(sut.routes().sort());
  });

  it('refuses every route without a key or with a bad one, except the public ones', async () => {
    for (const [route, rule] of Object.entries(ROUTES)) {
      const [method, path] = route.split(' ') as [string, string];
      const concrete = path.replace(':id', randomUUID()).replace(':name', 'init.js');
      const none = await w.anon(method, concrete);
      const bad = await http(sut.baseUrl, method, concrete, undefined, undefined, {
        authorization: 'Bearer wiz_not-a-key',
      });
      if (rule === 'public') expect(none.status).toBe(200);
      else expect([route, none.status, none.body?.code, bad.status]).toEqual([route, 401, 'unauthorized', 401]);
    }
  });

  it.each(Object.keys(ROUTES).filter((r) => typeof ROUTES[r] === 'function'))(
    'refuses %s to another owner',
    async (route) => {
      await (ROUTES[route] as (w: World) => Promise<void>)(w);
    },
  );

  it.each(Object.keys(ROUTES).filter((r) => ROUTES[r] === 'stateless'))('answers %s with 405', async (route) => {
    const [method, path] = route.split(' ') as [string, string];
    expect((await w.b(method, path)).status).toBe(405);
  });

  it("leaves the owner's resources untouched", async () => {
    expect((await w.a('GET', `/api/v1/agents/${w.agentId}`)).body).toMatchObject({ name: 'A', paused: false });
    expect((await w.a('GET', `/api/v1/jobs/${w.jobId}`)).body).toMatchObject({ status: 'delayed' });
    expect((await w.a('GET', `/api/v1/schedules/${w.scheduleId}`)).status).toBe(200);
    expect((await w.a('GET', `/api/v1/conversations/${w.conversationId}`)).body.participants).toHaveLength(2);
    expect((await w.a('GET', `/api/v1/conversations/${w.conversationId}/messages`)).body.items).toEqual([
      expect.objectContaining({ id: w.messageId, content: 'mine', deletedAt: null }),
    ]);
    expect((await w.a('GET', '/api/v1/keys')).body.items.find((k: { id: string }) => k.id === w.keyId)).toMatchObject({
      revokedAt: null,
    });
  });

  it("has a rule for every WS topic kind, and refuses each one on another owner's things", async () => {
    expect(Object.keys(TOPICS).sort()).toEqual([...TOPIC_KINDS].sort());
    const b = await WsClient.open(sut.wsUrl, keyB);
    try {
      for (const check of Object.values(TOPICS)) await check(w, b);
    } finally {
      await b.close();
    }
  });

  it("relays an owner's events to its `owner` topic and never to another owner's", async () => {
    const a = await WsClient.open(sut.wsUrl, keyA);
    const b = await WsClient.open(sut.wsUrl, keyB);
    try {
      for (const c of [a, b]) {
        c.send({ type: 'subscribe', topic: 'owner' });
        await c.take(1, (f) => f.type === 'subscribed');
      }
      const mine = await w.b('POST', '/api/v1/agents', { name: 'B2', role: 'r' });
      expect((await w.a('PATCH', `/api/v1/agents/${w.agentId}`, { goal: 'seen by A only' })).status).toBe(200);
      const [seenByA] = await a.take(1, (f) => f.type === 'event' && f.event.type === 'agent.updated');
      expect(seenByA).toMatchObject({ topic: 'owner', event: { agentId: w.agentId } });
      const [seenByB] = await b.take(1, (f) => f.type === 'event');
      expect(seenByB).toMatchObject({ topic: 'owner', event: { type: 'agent.created', agentId: mine.body.id } });
      b.send({ type: 'ping' });
      await b.take(1, (f) => f.type === 'pong');
      expect(b.pending().filter((f) => f.type === 'event')).toEqual([]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('authenticates a WS client by its first frame, and closes on a bad key', async () => {
    const c = await WsClient.open(sut.wsUrl);
    c.send({ type: 'subscribe', topic: `agent:${w.agentId}` });
    expect((await c.take(1))[0]).toMatchObject({ type: 'error', code: 'unauthorized' });
    c.send({ type: 'auth', key: keyA });
    expect((await c.take(1))[0]).toEqual({ type: 'authenticated', ownerId: 'user:a' });
    c.send({ type: 'subscribe', topic: `agent:${w.agentId}` });
    expect((await c.take(1))[0]).toEqual({
      type: 'subscribed',
      topic: `agent:${w.agentId}`,
      seq: expect.any(Number),
    });
    await c.close();

    const bad = await WsClient.open(sut.wsUrl);
    const closed = bad.closed();
    bad.send({ type: 'auth', key: 'wiz_nope' });
    expect((await bad.take(1))[0]).toMatchObject({ type: 'error', code: 'unauthorized' });
    expect((await closed).code).toBe(4401);
  });

  it('refuses a WS upgrade with a bad Authorization header', async () => {
    await expect(WsClient.open(sut.wsUrl, 'wiz_nope')).rejects.toThrow(/401/);
  });

  it('revokes a key: it stops working at once', async () => {
    const admin = asKey(sut.baseUrl, adminKey);
    const k = (await admin('POST', '/api/v1/keys', { ownerId: 'user:c' })).body;
    expect(k.key).toMatch(/^wiz_/);
    const c = asKey(sut.baseUrl, k.key);
    expect((await c('GET', '/api/v1/agents')).status).toBe(200);
    expect((await c('DELETE', `/api/v1/keys/${k.id}`)).status).toBe(204);
    expect((await c('GET', '/api/v1/agents')).status).toBe(401);
    const listed = (await admin('GET', '/api/v1/keys?ownerId=user:c')).body.items;
    expect(listed).toEqual([
      expect.objectContaining({ id: k.id, prefix: k.key.slice(0, 12), revokedAt: expect.any(String) }),
    ]);
    expect(JSON.stringify(listed)).not.toContain(k.key);
  });
});
