import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeLlmServer } from '../../apps/fake-llm/src/fake-llm.server';
import { http } from '../support/http';
import { cleanup, isolation } from '../support/isolation';
import { until } from '../support/until';
import { startServer, WizProcess } from '../support/wiz-process';

// The runtime SIGKILLed while a job waits for a person's approval: the wait is in the store, so
// the approval given to the next server resumes the job from its stored context (the model is
// not asked again for the gated step) and runs the tool.
describe('an approval across a runtime restart', () => {
  const iso = isolation('hitlrestart');
  const dataDir = mkdtempSync(join(tmpdir(), 'wiz-hitlrestart-'));
  const llm = new FakeLlmServer({
    rules: [
      {
        match: { systemContains: 'You are Ann,', hasToolResult: false },
        reply: { toolCalls: [{ name: 'todo_write', arguments: { todos: [{ text: 'deploy' }] } }] },
      },
      { match: { systemContains: 'You are Ann,', hasToolResult: true }, reply: { content: 'Ann: {{lastToolResult}}' } },
    ],
  });
  const procs: WizProcess[] = [];

  afterAll(async () => {
    for (const p of procs) await p.stop('SIGKILL');
    await llm.stop();
    await cleanup(iso);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('resumes the parked job when the approval comes to the next server', async () => {
    const llmUrl = await llm.start();
    const start = async () => {
      const p = await startServer({ store: 'postgres', iso, dataDir, llmUrl, env: { WIZ_JOB_ACK_WAIT_MS: '2000' } });
      procs.push(p);
      return p;
    };
    const first = await start();
    const ann = (
      await http(first.baseUrl, 'POST', '/api/v1/agents', {
        name: 'Ann',
        role: 'worker',
        loop: { planning: false },
        approvals: { 'todo_*': 'always' },
      })
    ).body.id as string;
    const job = (await http(first.baseUrl, 'POST', '/api/v1/jobs', { agentId: ann, input: 'plan the deploy' })).body
      .id as string;
    let approvalId = '';
    await until(
      async () => {
        const items = (await http(first.baseUrl, 'GET', `/api/v1/approvals?status=pending&jobId=${job}`)).body.items;
        approvalId = items[0]?.id ?? '';
        return approvalId !== '';
      },
      20_000,
      'the approval is requested',
    );
    expect((await http(first.baseUrl, 'GET', `/api/v1/jobs/${job}`)).body.status).toBe('waiting-input');
    await first.stop('SIGKILL');

    const second = await start();
    const t0 = Date.now();
    const decided = await http(second.baseUrl, 'POST', `/api/v1/approvals/${approvalId}`, { decision: 'approve' });
    expect(decided.status).toBe(200);
    await until(
      async () => (await http(second.baseUrl, 'GET', `/api/v1/jobs/${job}`)).body.status === 'completed',
      30_000,
      'Ann resumed',
    );
    expect(Date.now() - t0).toBeLessThan(30_000);
    const done = (await http(second.baseUrl, 'GET', `/api/v1/jobs/${job}`)).body;
    expect(done.result.text).toBe('Ann: {"ok":true,"count":1}');
    const annCalls = llm.requests.filter((r) => JSON.stringify(r.body).includes('You are Ann,'));
    expect(annCalls).toHaveLength(2);
    const ctx = (await http(second.baseUrl, 'GET', `/api/v1/jobs/${job}/context`)).body;
    expect(ctx).toMatchObject({ phase: 'done', runs: 2, todos: [{ text: 'deploy', done: false }] });
  });
});
