import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { MemoryItemEntity } from '@wiz/persistence';
import { FakeLlmServer } from '../../apps/fake-llm/src/fake-llm.server';
import { asKey, http, HttpResult } from '../support/http';
import { cleanup, isolation } from '../support/isolation';
import { InProcessGateway, startGatewayInProcess } from '../support/gateway-app';
import { InProcessServer, startServerInProcess } from '../support/server-app';
import { settledJob } from '../support/settled-job';

type Store = 'postgres' | 'sqlite';
type As = ReturnType<typeof asKey>;

interface Kind {
  variable: string;
  /** What one create sends (`agentId`: an agent of the owner). */
  create(i: number, agentId: string): [path: string, body: unknown];
  /** How many the owner holds, read back through the API. */
  held(as: As, agentId: string): Promise<number>;
  /** The route that deletes one, for kinds that have one. */
  remove?: (id: string) => string;
}

const total = (path: string) => async (as: As) => (await as('GET', path)).body.total as number;

// Every per-owner cap but keys and agents (owner-quotas.spec.ts), through one mechanism
// (OwnerCaps): creates up to the cap pass, the next is 429 `quota_exceeded` naming the variable,
// creates racing on two gateways never pass it together, a deleted row frees its slot, and
// another owner has a budget of its own.
const KINDS: Record<string, Kind> = {
  schedules: {
    variable: 'WIZ_MAX_SCHEDULES_PER_OWNER',
    create: (_, agentId) => ['/api/v1/schedules', { cron: '@daily', template: { agentId, input: 'x' } }],
    held: total('/api/v1/schedules'),
    remove: (id) => `/api/v1/schedules/${id}`,
  },
  webhooks: {
    variable: 'WIZ_MAX_WEBHOOKS_PER_OWNER',
    create: () => ['/api/v1/webhooks', { url: 'http://127.0.0.1:9/hook', events: ['job.*'], secret: 's'.repeat(16) }],
    held: total('/api/v1/webhooks'),
    remove: (id) => `/api/v1/webhooks/${id}`,
  },
  'MCP servers': {
    variable: 'WIZ_MAX_MCP_SERVERS_PER_OWNER',
    create: (i) => ['/api/v1/mcp-servers', { name: `tools${i}`, transport: 'http', url: 'http://127.0.0.1:9/mcp' }],
    held: total('/api/v1/mcp-servers'),
    remove: (id) => `/api/v1/mcp-servers/${id}`,
  },
  providers: {
    variable: 'WIZ_MAX_PROVIDERS_PER_OWNER',
    create: (i) => ['/api/v1/providers', { name: `p${i}`, baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'sk-test' }],
    held: total('/api/v1/providers'),
    remove: (id) => `/api/v1/providers/${id}`,
  },
  projects: {
    variable: 'WIZ_MAX_PROJECTS_PER_OWNER',
    create: (i) => ['/api/v1/projects', { name: `P${i}` }],
    held: total('/api/v1/projects'),
    remove: (id) => `/api/v1/projects/${id}`,
  },
  conversations: {
    variable: 'WIZ_MAX_CONVERSATIONS_PER_OWNER',
    create: (i, agentId) => ['/api/v1/conversations', { kind: 'dm', agentId, userId: `u${i}` }],
    held: total('/api/v1/conversations'),
    remove: (id) => `/api/v1/conversations/${id}`,
  },
  'memory items (per agent)': {
    variable: 'WIZ_MAX_MEMORY_ITEMS_PER_AGENT',
    create: (i, agentId) => ['/api/v1/memory/save', { agentId, text: `fact ${i}` }],
    held: async (as, agentId) =>
      (await as('GET', `/api/v1/memory/query?agentId=${agentId}&limit=100`)).body.items.length as number,
  },
};

const MAX = 3;
const ENV = {
  WIZ_AUTH: 'on',
  WIZ_ALLOW_PRIVATE_URLS: 'true',
  WIZ_MAX_SCHEDULES_PER_OWNER: `${MAX}`,
  WIZ_MAX_WEBHOOKS_PER_OWNER: `${MAX}`,
  WIZ_MAX_MCP_SERVERS_PER_OWNER: `${MAX}`,
  WIZ_MAX_PROVIDERS_PER_OWNER: `${MAX}`,
  WIZ_MAX_PROJECTS_PER_OWNER: `${MAX}`,
  WIZ_MAX_CONVERSATIONS_PER_OWNER: `${MAX}`,
  WIZ_MAX_MEMORY_ITEMS_PER_AGENT: `${MAX}`,
  WIZ_MAX_PARTICIPANTS_PER_CONVERSATION: `${MAX}`,
};

