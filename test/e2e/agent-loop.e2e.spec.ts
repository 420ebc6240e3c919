import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, NatsConnection, Subscription } from 'nats';
import { DataSource } from 'typeorm';
import type { ServerFrame } from '@wiz/contracts';
import { FakeLlmServer } from '../../apps/fake-llm/src/fake-llm.server';
import { FakeLlmRule } from '../../apps/fake-llm/src/rules';
import { ACT_INSTRUCTIONS, PLAN_INSTRUCTIONS, VALIDATE_INSTRUCTIONS } from '../../libs/agent/src/loop/prompts';
import { readEventLog } from '../support/event-log';
import { http, HttpResult } from '../support/http';
import { cleanup, isolation, TEST_NATS_URL, TEST_PG_URL } from '../support/isolation';
import { until } from '../support/until';
import { startServer, WizProcess } from '../support/wiz-process';
import { WsClient } from '../support/ws-client';

const PLAN = PLAN_INSTRUCTIONS.split('\n')[0]!;
const ACT = ACT_INSTRUCTIONS.split('\n')[0]!;
const VALIDATE = VALIDATE_INSTRUCTIONS.split('\n')[0]!;
const plan = (marker: string): FakeLlmRule => ({
  match: { systemContains: PLAN, anyMessageContains: marker },
  reply: { content: JSON.stringify({ validationCriteria: [`mentions ${marker}`], steps: ['think', 'answer'] }) },
});
const verdict = (passed: boolean, feedback = '') => ({ content: JSON.stringify({ passed, feedback }) });
const PROVIDER_KEY = 'sk-provider-SECRET-5f1d2c7a';

