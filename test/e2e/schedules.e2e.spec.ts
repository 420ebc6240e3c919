import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerFrame } from '@wiz/contracts';
import { FakeLlmServer } from '../../apps/fake-llm/src/fake-llm.server';
import { http, HttpResult } from '../support/http';
import { cleanup, isolation } from '../support/isolation';
import { freePort, startServer, WizProcess } from '../support/wiz-process';
import { WsClient } from '../support/ws-client';

type EventFrame = Extract<ServerFrame, { type: 'event' }>;
const isEvent = (f: ServerFrame): f is EventFrame => f.type === 'event';
const ofType = (type: string, scheduleId?: string) => (f: ServerFrame) =>
  isEvent(f) &&
  f.event.type === type &&
  (!scheduleId || (f.event.data as { scheduleId?: string }).scheduleId === scheduleId);

// Cron schedules driven like a client: REST to create, list and delete them, the WebSocket to
// see their jobs run, against `node dist/apps/server/src/main.js`. Once per store.
describe.each<['postgres' | 'sqlite']>([['postgres'], ['sqlite']])('Schedules on a Wiz server on %s', (store) => {
  const iso = isolation(`sch${store}`);
  const dataDir = mkdtempSync(join(tmpdir(), 'wiz-e2e-sched-'));
  const llm = new FakeLlmServer({ rules: [{ match: { lastUserContains: 'tick' }, reply: { content: 'tock' } }] });
  let sut: WizProcess;
  let api: (method: string, path: string, body?: unknown) => Promise<HttpResult>;

  beforeAll(async () => {
    const llmUrl = await llm.start(await freePort());
    sut = await startServer({ store, iso, dataDir, llmUrl });
    api = (method, path, body) => http(sut.baseUrl, method, path, body);
  });

  afterAll(async () => {
    await sut?.stop();
    await llm.stop();
    await cleanup(iso);
    rmSync(dataDir, { recursive: true, force: true });
  });

  const createAgent = async () => {
    const r = await api('POST', '/api/v1/agents', { name: 'Cronos', role: 'a timekeeper' });
    expect(r.status).toBe(201);
    return r.body.id as string;
  };

  it('fires every second, its jobs complete, and a deleted schedule fires no more', async () => {
    const agentId = await createAgent();
    const ws = await WsClient.open(`${sut.baseUrl.replace('http', 'ws')}/ws`);
    try {
      ws.send({ type: 'subscribe', topic: `agent:${agentId}` });
      await ws.take(1, (f) => f.type === 'subscribed');
      const created = await api('POST', '/api/v1/schedules', {
        name: 'heartbeat',
        cron: '* * * * * *',
        template: { agentId, input: 'tick' },
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        name: 'heartbeat',
        timezone: 'UTC',
        missedRunPolicy: 'skip',
        enabled: true,
        lastRunAt: null,
      });
      const id = created.body.id as string;

      const completed = (await ws.take(2, ofType('job.completed'), 15_000)) as EventFrame[];
      for (const f of completed) {
        const job = (await api('GET', `/api/v1/jobs/${f.event.jobId}`)).body;
        expect(job).toMatchObject({ agentId, status: 'completed', result: { text: 'tock' } });
        expect(job.idempotencyKey).toMatch(
          new RegExp(`^schedule:${id}:\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.000Z$`),
        );
      }
      const keys = await Promise.all(
        completed.map(async (f) => (await api('GET', `/api/v1/jobs/${f.event.jobId}`)).body.idempotencyKey),
      );
      expect(new Set(keys).size).toBe(2);

      const got = await api('GET', `/api/v1/schedules/${id}`);
      expect(got.status).toBe(200);
      expect(Date.parse(got.body.nextRunAt)).toBeGreaterThan(Date.parse(got.body.lastRunAt));
      const list = await api('GET', '/api/v1/schedules?limit=500');
      expect(list.body.items.map((s: { id: string }) => s.id)).toContain(id);

      expect((await api('DELETE', `/api/v1/schedules/${id}`)).status).toBe(204);
      await ws.take(1, ofType('schedule.deleted', id));
      expect((await api('GET', `/api/v1/schedules/${id}`)).status).toBe(404);
      expect((await api('DELETE', `/api/v1/schedules/${id}`)).status).toBe(404);
      // Absence can only be observed over time: let three ticks pass. A tick already being fired
      // as the delete landed may still make its job, but the schedule advances no more.
      await new Promise((r) => setTimeout(r, 3_000));
      const after = ws.pending().filter(isEvent);
      expect(after.filter(ofType('schedule.fired', id))).toEqual([]);
      expect(after.filter(ofType('job.created')).length).toBeLessThanOrEqual(1);
    } finally {
      await ws.close();
    }
  });

  it('lists schedules in pages', async () => {
    const agentId = await createAgent();
    for (const name of ['a', 'b']) {
      const r = await api('POST', '/api/v1/schedules', {
        name,
        cron: '0 9 * * 1-5',
        timezone: 'Europe/Berlin',
        template: { agentId, input: 'standup' },
        missedRunPolicy: 'run-once',
      });
      expect(r.status).toBe(201);
      expect(r.body).toMatchObject({
        name,
        timezone: 'Europe/Berlin',
        missedRunPolicy: 'run-once',
        template: { agentId, input: 'standup', priority: 0, attempts: 1 },
      });
    }
    const page = await api('GET', '/api/v1/schedules?limit=1&offset=1');
    expect(page.status).toBe(200);
    expect(page.body).toMatchObject({ limit: 1, offset: 1, total: expect.any(Number) });
    expect(page.body.items).toHaveLength(1);
    expect(page.body.total).toBeGreaterThanOrEqual(2);
  });

  it('answers bad input with a clear error and creates nothing', async () => {
    const agentId = await createAgent();
    const template = { agentId, input: 'tick' };
    const before = (await api('GET', '/api/v1/schedules')).body.total as number;
    const cases: Array<[string, string, unknown, number, RegExp]> = [
      ['POST', '/api/v1/schedules', { cron: 'every day', template }, 400, /invalid cron expression/],
      ['POST', '/api/v1/schedules', { cron: '61 * * * *', template }, 400, /invalid cron expression/],
      ['POST', '/api/v1/schedules', { cron: '0 0 30 2 *', template }, 400, /never fires/],
      [
        'POST',
        '/api/v1/schedules',
        { cron: '* * * * *', timezone: 'Mars/Olympus', template },
        400,
        /unknown time zone/,
      ],
      ['POST', '/api/v1/schedules', { cron: '* * * * *', template: { agentId } }, 400, /input/],
      ['POST', '/api/v1/schedules', { cron: '* * * * *', template: { ...template, delay: 5 } }, 400, /delay/],
      [
        'POST',
        '/api/v1/schedules',
        { cron: '* * * * *', template, missedRunPolicy: 'sometimes' },
        400,
        /missedRunPolicy/,
      ],
      ['POST', '/api/v1/schedules', { cron: '* * * * *', template, extra: 1 }, 400, /extra/],
      [
        'POST',
        '/api/v1/schedules',
        { cron: '* * * * *', template: { ...template, agentId: crypto.randomUUID() } },
        404,
        /agent .* not found/,
      ],
      ['GET', `/api/v1/schedules/${crypto.randomUUID()}`, undefined, 404, /schedule .* not found/],
      ['GET', '/api/v1/schedules/not-a-uuid', undefined, 404, /not found/],
      ['DELETE', `/api/v1/schedules/${crypto.randomUUID()}`, undefined, 404, /not found/],
      ['GET', '/api/v1/schedules?limit=0', undefined, 400, /limit/],
    ];
    for (const [method, path, body, status, message] of cases) {
      const r = await api(method, path, body);
      expect({ method, path, body, status: r.status }).toEqual({ method, path, body, status });
      expect(r.body.code).toBe(status === 400 ? 'validation_failed' : 'not_found');
      expect(r.body.message).toMatch(message);
    }
    expect((await api('GET', '/api/v1/schedules')).body.total).toBe(before);
  });
});
