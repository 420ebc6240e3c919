import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import type { ServerFrame } from '@wiz/contracts';
import { FakeLlmServer } from '../../apps/fake-llm/src/fake-llm.server';
import { http, HttpResult } from '../support/http';
import { cleanup, isolation, TEST_NATS_URL } from '../support/isolation';
import { until } from '../support/until';
import { freePort, startServer, WizProcess } from '../support/wiz-process';
import { WsClient } from '../support/ws-client';

type EventFrame = Extract<ServerFrame, { type: 'event' }>;
const isEvent = (f: ServerFrame): f is EventFrame => f.type === 'event';
const isJobEvent = (f: ServerFrame): f is EventFrame => isEvent(f) && f.event.type.startsWith('job.');

// Steps 2–6 of the foundation, driven like a client: HTTP and a real WebSocket against
// `node dist/apps/server/src/main.js`, with the scripted LLM over real HTTP. Once per store.
describe.each<['postgres' | 'sqlite']>([['postgres'], ['sqlite']])('Wiz server on %s', (store) => {
  const iso = isolation(`e2e${store}`);
  const dataDir = mkdtempSync(join(tmpdir(), 'wiz-e2e-'));
  const llm = new FakeLlmServer({
    rules: [
      { match: { lastUserContains: 'AUTHFAIL' }, reply: { status: 401, errorMessage: 'Incorrect API key provided' } },
      { match: { lastUserContains: 'BOOM' }, reply: { status: 500, errorMessage: 'upstream exploded' } },
      { match: { systemContains: 'You are Ada' }, reply: { content: 'Reviewed: {{lastUser}}' } },
    ],
  });
  let llmPort: number;
  let sut: WizProcess;
  let api: (method: string, path: string, body?: unknown, raw?: string) => Promise<HttpResult>;

  beforeAll(async () => {
    llmPort = await freePort();
    const llmUrl = await llm.start(llmPort);
    sut = await startServer({ store, iso, dataDir, llmUrl, env: { OPENAI_API_KEY: 'sk-test-secret' } });
    api = (method, path, body, raw) => http(sut.baseUrl, method, path, body, raw);
  });

  afterAll(async () => {
    await sut?.stop();
    await llm.stop();
    await cleanup(iso);
    rmSync(dataDir, { recursive: true, force: true });
  });

  const createAgent = async (
    body: object = { name: 'Ada', role: 'a code reviewer', backstory: 'Wrote compilers.', goal: 'Find bugs.' },
  ) => {
    const r = await api('POST', '/api/v1/agents', body);
    expect(r.status).toBe(201);
    return r.body as { id: string; status: string };
  };

  const waitForJob = async (ws: WsClient, jobId: string, types: string[]) => {
    // The job's lifecycle; the agent loop's own events (agent.step, agent.status…) interleave.
    const frames = (await ws.take(
      types.length,
      (f) => isEvent(f) && f.event.jobId === jobId && f.event.type.startsWith('job.'),
    )) as EventFrame[];
    expect(frames.map((f) => f.event.type)).toEqual(types);
    return frames;
  };

  it('reports healthy connections', async () => {
    const r = await api('GET', '/health');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'ok', nats: { ok: true }, database: { ok: true, detail: store } });
  });

  it('manages agents over REST', async () => {
    const created = await createAgent({ name: 'Bob', role: 'writer', model: { model: 'gpt-4o', temperature: 0.3 } });
    expect(created).toMatchObject({
      name: 'Bob',
      role: 'writer',
      status: 'active',
      backstory: null,
      model: { model: 'gpt-4o' },
    });
    const list = await api('GET', '/api/v1/agents?limit=500');
    expect(list.status).toBe(200);
    expect(list.body.items.map((a: { id: string }) => a.id)).toContain(created.id);
    const patched = await api('PATCH', `/api/v1/agents/${created.id}`, {
      goal: 'Write well.',
      model: { temperature: 1 },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ goal: 'Write well.', model: { model: 'gpt-4o', temperature: 1 } });
    expect((await api('GET', `/api/v1/agents/${created.id}`)).body.goal).toBe('Write well.');
    expect((await api('DELETE', `/api/v1/agents/${created.id}`)).status).toBe(204);
    expect((await api('GET', `/api/v1/agents/${created.id}`)).status).toBe(404);
    expect((await api('DELETE', `/api/v1/agents/${created.id}`)).status).toBe(404);
  });

  it('runs a job end to end and streams its lifecycle in order', async () => {
    const agent = await createAgent();
    const ws = await WsClient.open(`${sut.baseUrl.replace('http', 'ws')}/ws`);
    try {
      ws.send({ type: 'subscribe', topic: `agent:${agent.id}` });
      await ws.take(1, (f) => f.type === 'subscribed');
      const submitted = await api('POST', '/api/v1/jobs', {
        agentId: agent.id,
        input: 'check main.ts',
        data: { pr: 7 },
      });
      expect(submitted.status).toBe(202);
      expect(submitted.body).toMatchObject({ agentId: agent.id, status: 'queued', attempts: 0 });
      const jobId = submitted.body.id as string;
      const frames = await waitForJob(ws, jobId, ['job.created', 'job.active', 'job.completed']);
      const seqs = frames.map((f) => f.seq);
      expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
      expect(new Set(seqs).size).toBe(3);
      expect(frames[2]!.event).toMatchObject({
        agentId: agent.id,
        data: { result: { text: expect.stringMatching(/^Reviewed: /) } },
      });

      const job = await api('GET', `/api/v1/jobs/${jobId}`);
      expect(job.body).toMatchObject({ status: 'completed', attempts: 1, progress: 100, failureReason: null });
      expect(job.body.result.text).toMatch(/^Reviewed: check main\.ts/);
      expect(job.body.startedAt).not.toBeNull();
      expect(job.body.finishedAt).not.toBeNull();

      // The persona reached the model; the key went in the header and nowhere else.
      const sent = llm.requests.find((r) => JSON.stringify(r.body).includes('check main.ts'))!;
      const system = (sent.body as { messages: Array<{ role: string; content: string }> }).messages[0]!;
      expect(system.content).toContain('You are Ada, a code reviewer.');
      expect(system.content).toContain('Backstory: Wrote compilers.');
      expect(system.content).toContain('Your goal: Find bugs.');
      expect(sent.headers.authorization).toBe('Bearer sk-test-secret');
      expect(JSON.stringify(frames)).not.toContain('sk-test-secret');
    } finally {
      await ws.close();
    }
  });

  it('resumes from a sequence with no gap and no duplicate, then continues live', async () => {
    const agent = await createAgent();
    const first = await WsClient.open(`${sut.baseUrl.replace('http', 'ws')}/ws`);
    let resumeAfter: number;
    try {
      first.send({ type: 'subscribe', topic: `agent:${agent.id}`, since: 0 });
      const job1 = (await api('POST', '/api/v1/jobs', { agentId: agent.id, input: 'one' })).body.id as string;
      const seen = await waitForJob(first, job1, ['job.created', 'job.active', 'job.completed']);
      resumeAfter = seen[0]!.seq;
    } finally {
      await first.close();
    }
    // While nobody listens, another job runs.
    const job2 = (await api('POST', '/api/v1/jobs', { agentId: agent.id, input: 'two' })).body.id as string;
    await until(async () => (await api('GET', `/api/v1/jobs/${job2}`)).body.status === 'completed');

    const second = await WsClient.open(`${sut.baseUrl.replace('http', 'ws')}/ws`);
    try {
      second.send({ type: 'subscribe', topic: `agent:${agent.id}`, since: resumeAfter });
      const replayed = (await second.take(5, isJobEvent)) as EventFrame[];
      expect(replayed.map((f) => [f.event.jobId, f.event.type])).toEqual([
        [expect.any(String), 'job.active'],
        [expect.any(String), 'job.completed'],
        [job2, 'job.created'],
        [job2, 'job.active'],
        [job2, 'job.completed'],
      ]);
      expect(replayed.every((f) => f.seq > resumeAfter)).toBe(true);
      // Live after the replay: a third job arrives once, in order.
      const job3 = (await api('POST', '/api/v1/jobs', { agentId: agent.id, input: 'three' })).body.id as string;
      await waitForJob(second, job3, ['job.created', 'job.active', 'job.completed']);
      second.send({ type: 'ping' });
      await second.take(1, (f) => f.type === 'pong');
      const all = [...replayed.map((f) => f.seq)];
      expect(new Set(all).size).toBe(all.length);
      expect(second.pending().filter(isJobEvent)).toEqual([]);
    } finally {
      await second.close();
    }
  });

  it('says so when a resumed subscription asks for events that have expired', async () => {
    const agent = await createAgent();
    const jobId = (await api('POST', '/api/v1/jobs', { agentId: agent.id, input: 'old news' })).body.id as string;
    await until(async () => (await api('GET', `/api/v1/jobs/${jobId}`)).body.status === 'completed');
    const nc = await connect({ servers: TEST_NATS_URL });
    let first: number;
    try {
      // What age-based retention does, made to happen now: drop everything before the last 2 events.
      const jsm = await nc.jetstreamManager();
      const last = (await jsm.streams.info(`${iso.prefix}_events`)).state.last_seq;
      first = last - 1;
      await jsm.streams.purge(`${iso.prefix}_events`, { seq: first });
    } finally {
      await nc.close();
    }
    const ws = await WsClient.open(`${sut.baseUrl.replace('http', 'ws')}/ws`);
    try {
      ws.send({ type: 'subscribe', topic: `job:${jobId}`, since: 0 });
      const [subscribed, gone] = await ws.take(2);
      expect(subscribed).toMatchObject({ type: 'subscribed' });
      expect(gone).toMatchObject({
        type: 'error',
        code: 'gone',
        message: `events 1–${first - 1} have expired; replaying from ${first}`,
      });
      const rest = (await ws.take(2, isEvent)) as EventFrame[];
      expect(rest.map((f) => f.seq)).toEqual([first, first + 1]);
    } finally {
      await ws.close();
    }
  });

  it('follows one job by its own topic', async () => {
    const agent = await createAgent();
    const jobId = (await api('POST', '/api/v1/jobs', { agentId: agent.id, input: 'solo' })).body.id as string;
    await until(async () => (await api('GET', `/api/v1/jobs/${jobId}`)).body.status === 'completed');
    const ws = await WsClient.open(`${sut.baseUrl.replace('http', 'ws')}/ws`);
    try {
      ws.send({ type: 'subscribe', topic: `job:${jobId}`, since: 0 });
      await waitForJob(ws, jobId, ['job.created', 'job.active', 'job.completed']);
    } finally {
      await ws.close();
    }
  });

  it('fails a job with a readable reason when the model answers 401 or 500', async () => {
    const agent = await createAgent();
    for (const [input, expected] of [
      ['AUTHFAIL please', /HTTP 401.*Incorrect API key provided.*OPENAI_API_KEY/],
      ['BOOM please', /HTTP 500.*upstream exploded/],
    ] as const) {
      const jobId = (await api('POST', '/api/v1/jobs', { agentId: agent.id, input })).body.id as string;
      await until(async () => (await api('GET', `/api/v1/jobs/${jobId}`)).body.status === 'failed');
      const job = (await api('GET', `/api/v1/jobs/${jobId}`)).body;
      expect(job.failureReason).toMatch(expected);
      expect(job.failureReason).not.toContain('sk-test-secret');
    }
    // The agent is free again for the next job.
    expect((await api('GET', `/api/v1/agents/${agent.id}`)).body.status).toBe('active');
  });

  it('fails a job with a readable reason when the model endpoint is down, and recovers', async () => {
    const agent = await createAgent();
    await llm.stop();
    try {
      const ws = await WsClient.open(`${sut.baseUrl.replace('http', 'ws')}/ws`);
      try {
        ws.send({ type: 'subscribe', topic: `agent:${agent.id}` });
        await ws.take(1, (f) => f.type === 'subscribed');
        const jobId = (await api('POST', '/api/v1/jobs', { agentId: agent.id, input: 'anyone?' })).body.id as string;
        const [, , failed] = await waitForJob(ws, jobId, ['job.created', 'job.active', 'job.failed']);
        expect(failed!.event.data).toMatchObject({ reason: expect.stringMatching(/unreachable.*ECONNREFUSED/) });
      } finally {
        await ws.close();
      }
    } finally {
      await llm.start(llmPort);
    }
    const jobId = (await api('POST', '/api/v1/jobs', { agentId: agent.id, input: 'back?' })).body.id as string;
    await until(async () => (await api('GET', `/api/v1/jobs/${jobId}`)).body.status === 'completed');
  });

  it('answers bad input with a clear error and changes nothing', async () => {
    const agent = await createAgent();
    const missing = crypto.randomUUID();
    const cases: Array<[string, string, unknown, string | undefined, number, string]> = [
      ['POST', '/api/v1/agents', { name: '', extra: 1 }, undefined, 400, 'validation_failed'],
      ['POST', '/api/v1/agents', undefined, '{"name": "x",', 400, 'malformed_json'],
      [
        'POST',
        '/api/v1/agents',
        { name: 'x', role: 'y', model: { temperature: 9 } },
        undefined,
        400,
        'validation_failed',
      ],
      ['PATCH', `/api/v1/agents/${agent.id}`, {}, undefined, 400, 'validation_failed'],
      ['PATCH', `/api/v1/agents/${missing}`, { name: 'x' }, undefined, 404, 'not_found'],
      ['GET', '/api/v1/agents/not-a-uuid', undefined, undefined, 404, 'not_found'],
      ['GET', `/api/v1/jobs/${missing}`, undefined, undefined, 404, 'not_found'],
      ['GET', '/api/v1/agents?limit=0', undefined, undefined, 400, 'validation_failed'],
      ['POST', '/api/v1/jobs', { agentId: agent.id }, undefined, 400, 'validation_failed'],
      ['POST', '/api/v1/jobs', { agentId: 'nope', input: 'x' }, undefined, 400, 'validation_failed'],
      ['POST', '/api/v1/jobs', { agentId: missing, input: 'x' }, undefined, 404, 'not_found'],
    ];
    const eventsBefore = await busState(iso.prefix);
    for (const [method, path, body, raw, status, code] of cases) {
      const r = await api(method, path, body, raw);
      expect({ method, path, status: r.status, code: r.body?.code }).toEqual({ method, path, status, code });
      expect(typeof r.body.message).toBe('string');
    }
    expect(await busState(iso.prefix)).toBe(eventsBefore);
    // A job for a deleted agent: 404, nothing queued.
    expect((await api('DELETE', `/api/v1/agents/${agent.id}`)).status).toBe(204);
    const mailboxBefore = await busState(iso.prefix);
    const r = await api('POST', '/api/v1/jobs', { agentId: agent.id, input: 'too late' });
    expect(r.status).toBe(404);
    expect(await busState(iso.prefix)).toBe(mailboxBefore);
    expect(
      (await api('GET', '/api/v1/agents?limit=500')).body.items.map((a: { name: string }) => a.name),
    ).not.toContain('');
  });

  it('answers a malformed WS frame with an error frame and keeps the connection usable', async () => {
    const agent = await createAgent();
    const ws = await WsClient.open(`${sut.baseUrl.replace('http', 'ws')}/ws`);
    try {
      ws.send('not json');
      ws.send({ type: 'subscribe', topic: 'agent:nope' });
      ws.send({ type: 'subscribe', topic: `agent:${crypto.randomUUID()}` });
      ws.send({ type: 'dance' });
      const errors = await ws.take(4);
      expect(errors.map((f) => (f.type === 'error' ? f.code : f.type))).toEqual([
        'malformed_json',
        'validation_failed',
        'not_found',
        'validation_failed',
      ]);
      ws.send({ type: 'subscribe', topic: `agent:${agent.id}` });
      await ws.take(1, (f) => f.type === 'subscribed');
    } finally {
      await ws.close();
    }
  });
});

async function busState(prefix: string): Promise<number> {
  const nc = await connect({ servers: TEST_NATS_URL });
  try {
    const jsm = await nc.jetstreamManager();
    const info = await jsm.streams.info(`${prefix}_mailbox`);
    const events = await jsm.streams.info(`${prefix}_events`);
    return info.state.messages * 1_000_000 + events.state.last_seq;
  } finally {
    await nc.close();
  }
}
