import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, NatsConnection, Subscription } from 'nats';
import { FakeLlmServer } from '../../apps/fake-llm/src/fake-llm.server';
import { FakeLlmRule } from '../../apps/fake-llm/src/rules';
import { readEventLog } from '../support/event-log';
import { http, HttpResult } from '../support/http';
import { cleanup, isolation, TEST_NATS_URL } from '../support/isolation';
import { McpTestServer } from '../support/mcp-test-server';
import { until } from '../support/until';
import { startServer, WizProcess } from '../support/wiz-process';

const HEADER_SECRET = 'Bearer mcp-HEADER-SECRET-9a7c51';
const ENV_SECRET = 'mcp-ENV-SECRET-3b8e02';
const STDIO_SCRIPT = join(__dirname, '..', 'support', 'mcp-stdio-server.cjs');
const calls = (
  marker: string,
  toolCalls: Array<{ name: string; arguments: Record<string, unknown> }>,
): FakeLlmRule[] => [
  { match: { anyMessageContains: marker, hasToolResult: false }, reply: { toolCalls } },
  { match: { anyMessageContains: marker, hasToolResult: true }, reply: { content: `${marker} done` } },
];

// MCP servers as tool sources, end to end: the built server, a real MCP server (official SDK) on a
// loopback port and one over stdio, and the scripted model calling their tools.
describe.each<['postgres' | 'sqlite']>([['postgres'], ['sqlite']])('MCP tools on %s', (store) => {
  const iso = isolation(`mcptools${store}`);
  const dataDir = mkdtempSync(join(tmpdir(), 'wiz-mcp-'));
  const mcp = new McpTestServer();
  const llm = new FakeLlmServer({
    rules: [
      ...calls('MCPCALL', [
        { name: 'probe__echo', arguments: { text: 'hi' } },
        { name: 'probe__fail', arguments: {} },
        { name: 'probe__big', arguments: {} },
        { name: 'probe__slow', arguments: { ms: 10_000 } },
      ]),
      ...calls('MCPDOWN', [{ name: 'probe__slow', arguments: { ms: 1_400 } }]),
      ...calls('MCPBACK', [{ name: 'probe__echo', arguments: { text: 'back' } }]),
      ...calls('MCPSTDIO', [{ name: 'stdio__env', arguments: {} }]),
    ],
  });
  let sut: WizProcess;
  let api: (method: string, path: string, body?: unknown) => Promise<HttpResult>;
  let nc: NatsConnection;
  let tap: Subscription;
  const busMessages: string[] = [];
  let probeId: string;

  beforeAll(async () => {
    nc = await connect({ servers: TEST_NATS_URL });
    tap = nc.subscribe(`${iso.prefix}.>`, { callback: (_e, m) => busMessages.push(`${m.subject} ${m.string()}`) });
    await mcp.start();
    sut = await startServer({
      store,
      iso,
      dataDir,
      llmUrl: await llm.start(),
      env: {
        LOG_LEVEL: 'debug',
        WIZ_SECRET_KEY: 'test-secret-key-with-at-least-32-chars',
        WIZ_MCP_STDIO: 'true',
        WIZ_MCP_CALL_TIMEOUT_MS: '1500',
        WIZ_MCP_MAX_RESULT_CHARS: '1000',
      },
    });
    api = (method, path, body) => http(sut.baseUrl, method, path, body);
  });

  afterAll(async () => {
    await sut?.stop();
    tap?.unsubscribe();
    await nc?.close();
    await llm.stop();
    await mcp.stop();
    await cleanup(iso);
    rmSync(dataDir, { recursive: true, force: true });
  });

  const agent = async (tools: string[]) => {
    const r = await api('POST', '/api/v1/agents', {
      name: 'Mia',
      role: 'uses tools',
      tools,
      loop: { planning: false },
    });
    expect(r.status).toBe(201);
    return r.body.id as string;
  };
  const settle = async (input: string, agentId: string) => {
    const id = (await api('POST', '/api/v1/jobs', { agentId, input })).body.id as string;
    await until(
      async () => ['completed', 'failed'].includes((await api('GET', `/api/v1/jobs/${id}`)).body.status),
      30_000,
      `job ${input}`,
    );
    return (await api('GET', `/api/v1/jobs/${id}`)).body;
  };
  const toolResults = async (jobId: string) =>
    (await readEventLog(`${iso.prefix}_events`, `${iso.prefix}.events.agent.*.${jobId}.>`))
      .filter((e) => e.type === 'tool.result')
      .map((e) => e.data as { tool: string; result?: { result?: string }; error?: string });

  it('stores a server with its header values sealed and answers their names only', async () => {
    const created = await api('POST', '/api/v1/mcp-servers', {
      name: 'probe',
      transport: 'http',
      url: mcp.url,
      headers: { Authorization: HEADER_SECRET },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'probe',
      transport: 'http',
      url: mcp.url,
      headerNames: ['Authorization'],
    });
    probeId = created.body.id;
    expect((await api('POST', '/api/v1/mcp-servers', { name: 'probe', transport: 'http', url: mcp.url })).status).toBe(
      409,
    );
    expect((await api('POST', '/api/v1/mcp-servers', { name: 'a__b', transport: 'http', url: mcp.url })).status).toBe(
      400,
    );
    expect((await api('PATCH', `/api/v1/mcp-servers/${probeId}`, { command: 'ls' })).status).toBe(400);
    const list = await api('GET', '/api/v1/mcp-servers');
    expect(list.body.items.map((s: { name: string }) => s.name)).toEqual(['probe']);
    expect(JSON.stringify([created.body, list.body])).not.toContain('HEADER-SECRET');
  });

  it("lists a server's tools and connection state through a runtime, sending its headers", async () => {
    const r = await api('GET', `/api/v1/mcp-servers/${probeId}/tools`);
    expect(r.status).toBe(200);
    expect(r.body.state).toBe('connected');
    expect(r.body.tools.map((t: { name: string }) => t.name).sort()).toEqual([
      'probe__big',
      'probe__echo',
      'probe__fail',
      'probe__slow',
    ]);
    expect(r.body.tools.find((t: { name: string }) => t.name === 'probe__echo').inputSchema).toMatchObject({
      type: 'object',
      properties: { text: { type: 'string' } },
    });
    expect(mcp.headers.some((h) => h['authorization'] === HEADER_SECRET)).toBe(true);
  });

  it('calls MCP tools from the loop: results, a failure, a cut result and a timeout as tool results', async () => {
    const id = await agent(['probe__*']);
    const job = await settle('MCPCALL now', id);
    expect(job.status).toBe('completed');
    expect(job.result.text).toBe('MCPCALL done');
    const tools = llm.requests.map((q) => (q.body as { tools?: Array<{ function: { name: string } }> }).tools ?? []);
    expect(tools.at(-1)!.map((t) => t.function.name)).toEqual(
      expect.arrayContaining(['finish', 'probe__echo', 'probe__slow', 'probe__fail', 'probe__big']),
    );
    const results = await toolResults(job.id);
    const byTool = Object.fromEntries(results.map((r) => [r.tool, r]));
    expect(byTool['probe__echo']!.result).toEqual({ result: 'echo: hi' });
    expect(byTool['probe__fail']!.error).toMatch(/fail.*reported an error: .*failed on purpose/);
    expect(byTool['probe__big']!.result!.result).toMatch(/\[cut: the result had 200000 characters\]$/);
    expect(byTool['probe__slow']!.error).toMatch(/MCP server probe failed on slow: .*timed out/i);
    expect(mcp.calls).toEqual(expect.arrayContaining(['echo:hi', 'fail', 'big', 'slow:10000']));
  });

  it('picks up a changed tool list', async () => {
    mcp.addTool('later');
    await until(
      async () =>
        (await api('GET', `/api/v1/mcp-servers/${probeId}/tools`)).body.tools.some(
          (t: { name: string }) => t.name === 'probe__later',
        ),
      10_000,
      'probe__later listed',
    );
  });

  it('gives the model a tool error when the server stops mid-call, and reconnects when it is back', async () => {
    // A fresh agent per job: an agent's recent jobs are in its prompt, which the script matches.
    const fresh = () => agent(['probe__echo', 'probe__slow']);
    const port = Number(new URL(mcp.url).port);
    const running = settle('MCPDOWN now', await fresh());
    await until(async () => mcp.calls.includes('slow:1400'), 10_000, 'the slow call started');
    await mcp.stop();
    const down = await running;
    expect(down.status).toBe('completed');
    expect((await toolResults(down.id))[0]!.error).toMatch(/MCP server probe failed on slow/);
    // Still down when the next job starts: its tools are offered, and a call says why it failed.
    const still = await settle('MCPBACK first', await fresh());
    expect(still.status).toBe('completed');
    expect((await toolResults(still.id))[0]!.error).toMatch(/MCP server probe/);
    await mcp.start(port);
    const back = await settle('MCPBACK now', await fresh());
    expect(back.status).toBe('completed');
    expect((await toolResults(back.id))[0]!.result).toEqual({ result: 'echo: back' });
  });

  it('runs a stdio server with its sealed environment', async () => {
    const created = await api('POST', '/api/v1/mcp-servers', {
      name: 'stdio',
      transport: 'stdio',
      command: process.execPath,
      args: [STDIO_SCRIPT],
      env: { WIZ_TEST_TOKEN: ENV_SECRET },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ envNames: ['WIZ_TEST_TOKEN'], args: [STDIO_SCRIPT] });
    const tools = await api('GET', `/api/v1/mcp-servers/${created.body.id}/tools`);
    expect(tools.body).toMatchObject({ state: 'connected' });
    expect(tools.body.tools.map((t: { name: string }) => t.name).sort()).toEqual(['stdio__echo', 'stdio__env']);
    const job = await settle('MCPSTDIO now', await agent(['stdio__*']));
    expect(job.status).toBe('completed');
    expect((await toolResults(job.id))[0]!.result).toEqual({ result: 'token is set' });
  });

  it('keeps header and env values out of every event, bus message, log line and answer', async () => {
    const answers = JSON.stringify([
      (await api('GET', '/api/v1/mcp-servers')).body,
      (await api('GET', `/api/v1/mcp-servers/${probeId}`)).body,
    ]);
    const events = JSON.stringify(await readEventLog(`${iso.prefix}_events`, `${iso.prefix}.events.>`));
    for (const secret of ['HEADER-SECRET', 'ENV-SECRET']) {
      expect(answers).not.toContain(secret);
      expect(events).not.toContain(secret);
      expect(busMessages.join('\n')).not.toContain(secret);
      expect(sut.output.join('')).not.toContain(secret);
    }
    expect(busMessages.length).toBeGreaterThan(10);
  });

  it('deletes a server', async () => {
    expect((await api('DELETE', `/api/v1/mcp-servers/${probeId}`)).status).toBe(204);
    expect((await api('GET', `/api/v1/mcp-servers/${probeId}`)).status).toBe(404);
  });
});
