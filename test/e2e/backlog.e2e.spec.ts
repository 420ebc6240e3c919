import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeLlmServer } from '../../apps/fake-llm/src/fake-llm.server';
import { http, HttpResult } from '../support/http';
import { cleanup, isolation } from '../support/isolation';
import { until } from '../support/until';
import { startServer, WizProcess } from '../support/wiz-process';

// Agents share their partition's in-flight window. A paused agent, or one with a backlog far
// larger than the window, must not stall the other agents of its partition: actors hold a few
// commands and take the rest of their queue from the store. One partition, a window of 5.
describe.each<['postgres' | 'sqlite']>([['postgres'], ['sqlite']])('backlogs on %s', (store) => {
  const iso = isolation(`backlog${store}`);
  const dataDir = mkdtempSync(join(tmpdir(), 'wiz-backlog-'));
  const llm = new FakeLlmServer({
    rules: [{ match: { lastUserContains: 'SLOW' }, reply: { content: 'slow', delayMs: 150 } }],
  });
  let sut: WizProcess;
  let api: (method: string, path: string, body?: unknown) => Promise<HttpResult>;

  beforeAll(async () => {
    sut = await startServer({
      store,
      iso,
      dataDir,
      llmUrl: await llm.start(),
      env: { WIZ_MAILBOX_PARTITIONS: '1', WIZ_MAILBOX_MAX_ACK_PENDING: '5', WIZ_AGENT_PREFETCH: '2' },
    });
    api = (method, path, body) => http(sut.baseUrl, method, path, body);
  });

  afterAll(async () => {
    await sut?.stop();
    await llm.stop();
    await cleanup(iso);
    rmSync(dataDir, { recursive: true, force: true });
  });

  const agent = async () => (await api('POST', '/api/v1/agents', { name: 'A', role: 'worker' })).body.id as string;
  const submitMany = async (agentId: string, n: number, input: string) => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const r = await api('POST', '/api/v1/jobs', { agentId, input: `${input} ${i}` });
      expect(r.status).toBe(202);
      ids.push(r.body.id);
    }
    return ids;
  };
  const counts = async (agentId: string) =>
    (await api('GET', `/api/v1/jobs/counts?agentId=${agentId}`)).body as Record<string, number>;
  const allCompleted = (agentId: string, n: number) =>
    until(async () => (await counts(agentId)).completed === n, 30_000, `${n} jobs of ${agentId} to complete`);

  it('runs the other agents while a paused agent holds more jobs than the window, then all of its own', async () => {
    const paused = await agent();
    await api('POST', `/api/v1/agents/${paused}/pause`);
    await submitMany(paused, 12, 'held');
    const other = await agent();
    await submitMany(other, 3, 'free');
    await allCompleted(other, 3);
    expect(await counts(paused)).toMatchObject({ queued: 12, completed: 0 });
    await api('POST', `/api/v1/agents/${paused}/resume`);
    await allCompleted(paused, 12);
  });

  it("runs another agent's job while one agent works through a backlog far larger than the window", async () => {
    const busy = await agent();
    await submitMany(busy, 30, 'SLOW');
    const other = await agent();
    await submitMany(other, 1, 'quick');
    await allCompleted(other, 1);
    // 30 jobs of 150 ms one after another take 4.5 s; the other agent did not wait for them.
    const c = await counts(busy);
    expect(c.queued + c.active).toBeGreaterThan(10);
    await allCompleted(busy, 30);
  });
});
