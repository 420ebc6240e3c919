import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeLlmServer } from '../../apps/fake-llm/src/fake-llm.server';
import { http } from '../support/http';
import { cleanup, isolation } from '../support/isolation';
import { until } from '../support/until';
import { startServer, WizProcess } from '../support/wiz-process';

// A runtime SIGKILLed while A is parked on B and B is mid-answer: the next runtime recovers B,
// B's completion wakes A through a new mailbox command, and A resumes from its stored context
// (its delegation is not run again) to finish with B's answer.
describe('delegation across a runtime restart', () => {
  const iso = isolation('delegrestart');
  const dataDir = mkdtempSync(join(tmpdir(), 'wiz-delegrestart-'));
  const llm = new FakeLlmServer({
    rules: [
      {
        match: { systemContains: 'You are Ann,', hasToolResult: false },
        reply: { toolCalls: [{ name: 'delegate_to_agent', arguments: { agent: 'Ben', task: 'RESTART: compute' } }] },
      },
      {
        match: { systemContains: 'You are Ann,', hasToolResult: true },
        reply: { content: 'Ann got: {{lastToolResult}}' },
      },
      // Ben's first answer never comes: the runtime is killed while it waits.
      { match: { systemContains: 'You are Ben,' }, reply: { content: 'too late', delayMs: 60_000 }, times: 1 },
      { match: { systemContains: 'You are Ben,' }, reply: { content: 'BEN-RESULT-7' } },
    ],
  });
  const procs: WizProcess[] = [];

  afterAll(async () => {
    for (const p of procs) await p.stop('SIGKILL');
    await llm.stop();
    await cleanup(iso);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('resumes the parked job after the child finishes on the next runtime', async () => {
    const llmUrl = await llm.start();
    const start = async () => {
      const p = await startServer({ store: 'postgres', iso, dataDir, llmUrl, env: { WIZ_JOB_ACK_WAIT_MS: '2000' } });
      procs.push(p);
      return p;
    };
    const first = await start();
    const api = (base: string, method: string, path: string, body?: unknown) => http(base, method, path, body);
    const mk = async (name: string) =>
      (await api(first.baseUrl, 'POST', '/api/v1/agents', { name, role: 'worker', loop: { planning: false } })).body
        .id as string;
    const ann = await mk('Ann');
    await mk('Ben');
    const job = (await api(first.baseUrl, 'POST', '/api/v1/jobs', { agentId: ann, input: 'RESTART: ask Ben' })).body
      .id as string;
    await until(
      async () => llm.requests.filter((r) => JSON.stringify(r.body).includes('You are Ben,')).length === 1,
      20_000,
      'Ben is answering',
    );
    const parked = (await api(first.baseUrl, 'GET', `/api/v1/jobs/${job}`)).body;
    expect(parked.status).toBe('waiting-children');
    expect((await api(first.baseUrl, 'GET', `/api/v1/agents/${ann}`)).body.status).not.toBe('busy');
    await first.stop('SIGKILL');

    const second = await start();
    await until(
      async () => (await api(second.baseUrl, 'GET', `/api/v1/jobs/${job}`)).body.status === 'completed',
      30_000,
      'Ann resumed',
    );
    const done = (await api(second.baseUrl, 'GET', `/api/v1/jobs/${job}`)).body;
    expect(done.result.text).toContain('BEN-RESULT-7');
    const child = (await api(second.baseUrl, 'GET', `/api/v1/jobs/${done.children[0]}`)).body;
    expect(child).toMatchObject({ status: 'completed', attempts: 2 });
    // Ann asked the model twice in all: once before parking, once after; one child only.
    const annCalls = llm.requests.filter((r) => JSON.stringify(r.body).includes('You are Ann,'));
    expect(annCalls).toHaveLength(2);
    expect(done.children).toHaveLength(1);
    const ctx = (await api(second.baseUrl, 'GET', `/api/v1/jobs/${job}/context`)).body;
    expect(ctx).toMatchObject({ phase: 'done', runs: 2, errors: [] });
  });
});
