import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerFrame } from '@wiz/contracts';
import { FakeLlmServer } from '../../apps/fake-llm/src/fake-llm.server';
import { http, HttpResult } from '../support/http';
import { cleanup, isolation } from '../support/isolation';
import { until } from '../support/until';
import { startServer, WizProcess } from '../support/wiz-process';
import { WsClient } from '../support/ws-client';

type EventFrame = Extract<ServerFrame, { type: 'event' }>;
const isEvent = (f: ServerFrame): f is EventFrame => f.type === 'event';

// The job queue as a client sees it, against the built server, on both stores.
describe.each<['postgres' | 'sqlite']>([['postgres'], ['sqlite']])('job queue on %s', (store) => {
  const iso = isolation(`queue${store}`);
  const dataDir = mkdtempSync(join(tmpdir(), 'wiz-queue-'));
  const llm = new FakeLlmServer({
    rules: [
      { match: { lastUserContains: 'FLAKY' }, reply: { status: 500, errorMessage: 'try again' }, times: 2 },
      { match: { lastUserContains: 'BROKEN' }, reply: { status: 500, errorMessage: 'always broken' } },
      { match: { lastUserContains: 'SLOW' }, reply: { content: 'slow answer', delayMs: 1_500 } },
      { match: { lastUserContains: 'ONCEFAIL' }, reply: { status: 500, errorMessage: 'first time fails' }, times: 1 },
    ],
  });
  let sut: WizProcess;
  let api: (method: string, path: string, body?: unknown) => Promise<HttpResult>;
  let wsUrl: string;

  beforeAll(async () => {
    sut = await startServer({ store, iso, dataDir, llmUrl: await llm.start() });
    api = (method, path, body) => http(sut.baseUrl, method, path, body);
    wsUrl = `${sut.baseUrl.replace('http', 'ws')}/ws`;
  });

  afterAll(async () => {
    await sut?.stop();
    await llm.stop();
    await cleanup(iso);
    rmSync(dataDir, { recursive: true, force: true });
  });

  const agent = async (name = 'Worker') =>
    (await api('POST', '/api/v1/agents', { name, role: 'worker' })).body.id as string;
  const submit = async (body: object) => {
    const r = await api('POST', '/api/v1/jobs', body);
    expect(r.status).toBe(202);
    return r.body as { id: string; status: string };
  };
  const job = async (id: string) => (await api('GET', `/api/v1/jobs/${id}`)).body;
  const settle = async (id: string, status = 'completed', timeoutMs = 20_000) => {
    await until(
      async () => ['completed', 'failed', 'cancelled'].includes((await job(id)).status),
      timeoutMs,
      `job ${id} to end`,
    ).catch(async (e: Error) => {
      throw new Error(`${e.message}: ${JSON.stringify(await job(id))}`);
    });
    const j = await job(id);
    expect({ id, status: j.status }).toEqual({ id, status });
    return j;
  };
  const follow = async (topic: string) => {
    const ws = await WsClient.open(wsUrl);
    ws.send({ type: 'subscribe', topic });
    await ws.take(1, (f) => f.type === 'subscribed');
    return ws;
  };

  it("runs the highest priority first among an agent's queued jobs", async () => {
    const a = await agent();
    expect((await api('POST', `/api/v1/agents/${a}/pause`)).body.paused).toBe(true);
    const low = await submit({ agentId: a, input: 'low', priority: -5 });
    const normal = await submit({ agentId: a, input: 'normal' });
    const high = await submit({ agentId: a, input: 'high', priority: 10 });
    const ws = await follow(`agent:${a}`);
    try {
      // Paused: nothing starts.
      expect((await job(normal.id)).status).toBe('queued');
      expect((await api('POST', `/api/v1/agents/${a}/resume`)).body.paused).toBe(false);
      const active = (await ws.take(3, (f) => isEvent(f) && f.event.type === 'job.active')) as EventFrame[];
      expect(active.map((f) => f.event.jobId)).toEqual([high.id, normal.id, low.id]);
    } finally {
      await ws.close();
    }
  });

  it('retries with backoff, records every attempt, and emits job.retrying', async () => {
    const a = await agent();
    const ws = await follow(`agent:${a}`);
    try {
      const j = await submit({
        agentId: a,
        input: 'FLAKY',
        attempts: 3,
        backoff: { type: 'exponential', delayMs: 100 },
      });
      const done = await settle(j.id);
      expect(done.attempts).toBe(3);
      expect(done.attemptLog.map((x: { error: string | null }) => x.error)).toEqual([
        expect.stringContaining('HTTP 500'),
        expect.stringContaining('HTTP 500'),
        null,
      ]);
      const retrying = (await ws.take(2, (f) => isEvent(f) && f.event.type === 'job.retrying')) as EventFrame[];
      expect(retrying.map((f) => f.event.data)).toEqual([
        expect.objectContaining({ attempt: 1, delayMs: 100 }),
        expect.objectContaining({ attempt: 2, delayMs: 200 }),
      ]);
    } finally {
      await ws.close();
    }
  });

  it('fails for good when the attempts run out, and a retry request runs it again', async () => {
    const a = await agent();
    const j = await submit({ agentId: a, input: 'BROKEN', attempts: 2 });
    const failed = await settle(j.id, 'failed');
    expect(failed.attempts).toBe(2);
    expect(failed.failureReason).toContain('always broken');

    const once = await submit({ agentId: a, input: 'ONCEFAIL' });
    await settle(once.id, 'failed');
    const retried = await api('POST', `/api/v1/jobs/${once.id}/retry`);
    expect(retried.status).toBe(200);
    const done = await settle(once.id);
    expect(done.attempts).toBe(2);
    expect((await api('POST', `/api/v1/jobs/${once.id}/retry`)).status).toBe(409);
  });

  it('holds delayed and planned jobs until they are due', async () => {
    const a = await agent();
    const delayed = await submit({ agentId: a, input: 'later', delay: 800 });
    const planned = await submit({ agentId: a, input: 'at', runAt: new Date(Date.now() + 800).toISOString() });
    expect(delayed.status).toBe('delayed');
    expect(planned.status).toBe('delayed');
    for (const id of [delayed.id, planned.id]) {
      const done = await settle(id);
      expect(Date.parse(done.startedAt) - Date.parse(done.createdAt)).toBeGreaterThanOrEqual(700);
    }
  });

  it('runs a job after its dependencies, and fails it with theirs unless told otherwise', async () => {
    const a = await agent();
    const first = await submit({ agentId: a, input: 'SLOW first' });
    const then = await submit({ agentId: a, input: 'then', dependsOn: [first.id] });
    expect(then.status).toBe('waiting');
    const after = await settle(then.id);
    expect(Date.parse(after.startedAt)).toBeGreaterThanOrEqual(Date.parse((await job(first.id)).finishedAt));

    const broken = await submit({ agentId: a, input: 'BROKEN dep' });
    const strict = await submit({ agentId: a, input: 'strict', dependsOn: [broken.id] });
    const lenient = await submit({
      agentId: a,
      input: 'lenient',
      dependsOn: [broken.id],
      ignoreDependencyFailures: true,
    });
    expect((await settle(strict.id, 'failed')).failureReason).toBe(`dependency ${broken.id} failed`);
    await settle(lenient.id);
    // A dependency that already failed fails the new job at once.
    expect((await submit({ agentId: a, input: 'too late', dependsOn: [broken.id] })).status).toBe('failed');
  });

  it('parks a parent that has not started until its children end, and lists them', async () => {
    const a = await agent('Parent');
    const b = await agent('Child');
    await api('POST', `/api/v1/agents/${a}/pause`);
    const parent = await submit({ agentId: a, input: 'parent' });
    const c1 = await submit({ agentId: b, input: 'SLOW child', parentJobId: parent.id });
    const c2 = await submit({ agentId: b, input: 'child two', parentJobId: parent.id });
    expect((await job(parent.id)).status).toBe('waiting-children');
    await api('POST', `/api/v1/agents/${a}/resume`);
    const done = await settle(parent.id);
    expect(done.children.sort()).toEqual([c1.id, c2.id].sort());
    const lastChild = Math.max(...(await Promise.all([c1.id, c2.id].map(job))).map((c) => Date.parse(c.finishedAt)));
    expect(Date.parse(done.startedAt)).toBeGreaterThanOrEqual(lastChild);
    const listed = await api('GET', `/api/v1/jobs?parentJobId=${parent.id}`);
    expect(listed.body.items.map((j: { id: string }) => j.id).sort()).toEqual([c1.id, c2.id].sort());
  });

  it('cancels a queued job (it never runs) and aborts an active one (the agent moves on)', async () => {
    const a = await agent();
    const ws = await follow(`agent:${a}`);
    try {
      await api('POST', `/api/v1/agents/${a}/pause`);
      const queued = await submit({ agentId: a, input: 'never' });
      expect((await api('POST', `/api/v1/jobs/${queued.id}/cancel`)).body.status).toBe('cancelled');
      await api('POST', `/api/v1/agents/${a}/resume`);

      const slow = await submit({ agentId: a, input: 'SLOW to cancel' });
      await ws.take(1, (f) => isEvent(f) && f.event.type === 'job.active' && f.event.jobId === slow.id);
      const next = await submit({ agentId: a, input: 'next' });
      const cancelled = await api('POST', `/api/v1/jobs/${slow.id}/cancel`);
      expect(cancelled.status).toBe(200);
      await settle(next.id);
      const s = await settle(slow.id, 'cancelled');
      expect(s.result).toBeNull();
      expect((await job(queued.id)).attempts).toBe(0);
      expect((await api('POST', `/api/v1/jobs/${slow.id}/cancel`)).status).toBe(409);
      // The queued one never became active.
      ws.send({ type: 'ping' });
      const seen = await ws.take(1, (f) => f.type === 'pong');
      expect(seen).toHaveLength(1);
      expect(
        ws.pending().filter((f) => isEvent(f) && f.event.jobId === queued.id && f.event.type === 'job.active'),
      ).toEqual([]);
    } finally {
      await ws.close();
    }
  });

  it('fails a job that exceeds its time limit', async () => {
    const a = await agent();
    const j = await submit({ agentId: a, input: 'SLOW beyond the limit', timeoutMs: 300 });
    expect((await settle(j.id, 'failed')).failureReason).toBe('timed out after 300 ms');
  });

  it('returns the same job for a repeated idempotency key, even under concurrency', async () => {
    const a = await agent();
    const body = { agentId: a, input: 'once', idempotencyKey: `key-${iso.prefix}` };
    const answers = await Promise.all(Array.from({ length: 5 }, () => api('POST', '/api/v1/jobs', body)));
    expect(answers.map((r) => r.status)).toEqual([202, 202, 202, 202, 202]);
    expect(new Set(answers.map((r) => r.body.id)).size).toBe(1);
    const listed = await api('GET', `/api/v1/jobs?agentId=${a}`);
    expect(listed.body.total).toBe(1);
  });

  it('lists, filters and counts jobs', async () => {
    const a = await agent();
    const ok = await submit({ agentId: a, input: 'fine' });
    const bad = await submit({ agentId: a, input: 'BROKEN for the list' });
    await settle(ok.id);
    await settle(bad.id, 'failed');
    const failed = await api('GET', `/api/v1/jobs?agentId=${a}&status=failed`);
    expect(failed.body).toMatchObject({ total: 1, items: [{ id: bad.id }] });
    const both = await api('GET', `/api/v1/jobs?agentId=${a}&status=failed,completed&limit=1`);
    expect(both.body).toMatchObject({ total: 2, limit: 1, offset: 0 });
    expect(both.body.items).toHaveLength(1);
    const counts = await api('GET', `/api/v1/jobs/counts?agentId=${a}`);
    expect(counts.body).toEqual({
      waiting: 0,
      queued: 0,
      delayed: 0,
      active: 0,
      'waiting-children': 0,
      'waiting-input': 0,
      completed: 1,
      failed: 1,
      cancelled: 0,
    });
  });

  it('answers bad queue input with 400/409 and creates nothing', async () => {
    const a = await agent();
    await api('POST', `/api/v1/agents/${a}/pause`);
    const parent = await submit({ agentId: a, input: 'parent' });
    const before = (await api('GET', `/api/v1/jobs?agentId=${a}`)).body.total;
    const cases: Array<[object, number, RegExp]> = [
      [{ agentId: a, input: 'x', dependsOn: [crypto.randomUUID()] }, 400, /unknown dependency/],
      [{ agentId: a, input: 'x', parentJobId: parent.id, dependsOn: [parent.id] }, 400, /dependency cycle/],
      [{ agentId: a, input: 'x', parentJobId: crypto.randomUUID() }, 400, /unknown parent/],
      [{ agentId: a, input: 'x', delay: -1 }, 400, /delay/],
      [{ agentId: a, input: 'x', delay: 400 * 24 * 3_600_000 }, 400, /delay/],
      [{ agentId: a, input: 'x', runAt: 'tomorrow' }, 400, /runAt/],
      [
        { agentId: a, input: 'x', runAt: new Date(Date.now() + 400 * 24 * 3_600_000).toISOString() },
        400,
        /more than a year/,
      ],
      [{ agentId: a, input: 'x', delay: 5, runAt: new Date().toISOString() }, 400, /either delay or runAt/],
      [{ agentId: a, input: 'x', attempts: 0 }, 400, /attempts/],
      [{ agentId: a, input: 'x', backoff: { type: 'linear', delayMs: 5 } }, 400, /backoff/],
      [{ agentId: a, input: 'x', priority: 1.5 }, 400, /priority/],
    ];
    for (const [body, status, message] of cases) {
      const r = await api('POST', '/api/v1/jobs', body);
      expect({ body, status: r.status }).toEqual({ body, status });
      expect(r.body.message).toMatch(message);
    }
    expect((await api('GET', `/api/v1/jobs?agentId=${a}`)).body.total).toBe(before);
    expect((await job(parent.id)).status).toBe('queued');
    const done = await submit({ agentId: a, input: 'to cancel' });
    await api('POST', `/api/v1/jobs/${done.id}/cancel`);
    expect((await api('POST', `/api/v1/jobs/${done.id}/cancel`)).status).toBe(409);
    expect((await api('POST', `/api/v1/jobs/${crypto.randomUUID()}/cancel`)).status).toBe(404);
    expect((await api('POST', `/api/v1/agents/${crypto.randomUUID()}/pause`)).status).toBe(404);
    expect((await api('GET', '/api/v1/jobs?status=nope')).status).toBe(400);
  });
});