// The agent loop against the built server and the scripted model: plan → act (tools,
// streamed tokens) → validate → iterate, budgets, providers, behavior rules. Once per store.
describe.each<['postgres' | 'sqlite']>([['postgres'], ['sqlite']])('agent loop on %s', (store) => {
  const iso = isolation(`agentloop${store}`);
  const dataDir = mkdtempSync(join(tmpdir(), 'wiz-agent-'));
  const llm = new FakeLlmServer({
    rules: [
      plan('MULTI'),
      {
        match: { systemContains: ACT, anyMessageContains: 'MULTI', hasToolResult: false },
        reply: {
          toolCalls: [
            { name: 'report_progress', arguments: { percent: 40 } },
            { name: 'remember', arguments: { note: 'MULTI jobs like 42' } },
          ],
        },
      },
      {
        match: { systemContains: ACT, anyMessageContains: 'MULTI', hasToolResult: true },
        reply: { content: 'The MULTI answer is 42, said the agent.', chunkSize: 3, tokenIntervalMs: 20 },
      },
      { match: { systemContains: VALIDATE, anyMessageContains: 'MULTI' }, reply: verdict(true) },

      plan('RETRY'),
      {
        match: { systemContains: ACT, lastUserContains: 'did not meet', anyMessageContains: 'RETRY' },
        reply: { content: 'RETRY better answer' },
      },
      { match: { systemContains: ACT, anyMessageContains: 'RETRY' }, reply: { content: 'RETRY first draft' } },
      { match: { systemContains: VALIDATE, anyMessageContains: 'RETRY better answer' }, reply: verdict(true) },
      { match: { systemContains: VALIDATE, anyMessageContains: 'RETRY' }, reply: verdict(false, 'too short') },

      plan('STEPS'),
      {
        match: { systemContains: ACT, anyMessageContains: 'STEPS' },
        reply: { toolCalls: [{ name: 'report_progress', arguments: { percent: 1 } }] },
      },
      plan('ITER'),
      { match: { systemContains: VALIDATE, anyMessageContains: 'ITER' }, reply: verdict(false, 'never good enough') },
      { match: { anyMessageContains: 'WALL' }, reply: { content: 'late', delayMs: 4_000 } },
      {
        match: { anyMessageContains: 'RATELIMITED' },
        reply: { status: 429, errorMessage: 'Rate limit reached' },
        times: 1,
      },
      { match: { anyMessageContains: 'DOWN' }, reply: { status: 503, errorMessage: 'upstream is down' } },
      {
        match: { systemContains: ACT, anyMessageContains: 'HUGE' },
        reply: { status: 400, errorMessage: "This model's maximum context length is 8192 tokens" },
        times: 1,
      },
      {
        match: { systemContains: 'became too long', anyMessageContains: 'HUGE' },
        reply: { content: 'HUGE task, nothing done yet' },
      },
      { match: { systemContains: ACT, anyMessageContains: 'HUGE' }, reply: { content: 'HUGE answer' } },
      {
        match: { systemContains: ACT, anyMessageContains: 'FIN' },
        reply: { toolCalls: [{ name: 'finish', arguments: { answer: 'FIN: the final answer' } }] },
      },
      {
        match: { systemContains: ACT, anyMessageContains: 'BADARGS', hasToolResult: false },
        reply: { toolCalls: [{ name: 'report_progress', arguments: { percent: 500 } }] },
      },
      {
        match: { systemContains: ACT, anyMessageContains: 'BADARGS', hasToolResult: true },
        reply: { content: 'BADARGS recovered' },
      },
      {
        match: { systemContains: PLAN, anyMessageContains: 'AGAIN' },
        reply: { status: 500, errorMessage: 'flaky' },
        times: 2,
      },
      plan('LONE'),
      {
        match: { systemContains: ACT, anyMessageContains: 'LONE', hasToolResult: false },
        reply: { toolCalls: [{ name: 'report_progress', arguments: { percent: 50 } }] },
      },
      {
        match: { systemContains: ACT, anyMessageContains: 'LONE', hasToolResult: true },
        reply: { content: 'LONE answer, unstreamed', chunkSize: 3 },
      },
      { match: { systemContains: VALIDATE, anyMessageContains: 'LONE' }, reply: verdict(true) },
      {
        match: { systemContains: ACT, anyMessageContains: 'JOINS', hasToolResult: false },
        reply: { toolCalls: [{ name: 'report_progress', arguments: { percent: 50 } }], delayMs: 1_500 },
      },
      {
        match: { systemContains: ACT, anyMessageContains: 'JOINS', hasToolResult: true },
        reply: { content: 'JOINS answer, streamed to the late follower', chunkSize: 4 },
      },
      plan('PROVIDED'),
      { match: { systemContains: VALIDATE, anyMessageContains: 'PROVIDED' }, reply: verdict(true) },
    ],
  });
  let sut: WizProcess;
  let api: (method: string, path: string, body?: unknown) => Promise<HttpResult>;
  let nc: NatsConnection;
  let tap: Subscription;
  const busMessages: string[] = [];

  beforeAll(async () => {
    nc = await connect({ servers: TEST_NATS_URL });
    // Every message on this installation's bus (events, mailbox commands, tokens, control).
    tap = nc.subscribe(`${iso.prefix}.>`, { callback: (_e, m) => busMessages.push(`${m.subject} ${m.string()}`) });
    sut = await startServer({
      store,
      iso,
      dataDir,
      llmUrl: await llm.start(),
      env: { LOG_LEVEL: 'debug', WIZ_SECRET_KEY: 'test-secret-key-with-at-least-32-chars', WIZ_LLM_MAX_RETRIES: '1' },
    });
    api = (method, path, body) => http(sut.baseUrl, method, path, body);
  });

  afterAll(async () => {
    await sut?.stop();
    tap?.unsubscribe();
    await nc?.close();
    await llm.stop();
    await cleanup(iso);
    rmSync(dataDir, { recursive: true, force: true });
  });

  const agent = async (body: object = {}) => {
    const r = await api('POST', '/api/v1/agents', { name: 'Ada', role: 'a careful analyst', ...body });
    expect(r.status).toBe(201);
    return r.body as { id: string };
  };
  const settle = async (input: string, agentId: string, status = 'completed') => {
    const id = (await api('POST', '/api/v1/jobs', { agentId, input })).body.id as string;
    await until(
      async () => ['completed', 'failed'].includes((await api('GET', `/api/v1/jobs/${id}`)).body.status),
      20_000,
      `job ${input}`,
    );
    const job = (await api('GET', `/api/v1/jobs/${id}`)).body;
    expect({ input, status: job.status, reason: job.failureReason }).toEqual({
      input,
      status,
      reason: status === 'failed' ? expect.any(String) : null,
    });
    return job;
  };
  // Postgres: every provider row; SQLite: the raw bytes of the database files (WAL included).
  const storeContents = async (): Promise<string> => {
    if (store === 'sqlite') {
      return readdirSync(dataDir)
        .filter((f) => f.startsWith('wiz.sqlite'))
        .map((f) => readFileSync(join(dataDir, f)).toString('latin1'))
        .join('');
    }
    const ds = new DataSource({ type: 'postgres', url: TEST_PG_URL, schema: iso.schema });
    await ds.initialize();
    const rows = await ds.query(`SELECT * FROM "${iso.schema}".providers`).finally(() => ds.destroy());
    expect(rows).toHaveLength(1);
    return JSON.stringify(rows);
  };
  const events = async (jobId: string) =>
    readEventLog(`${iso.prefix}_events`, `${iso.prefix}.events.agent.*.${jobId}.>`);

  it('plans, calls tools, streams its answer token by token, validates and completes', async () => {
    const a = await agent();
    const ws = await WsClient.open(`${sut.baseUrl.replace('http', 'ws')}/ws`);
    try {
      ws.send({ type: 'subscribe', topic: `agent:${a.id}` });
      await ws.take(1, (f) => f.type === 'subscribed');
      const job = await settle('MULTI: what is the answer?', a.id);
      expect(job.result).toMatchObject({ text: 'The MULTI answer is 42, said the agent.', steps: 4, iterations: 1 });

      // Tokens arrive live, in order, and concatenated are the stored answer.
      const tokens: Array<Extract<ServerFrame, { type: 'live' }>> = [];
      const text = () => tokens.map((t) => (t.event.data as { delta: string }).delta).join('');
      while (text().length < job.result.text.length)
        tokens.push(...((await ws.take(1, (f) => f.type === 'live')) as typeof tokens));
      const data = tokens.map((t) => t.event.data as { step: number; index: number; delta: string });
      expect(tokens.every((t) => t.event.type === 'agent.token' && t.event.jobId === job.id)).toBe(true);
      expect(data.map((d) => d.index)).toEqual(data.map((_, i) => i));
      expect(data.length).toBeGreaterThanOrEqual(3); // 13 deltas over ~260 ms, batched per 50 ms
      expect(new Set(data.map((d) => d.step))).toEqual(new Set([3]));
      expect(data.map((d) => d.delta).join('')).toBe(job.result.text);

      const types = (await events(job.id)).map((e) => e.type);
      expect(types).toEqual([
        'job.created',
        'job.active',
        'agent.status',
        'agent.step', // busy, plan
        'job.progress',
        'tool.called',
        'tool.called',
        'tool.result',
        'tool.result',
        'agent.step', // act step 1
        'agent.step', // act step 2, which ends the act phase
        'agent.step', // validate
        'job.validation',
        'job.completed',
        'agent.status', // validate; active again
      ]);
      const ctx = await api('GET', `/api/v1/jobs/${job.id}/context`);
      expect(ctx.status).toBe(200);
      expect(ctx.body).toMatchObject({
        phase: 'done',
        plan: { validationCriteria: ['mentions MULTI'] },
        validationResult: { passed: true, iteration: 0 },
        learnings: ['MULTI jobs like 42'],
        runs: 1,
      });
      expect(ctx.body.toolCalls.map((t: { tool: string }) => t.tool)).toEqual(['report_progress', 'remember']);
      expect(ctx.body.messages.length).toBeGreaterThanOrEqual(4);
      expect((await api('GET', `/api/v1/agents/${a.id}`)).body.status).toBe('active');

      // Long-term memory: what it noted, and the job itself, are in its next job's prompt.
      await settle('MEMORY check', a.id);
      const next = llm.requests
        .map((q) => (q.body as { messages: Array<{ content: string }> }).messages)
        .find((m) => m[1]?.content.startsWith('MEMORY check'))!;
      expect(next[0]!.content).toContain('What you have learned before:\n- MULTI jobs like 42');
      expect(next[0]!.content).toContain(
        'Your recent jobs:\n- completed: MULTI: what is the answer? → The MULTI answer is 42',
      );
    } finally {
      await ws.close();
    }
  });

  // WIZ_LIVE_TOKENS=subscribed (the default): tokens stream only while someone follows.
  const actCalls = (marker: string) =>
    llm.requests
      .map((r) => r.body as { stream?: boolean; messages: Array<{ content: unknown }> })
      .filter((b) => JSON.stringify(b.messages).includes(marker) && JSON.stringify(b.messages).includes(ACT));
  const liveOf = (jobId: string) => busMessages.filter((m) => m.includes('.live.') && m.includes(jobId));

  it('answers in one response per model call when no one follows the job: no token events', async () => {
    const a = await agent();
    const job = await settle('LONE: what is the answer?', a.id);
    expect(job.result).toMatchObject({ text: 'LONE answer, unstreamed', steps: 4 });
    expect(actCalls('LONE').map((b) => b.stream ?? false)).toEqual([false, false]);
    expect(liveOf(job.id)).toEqual([]);
    const stored = await events(job.id);
    const types = stored.map((e) => e.type);
    // plan, the two act steps (the second says how the act phase ended: one event, not two), validate
    const steps = stored.filter((e) => e.type === 'agent.step').map((e) => e.data);
    expect(steps.map((d) => [d.phase, d.step])).toEqual([
      ['plan', 1],
      ['act', 2],
      ['act', 3],
      ['validate', 4],
    ]);
    expect(steps[2]).toMatchObject({ finishReason: 'stop', usage: { outputTokens: expect.any(Number) } });
    expect(types[types.length - 2]).toBe('job.completed');
    if (store === 'postgres') {
      // Each step appended to the saved context; none rewrote it (a new generation).
      const ds = new DataSource({ type: 'postgres', url: TEST_PG_URL, schema: iso.schema });
      await ds.initialize();
      const rows = await ds
        .query(`SELECT generation FROM "${iso.schema}".activity_contexts WHERE "jobId" = $1`, [job.id])
        .finally(() => ds.destroy());
      expect(rows).toEqual([{ generation: 1 }]);
    }
  });

  it('streams the next model call of a job once someone starts following it', async () => {
    const a = await agent({ loop: { planning: false } });
    const id = (await api('POST', '/api/v1/jobs', { agentId: a.id, input: 'JOINS: go' })).body.id as string;
    await until(async () => actCalls('JOINS').length === 1, 10_000, 'the first (slow, unstreamed) model call');
    const ws = await WsClient.open(`${sut.baseUrl.replace('http', 'ws')}/ws`);
    try {
      ws.send({ type: 'subscribe', topic: `job:${id}` });
      await ws.take(1, (f) => f.type === 'subscribed');
      const answer = 'JOINS answer, streamed to the late follower';
      const tokens: Array<Extract<ServerFrame, { type: 'live' }>> = [];
      const text = () => tokens.map((t) => (t.event.data as { delta: string }).delta).join('');
      while (text().length < answer.length)
        tokens.push(...((await ws.take(1, (f) => f.type === 'live')) as typeof tokens));
      expect(text()).toBe(answer);
      expect(actCalls('JOINS').map((b) => b.stream ?? false)).toEqual([false, true]);
      await until(async () => (await api('GET', `/api/v1/jobs/${id}`)).body.status === 'completed', 10_000, 'done');
      expect((await api('GET', `/api/v1/jobs/${id}`)).body.result).toMatchObject({ text: answer, steps: 2 });
    } finally {
      await ws.close();
    }
  });

  it('goes round again when its own validation fails', async () => {
    const a = await agent();
    const job = await settle('RETRY: explain', a.id);
    expect(job.result).toMatchObject({ text: 'RETRY better answer', iterations: 2 });
    const validations = (await events(job.id)).filter((e) => e.type === 'job.validation').map((e) => e.data);
    expect(validations).toEqual([
      { iteration: 0, passed: false, feedback: 'too short', criteria: ['mentions RETRY'] },
      { iteration: 1, passed: true, feedback: '', criteria: ['mentions RETRY'] },
    ]);
  });

  it.each([
    ['maxSteps', { maxSteps: 3 }, 'STEPS: loop forever', /budget exhausted: 3 model steps/],
    [
      'maxTokens',
      { maxTokens: 100 },
      `TOKENS: ${'long input '.repeat(100)}`,
      /budget exhausted: \d+ tokens used \(maxTokens 100\)/,
    ],
    ['maxWallMs', { maxWallMs: 1_000 }, 'WALL: take your time', /longer than 1000 ms \(maxWallMs\)/],
    ['maxIterations', { maxIterations: 2 }, 'ITER: try', /validation failed 2 time\(s\).*never good enough/],
  ])('fails with a clear reason when %s is spent', async (_name, loop, input, reason) => {
    const a = await agent({ loop });
    const job = await settle(input, a.id, 'failed');
    expect(job.failureReason).toMatch(reason);
    expect(job.attempts).toBe(1);
    expect((await api('GET', `/api/v1/agents/${a.id}`)).body.status).toBe('active');
  });

  it('retries a rate-limited model call, and fails the job with the reason when the endpoint stays down', async () => {
    const a = await agent({ loop: { planning: false } });
    const ok = await settle('RATELIMITED: hi', a.id);
    expect(ok.result.text).toMatch(/^echo: RATELIMITED/);
    expect(llm.requests.filter((q) => JSON.stringify(q.body).includes('RATELIMITED'))).toHaveLength(2);
    const down = await settle('DOWN: hi', a.id, 'failed');
    expect(down.failureReason).toMatch(/answered HTTP 503: upstream is down \(gave up after 2 attempts\)/);
    expect(llm.requests.filter((q) => JSON.stringify(q.body).includes('DOWN'))).toHaveLength(2);
  });

  it("summarises a conversation that outgrew the model's context, and goes on", async () => {
    const a = await agent({ loop: { planning: false } });
    const job = await settle('HUGE: a task', a.id);
    expect(job.result.text).toBe('HUGE answer');
    const ctx = (await api('GET', `/api/v1/jobs/${job.id}/context`)).body;
    expect(ctx.errors).toEqual(['the conversation exceeded the model context: summarised and continued']);
    expect(JSON.stringify(ctx.messages[0])).toContain('Summary of your work so far');
    expect(JSON.stringify(ctx.messages[0])).toContain('HUGE task, nothing done yet');
  });

  it('starts over with a fresh context when a failed attempt is retried', async () => {
    const a = await agent();
    const id = (await api('POST', '/api/v1/jobs', { agentId: a.id, input: 'AGAIN: once more', attempts: 2 })).body
      .id as string;
    await until(
      async () => (await api('GET', `/api/v1/jobs/${id}`)).body.status === 'completed',
      20_000,
      'retried job',
    );
    const job = (await api('GET', `/api/v1/jobs/${id}`)).body;
    expect(job.attempts).toBe(2);
    const ctx = (await api('GET', `/api/v1/jobs/${id}/context`)).body;
    expect(ctx).toMatchObject({ runs: 2, phase: 'done', steps: 2 });
    expect(ctx.errors).toEqual([
      expect.stringMatching(/answered HTTP 500: flaky/),
      'run 2: starting over after attempt 1 failed',
    ]);
  });

  it('takes the answer of the finish tool', async () => {
    const a = await agent({ loop: { planning: false } });
    const job = await settle('FIN: end it', a.id);
    expect(job.result).toMatchObject({ text: 'FIN: the final answer', finishReason: 'stop', steps: 1 });
    const ctx = (await api('GET', `/api/v1/jobs/${job.id}/context`)).body;
    expect(ctx.toolCalls).toEqual([
      expect.objectContaining({ tool: 'finish', result: { ok: true, answer: 'FIN: the final answer' } }),
    ]);
  });

  it('answers a tool call with invalid arguments with a tool error, and the model goes on', async () => {
    const a = await agent({ loop: { planning: false } });
    const job = await settle('BADARGS: go', a.id);
    expect(job.result.text).toBe('BADARGS recovered');
    expect(job.progress).toBe(100);
    const results = (await events(job.id)).filter((e) => e.type === 'tool.result').map((e) => e.data);
    expect(results).toEqual([
      expect.objectContaining({ tool: 'report_progress', error: expect.stringMatching(/percent/) }),
    ]);
  });

  it("puts a behavior change into the next job's system prompt", async () => {
    const a = await agent();
    await settle('first job', a.id);
    const r = await api('POST', `/api/v1/agents/${a.id}/behavior`, {
      rules: ['Always answer in French.', 'always answer in french.'],
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ behaviorRules: ['Always answer in French.'], behaviorVersion: 1 });
    expect((await api('POST', `/api/v1/agents/${a.id}/behavior`, { rules: [] })).status).toBe(400);
    await settle('second job', a.id);
    // The system prompt of each model call, by the job (first user message) it served.
    const systemsOf = (input: string) =>
      llm.requests
        .map((q) => (q.body as { messages: Array<{ role: string; content: string }> }).messages)
        .filter((m) => m[1]?.content.startsWith(input))
        .map((m) => m[0]!.content);
    expect(systemsOf('second job').length).toBeGreaterThan(0);
    expect(
      systemsOf('second job').every((s) =>
        s.includes('Behavior rules (always follow them):\n- Always answer in French.'),
      ),
    ).toBe(true);
    expect(systemsOf('first job').length).toBeGreaterThan(0);
    expect(systemsOf('first job').some((s) => s.includes('Always answer in French'))).toBe(false);
  });

  it('calls a registered provider with its key, which appears nowhere else', async () => {
    const created = await api('POST', '/api/v1/providers', {
      name: 'scripted',
      baseUrl: sut.env['OPENAI_BASE_URL'],
      apiKey: PROVIDER_KEY,
      defaultModel: 'fake-pro',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'scripted', defaultModel: 'fake-pro', hasApiKey: true });
    expect(JSON.stringify(created.body)).not.toContain(PROVIDER_KEY);
    expect((await api('POST', '/api/v1/providers', { name: 'x', baseUrl: 'ftp://nope', apiKey: 'k' })).status).toBe(
      400,
    );
    const unknown = await api('POST', '/api/v1/agents', {
      name: 'X',
      role: 'y',
      model: { provider: crypto.randomUUID() },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toMatch(/unknown provider/);
    const a = await agent({ model: { provider: created.body.id } });
    const job = await settle('PROVIDED: hello', a.id);
    expect(job.result.model).toBe('fake-pro');
    const calls = llm.requests.filter((q) => JSON.stringify(q.body).includes('PROVIDED'));
    expect(calls.length).toBe(3);
    expect(
      calls.every(
        (q) =>
          q.headers.authorization === `Bearer ${PROVIDER_KEY}` && (q.body as { model: string }).model === 'fake-pro',
      ),
    ).toBe(true);

    // Nowhere else: API answers, every bus message, the event stream, job records, contexts, logs, the store.
    const listed = await api('GET', '/api/v1/providers');
    const one = await api('GET', `/api/v1/providers/${created.body.id}`);
    const jobs = await api('GET', '/api/v1/jobs?limit=500');
    const contexts = await Promise.all(
      jobs.body.items.map((j: { id: string }) => api('GET', `/api/v1/jobs/${j.id}/context`)),
    );
    const stream = await readEventLog(`${iso.prefix}_events`, `${iso.prefix}.events.>`);
    const stored = await storeContents();
    expect(stored).toContain('scripted'); // the provider row is in what we search
    expect(stored).toContain('v1:'); // its key, sealed
    expect(busMessages.length).toBeGreaterThan(10); // at least this job's commands and events
    expect(sut.output.join('').length).toBeGreaterThan(0);
    for (const [where, text] of Object.entries({
      api: JSON.stringify([listed.body, one.body, jobs.body, contexts.map((c) => c.body)]),
      bus: busMessages.join('\n'),
      stream: JSON.stringify(stream),
      logs: sut.output.join(''),
      store: stored,
    })) {
      expect({ where, leaked: text.includes(PROVIDER_KEY) }).toEqual({ where, leaked: false });
    }
    expect((await api('DELETE', `/api/v1/providers/${created.body.id}`)).status).toBe(204);
    expect((await api('GET', `/api/v1/providers/${created.body.id}`)).status).toBe(404);
  });
});