describe.each<[Store]>([['postgres'], ['sqlite']])('per-owner caps on %s', (store) => {
  const iso = isolation(`caps${store}`);
  const ADMIN = 'c'.repeat(40);
  const dataDir = mkdtempSync(join(tmpdir(), 'wiz-caps-'));
  // Postgres: two gateways on one store (creates race across processes' transactions).
  // SQLite is for one process: one gateway, whose write transactions run one at a time.
  const gateways: InProcessGateway[] = [];
  let owners = 0;

  beforeAll(async () => {
    const env = {
      ...ENV,
      WIZ_ADMIN_KEY: ADMIN,
      ...(store === 'sqlite' && { DATABASE_URL: '', WIZ_DATA_DIR: dataDir }),
    };
    gateways.push(await startGatewayInProcess(iso, env));
    if (store === 'postgres') gateways.push(await startGatewayInProcess(iso, env));
  });

  afterAll(async () => {
    for (const g of gateways) await g.close();
    await cleanup(iso);
    rmSync(dataDir, { recursive: true, force: true });
  });

  const via = (i: number) => gateways[i % gateways.length]!.baseUrl;
  /** A new owner: its key on every gateway, and one agent of its own. */
  async function newOwner(): Promise<{ as: (i: number) => As; agentId: string }> {
    const admin = asKey(via(0), ADMIN);
    const key: string = (await admin('POST', '/api/v1/keys', { ownerId: `tenant-${store}-${owners++}` })).body.key;
    const as = (i: number) => asKey(via(i), key);
    const agentId: string = (await as(0)('POST', '/api/v1/agents', { name: 'A', role: 'r' })).body.id;
    return { as, agentId };
  }
  const refusal = (name: string) => ({
    status: 429,
    body: expect.objectContaining({ statusCode: 429, code: 'quota_exceeded', limit: { name, max: MAX } }),
  });
  const outcome = (r: HttpResult) => ({ status: r.status, body: r.body });
  const statuses = (rs: HttpResult[]) => rs.map((r) => r.status).sort();

  it.each(Object.entries(KINDS))('%s: concurrent creates reach the cap and no further', async (_, kind) => {
    const { as, agentId } = await newOwner();
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => as(i)('POST', ...kind.create(i, agentId))));
    expect(statuses(results)).toEqual([...Array(MAX).fill(201), ...Array(10 - MAX).fill(429)]);
    for (const r of results.filter((x) => x.status === 429)) {
      expect(outcome(r)).toEqual(refusal(kind.variable));
      expect(r.headers.get('retry-after')).toBeNull();
    }
    expect(await kind.held(as(1), agentId)).toBe(MAX);
    expect(outcome(await as(0)('POST', ...kind.create(99, agentId)))).toEqual(refusal(kind.variable));
    // Another owner has a budget of its own.
    const other = await newOwner();
    expect((await other.as(1)('POST', ...kind.create(0, other.agentId))).status).toBe(201);
  });

  it.each(Object.entries(KINDS).filter(([, k]) => k.remove))('%s: a deleted one frees its slot', async (_, kind) => {
    const { as, agentId } = await newOwner();
    const ids: string[] = [];
    for (let i = 0; i < MAX; i++) ids.push((await as(i)('POST', ...kind.create(i, agentId))).body.id);
    expect((await as(0)('POST', ...kind.create(MAX, agentId))).status).toBe(429);
    expect((await as(1)('DELETE', kind.remove!(ids[0]!))).status).toBe(204);
    expect((await as(0)('POST', ...kind.create(MAX + 1, agentId))).status).toBe(201);
    expect(outcome(await as(1)('POST', ...kind.create(MAX + 2, agentId)))).toEqual(refusal(kind.variable));
  });

  it("counts a channel's participants: adds race to the cap, a removed one frees its slot, a bigger channel is refused", async () => {
    const { as, agentId } = await newOwner();
    const projectId: string = (await as(0)('POST', '/api/v1/projects', { name: 'P' })).body.id;
    const channel = (name: string, users: string[] = []) =>
      as(0)('POST', '/api/v1/conversations', {
        kind: 'channel',
        projectId,
        name,
        agentIds: [agentId],
        users: users.map((userId) => ({ userId })),
      });
    const id: string = (await channel('c')).body.id; // its agent is one participant
    const members = `/api/v1/conversations/${id}/participants`;
    const add = (i: number) => as(i)('POST', members, { kind: 'user', userId: `u${i}` });
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => add(i)));
    expect(statuses(results)).toEqual([...Array(MAX - 1).fill(201), ...Array(8 - MAX + 1).fill(429)]);
    for (const r of results.filter((x) => x.status === 429))
      expect(outcome(r)).toEqual(refusal('WIZ_MAX_PARTICIPANTS_PER_CONVERSATION'));
    const held = async () => (await as(1)('GET', `/api/v1/conversations/${id}`)).body.participants as unknown[];
    expect(await held()).toHaveLength(MAX);

    const first = results.find((r) => r.status === 201)!.body.id as string;
    expect((await as(1)('DELETE', `${members}/user/${first}`)).status).toBe(204);
    expect((await add(20)).status).toBe(201);
    expect(outcome(await add(21))).toEqual(refusal('WIZ_MAX_PARTICIPANTS_PER_CONVERSATION'));

    // A new channel over the cap with its first participants: refused whole, nothing created.
    expect(outcome(await channel('big', ['a', 'b', 'c']))).toEqual(refusal('WIZ_MAX_PARTICIPANTS_PER_CONVERSATION'));
    expect((await as(1)('GET', '/api/v1/conversations')).body.total).toBe(1);
    expect((await channel('fits', ['a', 'b'])).status).toBe(201);
  });

  it('counts memory per agent, and deleting an agent deletes its memory (no way round the cap)', async () => {
    const { as, agentId } = await newOwner();
    const save = (agent: string, i: number) => as(i)('POST', '/api/v1/memory/save', { agentId: agent, text: `m${i}` });
    for (let i = 0; i < MAX; i++) expect((await save(agentId, i)).status).toBe(201);
    expect((await save(agentId, MAX)).status).toBe(429);
    const second: string = (await as(1)('POST', '/api/v1/agents', { name: 'B', role: 'r' })).body.id;
    expect((await save(second, 0)).status).toBe(201);
    const ds = gateways[0]!.app.get(DataSource);
    expect(await ds.getRepository(MemoryItemEntity).countBy({ agentId })).toBe(MAX);
    expect((await as(0)('DELETE', `/api/v1/agents/${agentId}`)).status).toBe(204);
    expect(await ds.getRepository(MemoryItemEntity).countBy({ agentId })).toBe(0);
    expect(await ds.getRepository(MemoryItemEntity).countBy({ agentId: second })).toBe(1);
  });
});

