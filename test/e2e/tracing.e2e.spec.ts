import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeLlmServer } from '../../apps/fake-llm/src/fake-llm.server';
import { readEventLog } from '../support/event-log';
import { http } from '../support/http';
import { cleanup, isolation, TEST_NATS_URL, TEST_PG_URL, TEST_SECRET_KEY } from '../support/isolation';
import { OtlpReceiver, ReceivedSpan } from '../support/otlp-receiver';
import { until } from '../support/until';
import { freePort, WizProcess } from '../support/wiz-process';

const SERVER = 2; // OTLP SpanKind: SPAN_KIND_SERVER
const SECRET = 'PROMPT-TEXT-7731'; // in every prompt: must appear in no span attribute

// One delegated job, traced through a gateway and a runtime in separate processes, exported over
// OTLP/HTTP to a receiver in the test: the span tree, its GenAI attributes and one trace id.
describe('tracing across the gateway and the runtime (OTLP)', () => {
  const iso = isolation('tracing');
  const dataDir = mkdtempSync(join(tmpdir(), 'wiz-trace-'));
  const receiver = new OtlpReceiver();
  const llm = new FakeLlmServer({
    rules: [
      {
        match: { systemContains: 'You are Boss,', hasToolResult: false },
        reply: { toolCalls: [{ name: 'delegate_to_agent', arguments: { agent: 'Helper', task: `${SECRET} sub` } }] },
      },
      { match: { systemContains: 'You are Boss,', hasToolResult: true }, reply: { content: 'boss done' } },
      {
        match: { systemContains: 'You are Helper,', hasToolResult: false },
        reply: { toolCalls: [{ name: 'todo_write', arguments: { todos: [{ text: 'look', done: true }] } }] },
      },
      { match: { systemContains: 'You are Helper,', hasToolResult: true }, reply: { content: 'helper done' } },
    ],
  });
  const procs: WizProcess[] = [];
  let gateway: WizProcess;

  beforeAll(async () => {
    const env = {
      NATS_URL: TEST_NATS_URL,
      WIZ_BUS_PREFIX: iso.prefix,
      WIZ_DATA_DIR: dataDir,
      DATABASE_URL: TEST_PG_URL,
      WIZ_SECRET_KEY: TEST_SECRET_KEY,
      WIZ_DB_SCHEMA: iso.schema,
      OPENAI_BASE_URL: await llm.start(),
      OPENAI_API_KEY: 'sk-test',
      WIZ_LLM_MAX_RETRIES: '0',
      OTEL_EXPORTER_OTLP_ENDPOINT: await receiver.start(),
    };
    for (const entry of ['gateway', 'runtime'] as const) {
      const p = new WizProcess(entry, { ...env, PORT: String(await freePort()), OTEL_SERVICE_NAME: `wiz-${entry}` });
      procs.push(p);
      p.start();
      await p.ready();
    }
    gateway = procs[0]!;
  });

  afterAll(async () => {
    for (const p of procs) await p.stop();
    await llm.stop();
    await receiver.stop();
    await cleanup(iso);
    rmSync(dataDir, { recursive: true, force: true });
  });

  const api = (method: string, path: string, body?: unknown) => http(gateway.baseUrl, method, path, body);

  it('exports one trace: HTTP → invoke_agent → chat / execute_tool → the child job, with GenAI attributes', async () => {
    const ids: Record<string, string> = {};
    for (const name of ['Boss', 'Helper']) {
      const r = await api('POST', '/api/v1/agents', { name, role: `the ${name}`, loop: { planning: false } });
      expect(r.status).toBe(201);
      ids[name] = r.body.id;
    }
    const created = await api('POST', '/api/v1/jobs', { agentId: ids['Boss'], input: `${SECRET}: go` });
    expect(created.status).toBe(202);
    const jobId = created.body.id as string;
    await until(async () => (await api('GET', `/api/v1/jobs/${jobId}`)).body.status === 'completed', 30_000);
    const job = (await api('GET', `/api/v1/jobs/${jobId}`)).body;
    const childId = job.children[0] as string;

    // The boss runs twice (before and after the delegation); everything ends up exported.
    const runsOf = (agent: string) => receiver.named(`invoke_agent ${agent}`);
    await until(
      async () =>
        runsOf('Boss').length === 2 &&
        runsOf('Helper').length === 1 &&
        receiver.named('POST /api/v1/jobs').length === 1 &&
        receiver.spans.filter((s) => s.name.startsWith('chat ')).length === 4,
      20_000,
      'spans exported',
      () => receiver.spans.map((s) => `${s.service}:${s.name}`).join(', '),
    );

    const server = receiver.named('POST /api/v1/jobs')[0]!;
    expect(server).toMatchObject({ service: 'wiz-gateway', kind: SERVER });
    const trace = server.traceId;
    expect(trace).toMatch(/^[0-9a-f]{32}$/);
    const inTrace = receiver.spans.filter((s) => s.traceId === trace);
    const childrenOf = (p: ReceivedSpan) => inTrace.filter((s) => s.parentSpanId === p.spanId);

    // The first run of the boss is the HTTP request's child, in the other process.
    const [first] = runsOf('Boss').filter(
      (s) => s.attributes['wiz.job.attempt'] === 1 && s.parentSpanId === server.spanId,
    );
    expect(first).toBeDefined();
    expect(first!.service).toBe('wiz-runtime');
    expect(first!.traceId).toBe(trace);
    expect(first!.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.id': ids['Boss'],
      'gen_ai.agent.name': 'Boss',
      'wiz.job.id': jobId,
    });
    const firstChildren = childrenOf(first!);
    const chat = firstChildren.find((s) => s.name.startsWith('chat '));
    const tool = firstChildren.find((s) => s.name === 'execute_tool delegate_to_agent');
    expect(chat?.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': expect.any(String),
      'gen_ai.request.model': chat!.name.slice('chat '.length),
      'gen_ai.usage.input_tokens': expect.any(Number),
      'gen_ai.usage.output_tokens': expect.any(Number),
    });
    expect(tool?.attributes).toMatchObject({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'delegate_to_agent',
    });

    // The child job's run: under the delegating tool call's span (or linked to it).
    const helper = runsOf('Helper')[0]!;
    expect(helper.traceId).toBe(trace);
    expect(helper.attributes).toMatchObject({ 'wiz.job.id': childId, 'gen_ai.agent.name': 'Helper' });
    const linked = helper.links.some((l) => l.spanId === tool!.spanId);
    expect(helper.parentSpanId === tool!.spanId || linked).toBe(true);
    expect(childrenOf(helper).map((s) => s.name)).toEqual(
      expect.arrayContaining(['execute_tool todo_write', expect.stringMatching(/^chat /)]),
    );
    // The boss's resumed run is in the same trace too.
    expect(runsOf('Boss').every((s) => s.traceId === trace)).toBe(true);

    // Tokens on the chat spans are what the model reported, call for call.
    const reported = llm.requests.filter((r) => r.usage);
    const chats = inTrace.filter((s) => s.name.startsWith('chat '));
    expect(chats).toHaveLength(reported.length);
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    expect(sum(chats.map((s) => s.attributes['gen_ai.usage.input_tokens'] as number))).toBe(
      sum(reported.map((r) => r.usage!.prompt_tokens)),
    );
    expect(sum(chats.map((s) => s.attributes['gen_ai.usage.output_tokens'] as number))).toBe(
      sum(reported.map((r) => r.usage!.completion_tokens)),
    );

    // No prompt or completion text in any attribute unless WIZ_TRACE_CONTENT is on.
    for (const s of receiver.spans) {
      expect(Object.keys(s.attributes)).not.toEqual(
        expect.arrayContaining([expect.stringMatching(/^gen_ai\.(input|output)\.messages$/)]),
      );
      expect(JSON.stringify(s.attributes)).not.toContain(SECRET);
    }

    // Every event of both jobs names the trace.
    const events = await readEventLog(`${iso.prefix}_events`, `${iso.prefix}.events.>`);
    const ofJobs = events.filter((e) => e.jobId === jobId || e.jobId === childId);
    expect(ofJobs.length).toBeGreaterThan(4);
    expect(new Set(ofJobs.map((e) => e.traceId))).toEqual(new Set([trace]));
  }, 60_000);

  it("continues a caller's trace given in traceparent", async () => {
    const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const r = await http(gateway.baseUrl, 'GET', '/api/v1/agents', undefined, undefined, {
      traceparent: `00-${callerTrace}-00f067aa0ba902b7-01`,
    });
    expect(r.status).toBe(200);
    await until(async () => receiver.spans.some((s) => s.traceId === callerTrace), 10_000, 'caller trace exported');
    const span = receiver.spans.find((s) => s.traceId === callerTrace)!;
    expect(span).toMatchObject({ name: 'GET /api/v1/agents', parentSpanId: '00f067aa0ba902b7', kind: SERVER });
  });
});
