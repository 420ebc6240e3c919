import { randomBytes } from 'node:crypto';
import type { ServerFrame } from '@wiz/contracts';
import { BuildSnapshot, snapshotBuild } from '../support/built-app';
import { asKey, http } from '../support/http';
import { until } from '../support/until';
import { WizCluster } from '../support/wiz-cluster';
import type { WizProcess } from '../support/wiz-process';
import { WsClient } from '../support/ws-client';

type EventFrame = Extract<ServerFrame, { type: 'event' }>;

// Two gateway processes and a runtime, authentication on: any gateway serves any client, the
// events come from JetStream, and the product's endpoints (execute, tasks) work end to end.
describe('gateways as a stateless tier, with authentication', () => {
  const adminKey = `adm_${randomBytes(24).toString('hex')}`;
  let build: BuildSnapshot;
  let cluster: WizCluster;
  let g1: WizProcess;
  let g2: WizProcess;
  let key: string;
  let agentId: string;

  beforeAll(async () => {
    build = await snapshotBuild();
    cluster = await WizCluster.start(
      build,
      'gw',
      [{ match: { lastUserContains: 'SLOW' }, reply: { content: 'slow answer', delayMs: 1_500 } }],
      {
        WIZ_AUTH: 'on',
        WIZ_ADMIN_KEY: adminKey,
      },
    );
    [g1, g2] = await Promise.all([cluster.spawn('gateway'), cluster.spawn('gateway')]);
    await cluster.spawn('runtime');
    key = (await asKey(g1.baseUrl, adminKey)('POST', '/api/v1/keys', { ownerId: 'team:core' })).body.key;
    agentId = (await asKey(g2.baseUrl, key)('POST', '/api/v1/agents', { name: 'Ada', role: 'reviewer' })).body.id;
  });

  afterAll(async () => {
    await cluster?.dispose();
    build?.remove();
  });

  it('needs a key on every API route, not on /health', async () => {
    expect((await http(g1.baseUrl, 'GET', '/api/v1/agents')).status).toBe(401);
    expect((await http(g1.baseUrl, 'GET', '/health')).status).toBe(200);
  });

  it('relays the same events, in the same order, from either gateway', async () => {
    const clients = await Promise.all([
      WsClient.open(`${g1.baseUrl.replace('http', 'ws')}/ws`, key),
      WsClient.open(`${g2.baseUrl.replace('http', 'ws')}/ws`, key),
    ]);
    for (const c of clients) {
      c.send({ type: 'subscribe', topic: `agent:${agentId}` });
      await c.take(1, (f) => f.type === 'subscribed');
    }
    const job = (await asKey(g2.baseUrl, key)('POST', '/api/v1/jobs', { agentId, input: 'hello' })).body;
    const seen = await Promise.all(
      clients.map(async (c) => {
        const frames: EventFrame[] = [];
        while (!frames.some((f) => f.event.type === 'job.completed'))
          frames.push(...((await c.take(1, (f) => f.type === 'event')) as EventFrame[]));
        return frames.map((f) => `${f.seq}:${f.event.type}:${f.event.jobId}`);
      }),
    );
    expect(seen[0]).toEqual(seen[1]);
    // The agent loop adds its own events (agent.status, agent.step…) between these.
    expect(seen[0]!.map((s) => s.split(':')[1]).filter((t) => t.startsWith('job.'))).toEqual([
      'job.created',
      'job.active',
      'job.completed',
    ]);
    expect(seen[0]!.every((s) => s.endsWith(job.id))).toBe(true);
    await Promise.all(clients.map((c) => c.close()));
  });

  it('executes an instruction and answers with the result, or 202 with the job when the wait is over', async () => {
    const api = asKey(g1.baseUrl, key);
    const done = await api('POST', `/api/v1/agents/${agentId}/execute`, { input: 'sum it up' });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ status: 'completed', result: { text: 'echo: sum it up' } });
    const pending = await api('POST', `/api/v1/agents/${agentId}/execute`, { input: 'SLOW please', waitMs: 200 });
    expect(pending.status).toBe(202);
    expect(pending.headers.get('location')).toBe(`/api/v1/jobs/${pending.body.id}`);
    await until(async () => (await api('GET', `/api/v1/jobs/${pending.body.id}`)).body.status === 'completed');
  });

  it('maps ad hoc, planned and cron tasks onto jobs and schedules', async () => {
    const api = asKey(g2.baseUrl, key);
    const adhoc = await api('POST', '/api/v1/tasks', { agentId, input: 'now' });
    const runAt = new Date(Date.now() + 3_600_000).toISOString();
    const planned = await api('POST', '/api/v1/tasks', { agentId, input: 'later', runAt });
    const cron = await api('POST', '/api/v1/tasks', {
      agentId,
      input: 'daily',
      cron: '0 9 * * *',
      timezone: 'Europe/Berlin',
    });
    expect([adhoc.status, planned.status, cron.status]).toEqual([201, 201, 201]);
    expect(adhoc.body).toMatchObject({ type: 'job', input: 'now' });
    expect(planned.body).toMatchObject({ type: 'job', status: 'delayed', runAt });
    expect(cron.body).toMatchObject({
      type: 'schedule',
      status: 'scheduled',
      cron: '0 9 * * *',
      timezone: 'Europe/Berlin',
      nextRunAt: expect.any(String),
    });
    await until(async () => (await api('GET', `/api/v1/tasks/${adhoc.body.id}`)).body.status === 'completed');
    expect((await api('GET', `/api/v1/tasks/${cron.body.id}`)).body.type).toBe('schedule');
    expect((await api('GET', '/api/v1/tasks?type=schedule')).body.items.map((t: { id: string }) => t.id)).toEqual([
      cron.body.id,
    ]);
    const bad = await api('POST', '/api/v1/tasks', { agentId, input: 'x', runAt, cron: '@daily' });
    expect(bad).toMatchObject({ status: 400, body: { code: 'validation_failed' } });
    const badCron = await api('POST', '/api/v1/tasks', { agentId, input: 'x', cron: 'every day' });
    expect(badCron).toMatchObject({ status: 400, body: { code: 'validation_failed' } });
  });

  it("resumes a job's SSE feed on the other gateway from Last-Event-ID", async () => {
    const job = (await asKey(g1.baseUrl, key)('POST', '/api/v1/jobs', { agentId, input: 'sse' })).body;
    await until(
      async () => (await asKey(g1.baseUrl, key)('GET', `/api/v1/jobs/${job.id}`)).body.status === 'completed',
    );
    const read = async (base: string, lastEventId?: string) => {
      const ctrl = new AbortController();
      const res = await fetch(`${base}/api/v1/jobs/${job.id}/events?since=0`, {
        headers: { authorization: `Bearer ${key}`, ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
        signal: ctrl.signal,
      });
      const reader = res.body!.getReader();
      let text = '';
      while (!text.includes('event: job.completed')) text += new TextDecoder().decode((await reader.read()).value);
      ctrl.abort();
      const events = [...text.matchAll(/^id: (\d+)\nevent: (\S+)$/gm)].map((m) => ({ id: m[1]!, type: m[2]! }));
      return events.slice(0, events.findIndex((e) => e.type === 'job.completed') + 1);
    };
    const all = await read(g1.baseUrl);
    expect(all.map((e) => e.type).filter((t) => t.startsWith('job.'))).toEqual([
      'job.created',
      'job.active',
      'job.completed',
    ]);
    const rest = await read(g2.baseUrl, all[0]!.id);
    expect(rest).toEqual(all.slice(1));
  });
});