// The model's memory_save meets the same cap as REST, as a tool error it reads.
describe('memory items per agent, from the model', () => {
  const iso = isolation('capsmodel');
  const llm = new FakeLlmServer({
    rules: [
      { match: { hasToolResult: true }, reply: { content: 'Result: {{lastToolResult}}' } },
      {
        match: { lastUserContains: 'REMEMBER' },
        reply: { toolCalls: [{ name: 'memory_save', arguments: { text: 'one fact too many' } }] },
      },
    ],
  });
  let sut: InProcessServer;

  beforeAll(async () => {
    sut = await startServerInProcess(iso, await llm.start(), { WIZ_MAX_MEMORY_ITEMS_PER_AGENT: '1' });
  });

  afterAll(async () => {
    await sut?.close();
    await llm.stop();
    await cleanup(iso);
  });

  it('gives memory_save past WIZ_MAX_MEMORY_ITEMS_PER_AGENT a tool error, and saves nothing', async () => {
    const api = (method: string, path: string, body?: unknown) => http(sut.baseUrl, method, path, body);
    const agentId: string = (await api('POST', '/api/v1/agents', { name: 'M', role: 'r', loop: { planning: false } }))
      .body.id;
    expect((await api('POST', '/api/v1/memory/save', { agentId, text: 'the only fact' })).status).toBe(201);
    const job = (await api('POST', '/api/v1/jobs', { agentId, input: 'REMEMBER this' })).body;
    const seen = await settledJob(api, job.id);
    expect(seen.status).toBe('completed');
    expect(seen.result!.text).toMatch(/WIZ_MAX_MEMORY_ITEMS_PER_AGENT/);
    const items = (await api('GET', `/api/v1/memory/query?agentId=${agentId}&limit=10`)).body.items;
    expect(items.map((i: { text: string }) => i.text)).toEqual(['the only fact']);
  });
});
