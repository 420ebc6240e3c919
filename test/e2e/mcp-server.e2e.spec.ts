import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult, Progress } from '@modelcontextprotocol/sdk/types.js';
import { FakeLlmServer } from '../../apps/fake-llm/src/fake-llm.server';
import { asKey, http, HttpResult } from '../support/http';
import { cleanup, isolation } from '../support/isolation';
import { McpTestServer } from '../support/mcp-test-server';
import { until } from '../support/until';
import { startServer, WizProcess } from '../support/wiz-process';

const textOf = (r: unknown) => ((r as CallToolResult).content[0] as { text: string }).text;

// Wiz as an MCP server, end to end: the built server with authentication on, driven at /mcp by the
// official SDK's client (and by plain fetch where a test needs the raw HTTP), the scripted model
// answering the jobs its tools create.
describe('Wiz as an MCP server', () => {
  const iso = isolation('mcpserver');
  const dataDir = mkdtempSync(join(tmpdir(), 'wiz-mcpserver-'));
  const adminKey = `adm_${randomBytes(24).toString('hex')}`;
  const probe = new McpTestServer();
  const llm = new FakeLlmServer({
    rules: [
      { match: { lastUserContains: 'MCPASK' }, reply: { content: 'the answer is 42' } },
      { match: { lastUserContains: 'MCPSLOW' }, reply: { content: 'slow but done', delayMs: 1_500 } },
      { match: { lastUserContains: 'MCPHANG' }, reply: { content: 'too late', delayMs: 60_000 } },
      { match: { lastUserContains: 'MCPFAIL' }, reply: { status: 500, errorMessage: 'the model broke' } },
      {
        match: { lastUserContains: 'MCPTOOLHANG', hasToolResult: false },
        reply: { toolCalls: [{ name: 'probe__slow', arguments: { ms: 20_000 } }] },
      },
      { match: { lastUserContains: 'MCPTOOLHANG', hasToolResult: true }, reply: { content: 'tool done' } },
    ],
  });
  let sut: WizProcess;
  let keyA: string;
  let keyB: string;
  let a: ReturnType<typeof asKey>;
  const clients: Client[] = [];

  const connect = async (key?: string): Promise<Client> => {
    const client = new Client({ name: 'e2e', version: '1.0.0' });
    const headers: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${sut.baseUrl}/mcp`), { requestInit: { headers } }),
    );
    clients.push(client);
    return client;
  };
  const agent = async (name: string, extra: Record<string, unknown> = {}) => {
    const r = await a('POST', '/api/v1/agents', {
      name,
      role: 'answers questions',
      loop: { planning: false },
      ...extra,
    });
    expect(r.status).toBe(201);
    return r.body.id as string;
  };
  const jobsOf = async (agentId: string) =>
    (await a('GET', `/api/v1/jobs?agentId=${agentId}`)).body.items as Array<{ id: string; status: string }>;
  const raw = (body: unknown, headers: Record<string, string> = {}, rawBody?: string): Promise<HttpResult> =>
    http(sut.baseUrl, 'POST', '/mcp', body, rawBody, {
      authorization: `Bearer ${keyA}`,
      accept: 'application/json, text/event-stream',
      ...headers,
    });

  beforeAll(async () => {
    await probe.start();
    sut = await startServer({
      store: 'postgres',
      iso,
      dataDir,
      llmUrl: await llm.start(),
      env: {
        WIZ_AUTH: 'on',
        WIZ_ADMIN_KEY: adminKey,
        WIZ_RATE_LIMIT_PER_MIN: '0',
        WIZ_ALLOW_PRIVATE_URLS: 'true',
        WIZ_SECRET_KEY: 'test-secret-key-with-at-least-32-chars',
        WIZ_MCP_CALL_TIMEOUT_MS: '30000',
      },
    });
    const admin = asKey(sut.baseUrl, adminKey);
    keyA = (await admin('POST', '/api/v1/keys', { ownerId: 'user:a', name: 'a' })).body.key;
    keyB = (await admin('POST', '/api/v1/keys', { ownerId: 'user:b', name: 'b' })).body.key;
    a = asKey(sut.baseUrl, keyA);
  });

  afterAll(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    await sut?.stop();
    await llm.stop();
    await probe.stop();
    await cleanup(iso);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("lists the caller's agents as ask_<name> tools, beside list_agents and get_job", async () => {
    const mia = await agent('Mia Helper');
    await agent('Mia.Helper');
    const sut = await connect(keyA);
    const { tools } = await sut.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['ask_Mia_Helper', 'ask_Mia_Helper_2', 'get_job', 'list_agents']);
    expect(tools.find((t) => t.name === 'ask_Mia_Helper')).toMatchObject({
      description: expect.stringContaining('Mia Helper'),
      inputSchema: { type: 'object', properties: { task: { type: 'string' } }, required: ['task'] },
    });
    const listed = JSON.parse(textOf(await sut.callTool({ name: 'list_agents', arguments: {} })));
    expect(listed[0]).toMatchObject({ tool: 'ask_Mia_Helper', id: mia, name: 'Mia Helper' });
  });

  it("calls an agent and answers its job's result", async () => {
    await agent('Answerer');
    const sut = await connect(keyA);
    const result = await sut.callTool({ name: 'ask_Answerer', arguments: { task: 'MCPASK what is six times seven?' } });
    expect(result).toMatchObject({ isError: false, content: [{ type: 'text', text: 'the answer is 42' }] });
    const jobId = (result._meta as Record<string, string>)['wiz/jobId']!;
    expect((await a('GET', `/api/v1/jobs/${jobId}`)).body).toMatchObject({
      status: 'completed',
      input: 'MCPASK what is six times seven?',
    });
    const job = JSON.parse(textOf(await sut.callTool({ name: 'get_job', arguments: { jobId } })));
    expect(job).toMatchObject({ id: jobId, status: 'completed', result: { text: 'the answer is 42' } });
  });

  it('sends progress notifications while a slow job runs', async () => {
    await agent('Slowpoke');
    const sut = await connect(keyA);
    const progress: Progress[] = [];
    const result = await sut.callTool(
      { name: 'ask_Slowpoke', arguments: { task: 'MCPSLOW take your time' } },
      undefined,
      {
        onprogress: (p) => progress.push(p),
      },
    );
    expect(textOf(result)).toBe('slow but done');
    expect(progress.map((p) => p.message)).toEqual(expect.arrayContaining(['running (attempt 1)']));
    expect(progress.some((p) => /^step \d+: /.test(p.message ?? ''))).toBe(true);
    expect(progress.map((p) => p.progress)).toEqual(progress.map((_, i) => i + 1));
  });

  it('cancels the job when the client aborts the call', async () => {
    const id = await agent('Hanger');
    const sut = await connect(keyA);
    const abort = new AbortController();
    let active!: () => void;
    const running = new Promise<void>((r) => (active = r));
    const call = sut.callTool({ name: 'ask_Hanger', arguments: { task: 'MCPHANG forever' } }, undefined, {
      signal: abort.signal,
      onprogress: (p) => p.message?.startsWith('running') && active(),
    });
    await running;
    const abortedAt = Date.now();
    abort.abort('the user gave up');
    await expect(call).rejects.toThrow(/gave up/);
    await until(async () => (await jobsOf(id))[0]?.status === 'cancelled', 10_000, 'the job cancelled');
    expect(Date.now() - abortedAt).toBeLessThan(10_000);
  });

  it('cancels the job when the client hangs up', async () => {
    const id = await agent('Hangup');
    const hangUp = new AbortController();
    const res = await fetch(`${sut.baseUrl}/mcp`, {
      method: 'POST',
      signal: hangUp.signal,
      headers: {
        authorization: `Bearer ${keyA}`,
        accept: 'application/json, text/event-stream',
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'ask_Hangup', arguments: { task: 'MCPHANG again' }, _meta: { progressToken: 'p1' } },
      }),
    });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = res.body!.getReader();
    let seen = '';
    while (!seen.includes('running (attempt 1)')) {
      const chunk = await reader.read();
      if (chunk.done) throw new Error(`the stream ended early: ${seen}`);
      seen += new TextDecoder().decode(chunk.value);
    }
    hangUp.abort();
    await until(async () => (await jobsOf(id))[0]?.status === 'cancelled', 10_000, 'the job cancelled');
  });

  it('answers an unknown agent and a failed job as tool errors', async () => {
    await agent('Breaker');
    const sut = await connect(keyA);
    const unknown = await sut.callTool({ name: 'ask_Nobody', arguments: { task: 'x' } });
    expect(unknown).toMatchObject({
      isError: true,
      content: [{ text: expect.stringContaining('ask_Nobody not found') }],
    });
    const failed = await sut.callTool({ name: 'ask_Breaker', arguments: { task: 'MCPFAIL please' } });
    expect(failed.isError).toBe(true);
    expect(textOf(failed)).toMatch(/^job [0-9a-f-]{36} failed: .+/);
    const missing = await sut.callTool({ name: 'get_job', arguments: { jobId: 'not-a-job' } });
    expect(missing).toMatchObject({ isError: true, content: [{ text: 'job not-a-job not found' }] });
  });

  it('refuses bad requests with 4xx, never 500', async () => {
    expect((await raw({ hello: 'world' })).status).toBe(400);
    expect((await raw(undefined, {}, '{"jsonrpc": "2.0",')).status).toBe(400);
    expect((await raw(undefined, {}, JSON.stringify({ pad: 'x'.repeat(1_100_000) }))).status).toBe(413);
    expect((await raw({ jsonrpc: '2.0', id: 1, method: 'tools/list' }, { accept: 'text/html' })).status).toBe(406);
    const get = await http(sut.baseUrl, 'GET', '/mcp', undefined, undefined, { authorization: `Bearer ${keyA}` });
    expect(get.status).toBe(405);
    const unknownMethod = await raw({ jsonrpc: '2.0', id: 9, method: 'no/such/method' });
    expect(unknownMethod.status).toBe(200);
    expect(unknownMethod.body).toContain('"code":-32601');
  });

  it("refuses a missing or wrong key with 401, and never lists another owner's agents", async () => {
    await expect(connect()).rejects.toMatchObject({ code: 401 });
    await expect(connect('wiz_not-a-key')).rejects.toMatchObject({ code: 401 });
    await asKey(sut.baseUrl, keyB)('POST', '/api/v1/agents', { name: 'Bea', role: 'b' });
    const b = await connect(keyB);
    expect((await b.listTools()).tools.map((t) => t.name).sort()).toEqual(['ask_Bea', 'get_job', 'list_agents']);
    const stolen = await b.callTool({ name: 'ask_Answerer', arguments: { task: 'MCPASK' } });
    expect(stolen.isError).toBe(true);
  });

  it('aborts a running MCP tool call when its job is cancelled through the REST API', async () => {
    const created = await a('POST', '/api/v1/mcp-servers', { name: 'probe', transport: 'http', url: probe.url });
    expect(created.status).toBe(201);
    const id = await agent('Tooler', { tools: ['probe__slow'] });
    const job = (await a('POST', '/api/v1/jobs', { agentId: id, input: 'MCPTOOLHANG now' })).body.id as string;
    await until(async () => probe.calls.includes('slow:20000'), 15_000, 'the slow tool called');
    const cancelledAt = Date.now();
    expect((await a('POST', `/api/v1/jobs/${job}/cancel`)).status).toBe(200);
    await until(async () => probe.calls.includes('slow-aborted:20000'), 10_000, 'the slow tool call aborted');
    expect((await a('GET', `/api/v1/jobs/${job}`)).body.status).toBe('cancelled');
    expect(Date.now() - cancelledAt).toBeLessThan(10_000);
  });
});
