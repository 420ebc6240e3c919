import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeLlmServer, RecordedRequest } from '../../apps/fake-llm/src/fake-llm.server';
import { asKey, http, HttpResult } from '../support/http';
import { cleanup, isolation } from '../support/isolation';
import { until } from '../support/until';
import { startServer, WizProcess } from '../support/wiz-process';

// Prometheus text (prom-client's exposition format): samples by name, and each metric's type.
interface Scrape {
  samples: Array<{ name: string; labels: Record<string, string>; value: number }>;
  types: Map<string, string>;
}
function parseMetrics(text: string): Scrape {
  const scrape: Scrape = { samples: [], types: new Map() };
  for (const line of text.split('\n')) {
    const type = line.match(/^# TYPE (\S+) (\S+)$/);
    if (type) scrape.types.set(type[1]!, type[2]!);
    const sample = line.match(/^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/);
    if (!sample) continue;
    const labels = Object.fromEntries(
      [...(sample[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]),
    );
    scrape.samples.push({ name: sample[1]!, labels, value: Number(sample[3]) });
  }
  return scrape;
}
/** Sum of the samples of `name` whose labels include `where`. */
const total = (s: Scrape, name: string, where: Record<string, string> = {}) =>
  s.samples
    .filter((x) => x.name === name && Object.entries(where).every(([k, v]) => x.labels[k] === v))
    .reduce((a, x) => a + x.value, 0);

const PRICE = { input: 1, output: 2 }; // USD per million tokens, set for the model below
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const usageOf = (reqs: RecordedRequest[]) => {
  const chat = reqs.filter((r) => r.usage);
  const inputTokens = sum(chat.map((r) => r.usage!.prompt_tokens));
  const outputTokens = sum(chat.map((r) => r.usage!.completion_tokens));
  return {
    calls: chat.length,
    inputTokens,
    outputTokens,
    costUsd: (inputTokens * PRICE.input + outputTokens * PRICE.output) / 1e6,
  };
};

// Metrics, the usage ledger and budgets against the built server, the scripted model's reported
// token usage as the reference.
describe('metrics, usage and budgets', () => {
  const iso = isolation('usage');
  const dataDir = mkdtempSync(join(tmpdir(), 'wiz-usage-'));
  const adminKey = `adm_${randomBytes(24).toString('hex')}`;
  const llm = new FakeLlmServer({
    rules: [
      {
        match: { systemContains: 'You are Boss,', hasToolResult: false },
        reply: { toolCalls: [{ name: 'delegate_to_agent', arguments: { agent: 'Helper', task: 'sub task' } }] },
      },
      { match: { systemContains: 'You are Boss,', hasToolResult: true }, reply: { content: 'boss done' } },
      {
        match: { systemContains: 'You are Spender,', hasToolResult: false },
        reply: { toolCalls: [{ name: 'todo_write', arguments: { todos: [{ text: 'spend', done: false }] } }] },
      },
      { reply: { content: 'a plain answer of some length' } },
    ],
  });
  let sut: WizProcess;
  let a: ReturnType<typeof asKey>;
  let b: ReturnType<typeof asKey>;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    sut = await startServer({
      store: 'postgres',
      iso,
      dataDir,
      llmUrl: await llm.start(),
      env: {
        WIZ_AUTH: 'on',
        WIZ_ADMIN_KEY: adminKey,
        WIZ_RATE_LIMIT_PER_MIN: '0',
        WIZ_DEFAULT_MODEL: 'priced-model',
        WIZ_MODEL_PRICES: JSON.stringify({ 'priced-model': PRICE }),
      },
    });
    const admin = asKey(sut.baseUrl, adminKey);
    a = asKey(sut.baseUrl, (await admin('POST', '/api/v1/keys', { ownerId: 'user:a' })).body.key);
    b = asKey(sut.baseUrl, (await admin('POST', '/api/v1/keys', { ownerId: 'user:b' })).body.key);
    for (const name of ['Worker', 'Boss', 'Helper', 'Spender']) {
      const r = await a('POST', '/api/v1/agents', { name, role: `the ${name}`, loop: { planning: false } });
      expect(r.status).toBe(201);
      ids[name] = r.body.id;
    }
  });

  afterAll(async () => {
    await sut?.stop();
    await llm.stop();
    await cleanup(iso);
    rmSync(dataDir, { recursive: true, force: true });
  });

  const scrape = async () => {
    const r = await http(sut.baseUrl, 'GET', '/metrics');
    expect(r.status).toBe(200);
    return parseMetrics(r.body as string);
  };
  const settle = async (agent: string, input: string): Promise<HttpResult> => {
    const created = await a('POST', '/api/v1/jobs', { agentId: ids[agent], input });
    expect(created.status).toBe(202);
    const id = created.body.id as string;
    await until(async () => ['completed', 'failed'].includes((await a('GET', `/api/v1/jobs/${id}`)).body.status));
    return a('GET', `/api/v1/jobs/${id}`);
  };

  it('counts a known workload in /metrics (loopback, no key), named by Prometheus conventions', async () => {
    const N = 4;
    const before = await scrape();
    const seen = llm.requests.length;
    await Promise.all(Array.from({ length: N }, (_, i) => settle('Worker', `job ${i}`)));
    const used = usageOf(llm.requests.slice(seen));
    expect(used.calls).toBe(N);
    const after = await scrape();

    const delta = (name: string, where?: Record<string, string>) =>
      total(after, name, where) - total(before, name, where);
    expect(delta('wiz_jobs_total', { status: 'completed' })).toBe(N);
    expect(delta('wiz_model_call_duration_seconds_count')).toBeGreaterThanOrEqual(N);
    expect(delta('wiz_model_tokens_total', { direction: 'input' })).toBe(used.inputTokens);
    expect(delta('wiz_model_tokens_total', { direction: 'output' })).toBe(used.outputTokens);
    expect(delta('wiz_http_requests_total', { method: 'POST', route: '/api/v1/jobs', status: '202' })).toBe(N);
    for (const gauge of [
      'wiz_queue_depth',
      'wiz_queue_oldest_job_age_seconds',
      'wiz_jobs_in_flight',
      'wiz_jobs_awaiting_admission',
      'wiz_outbox_backlog',
    ])
      expect(after.types.get(gauge)).toBe('gauge');
    expect(after.types.get('wiz_nodejs_eventloop_lag_seconds')).toBe('gauge');

    for (const [name, type] of after.types) {
      expect(name).toMatch(/^wiz_[a-z0-9_]+$/);
      if (type === 'counter') expect(name).toMatch(/_total$/);
      if (type === 'histogram') expect(name).toMatch(/_seconds$/);
      // prom-client's own process gauges keep their names (`…_total` for a count of handles).
      if (type !== 'counter' && !/^wiz_(nodejs|process)_/.test(name)) expect(name).not.toMatch(/_total$/);
    }
  });

  it("reports usage by agent, model and day equal to the model's reported usage; a job's usage includes its children's", async () => {
    const seen = llm.requests.length;
    const boss = (await settle('Boss', 'delegate something')).body;
    expect(boss.status).toBe('completed');
    expect(boss.children).toHaveLength(1);
    const tree = usageOf(llm.requests.slice(seen));
    expect(tree.calls).toBe(3); // the boss's two calls and the helper's one
    expect(boss.usage).toEqual({ ...tree, costUsd: expect.closeTo(tree.costUsd, 9) });
    const child = (await a('GET', `/api/v1/jobs/${boss.children[0]}`)).body;
    expect(child.usage.calls).toBe(1);

    const all = usageOf(llm.requests);
    for (const groupBy of ['agent', 'model', 'day']) {
      const report = (await a('GET', `/api/v1/usage?groupBy=${groupBy}`)).body;
      expect(report.groupBy).toBe(groupBy);
      const groups = report.groups as Array<typeof all>;
      expect({
        calls: sum(groups.map((g) => g.calls)),
        inputTokens: sum(groups.map((g) => g.inputTokens)),
        outputTokens: sum(groups.map((g) => g.outputTokens)),
      }).toEqual({ calls: all.calls, inputTokens: all.inputTokens, outputTokens: all.outputTokens });
      expect(sum(groups.map((g) => g.costUsd))).toBeCloseTo(all.costUsd, 9);
    }
    const byModel = (await a('GET', '/api/v1/usage?groupBy=model')).body.groups;
    expect(byModel.map((g: { key: string }) => g.key)).toEqual(['priced-model']);
    const byDay = (await a('GET', '/api/v1/usage?groupBy=day')).body.groups;
    expect(byDay.map((g: { key: string }) => g.key)).toEqual([new Date().toISOString().slice(0, 10)]);
    const byAgent = (await a('GET', '/api/v1/usage?groupBy=agent')).body.groups;
    expect(byAgent.find((g: { key: string }) => g.key === ids['Helper'])).toMatchObject({ calls: 1 });

    // Another owner sees none of it.
    expect((await b('GET', '/api/v1/usage?groupBy=agent')).body.groups).toEqual([]);
    expect((await b('GET', `/api/v1/jobs/${boss.id}`)).status).toBe(404);
    expect((await a('GET', '/api/v1/usage?groupBy=week')).status).toBe(400);
  });

  it('stops a running job at its next model call when its budget is spent', async () => {
    // One token for Spender: its first call is allowed (nothing used yet), the next one is not.
    const put = await a('PUT', '/api/v1/budgets', {
      budgets: [{ agentId: ids['Spender'], period: 'day', maxTokens: 1 }],
    });
    expect(put.status).toBe(200);
    const seen = llm.requests.length;
    const job = (await settle('Spender', 'spend it')).body;
    expect(job.status).toBe('failed');
    expect(job.failureReason).toMatch(/^budget exceeded: agent .*daily token budget/);
    expect(llm.requests.slice(seen).filter((r) => r.usage)).toHaveLength(1);
    expect(job.usage.calls).toBe(1);
    // Its budget now refuses new jobs of that agent only.
    const refused = await a('POST', '/api/v1/jobs', { agentId: ids['Spender'], input: 'more' });
    expect(refused.status).toBe(429);
    expect((await a('POST', '/api/v1/jobs', { agentId: ids['Worker'], input: 'fine' })).status).toBe(202);
  });

  it('refuses new jobs on every path (429 naming the budget) once an owner budget is spent', async () => {
    const before = total(await scrape(), 'wiz_budget_refusals_total', { where: 'submit' });
    const used = usageOf(llm.requests);
    expect(
      (
        await a('PUT', '/api/v1/budgets', {
          budgets: [{ period: 'month', maxTokens: used.inputTokens + used.outputTokens }],
        })
      ).status,
    ).toBe(200);
    expect((await a('GET', '/api/v1/budgets')).body).toEqual({
      budgets: [{ period: 'month', maxTokens: used.inputTokens + used.outputTokens, maxCostUsd: null }],
    });
    expect((await b('GET', '/api/v1/budgets')).body).toEqual({ budgets: [] });

    const conversation = (
      await a('POST', '/api/v1/conversations', { kind: 'dm', agentId: ids['Worker'], userId: 'ann' })
    ).body;
    const attempts = [
      a('POST', '/api/v1/jobs', { agentId: ids['Worker'], input: 'one more' }),
      a('POST', `/api/v1/agents/${ids['Worker']}/execute`, { input: 'one more', waitMs: 0 }),
      a('POST', '/api/v1/tasks', { agentId: ids['Worker'], input: 'one more' }),
      a('POST', `/api/v1/conversations/${conversation.id}/messages`, { userId: 'ann', content: 'one more' }),
    ];
    for (const r of await Promise.all(attempts)) {
      expect({ status: r.status, code: r.body.code }).toEqual({ status: 429, code: 'rate_limited' });
      expect(r.body.message).toMatch(/^budget exceeded: the owner monthly token budget \(\d+ of \d+ tokens used/);
    }
    expect(total(await scrape(), 'wiz_budget_refusals_total', { where: 'submit' }) - before).toBe(attempts.length);
    // Another owner is not held by it; an empty list lifts it.
    const other = (await b('POST', '/api/v1/agents', { name: 'Other', role: 'r' })).body;
    expect((await b('POST', '/api/v1/jobs', { agentId: other.id, input: 'mine' })).status).toBe(202);
    expect((await a('PUT', '/api/v1/budgets', { budgets: [] })).status).toBe(200);
    expect((await a('POST', '/api/v1/jobs', { agentId: ids['Worker'], input: 'again' })).status).toBe(202);
  });
});
