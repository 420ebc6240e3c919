import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeLlmServer } from '../../apps/fake-llm/src/fake-llm.server';
import { ACT_INSTRUCTIONS, PLAN_INSTRUCTIONS, VALIDATE_INSTRUCTIONS } from '../../libs/agent/src/loop/prompts';
import { http } from '../support/http';
import { cleanup, isolation } from '../support/isolation';
import { until } from '../support/until';
import { startServer, WizProcess } from '../support/wiz-process';

const PLAN = PLAN_INSTRUCTIONS.split('\n')[0]!;
const ACT = ACT_INSTRUCTIONS.split('\n')[0]!;
const VALIDATE = VALIDATE_INSTRUCTIONS.split('\n')[0]!;

// A runtime SIGKILLed in the middle of a job: the job's ActivityContext survives, and the next
// runtime continues from it (no second plan, no tool run twice) instead of starting over.
describe('agent loop after a crash', () => {
  const iso = isolation('agentresume');
  const dataDir = mkdtempSync(join(tmpdir(), 'wiz-resume-'));
  const llm = new FakeLlmServer({
    rules: [
      {
        match: { systemContains: PLAN },
        reply: { content: JSON.stringify({ validationCriteria: ['says done'], steps: ['progress', 'answer'] }) },
      },
      {
        match: { systemContains: ACT, hasToolResult: false },
        reply: { toolCalls: [{ name: 'report_progress', arguments: { percent: 50 } }] },
      },
      // The first answer never comes: the runtime is killed while it waits.
      {
        match: { systemContains: ACT, hasToolResult: true },
        reply: { content: 'too late', delayMs: 60_000 },
        times: 1,
      },
      { match: { systemContains: ACT, hasToolResult: true }, reply: { content: 'RESUME done' } },
      { match: { systemContains: VALIDATE }, reply: { content: '{"passed":true,"feedback":""}' } },
    ],
  });
  const procs: WizProcess[] = [];

  afterAll(async () => {
    for (const p of procs) await p.stop('SIGKILL');
    await llm.stop();
    await cleanup(iso);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('continues the job from its stored context', async () => {
    const llmUrl = await llm.start();
    const start = async () => {
      const p = await startServer({ store: 'postgres', iso, dataDir, llmUrl, env: { WIZ_JOB_ACK_WAIT_MS: '2000' } });
      procs.push(p);
      return p;
    };
    const first = await start();
    const api = (base: string, method: string, path: string, body?: unknown) => http(base, method, path, body);
    const agent = (await api(first.baseUrl, 'POST', '/api/v1/agents', { name: 'Rex', role: 'worker' })).body
      .id as string;
    const job = (await api(first.baseUrl, 'POST', '/api/v1/jobs', { agentId: agent, input: 'RESUME: work' })).body
      .id as string;
    // Killed while the model answers the step after the tool ran (that step is stored).
    await until(
      async () => llm.requests.filter((r) => JSON.stringify(r.body).includes('"role":"tool"')).length === 1,
      20_000,
      'second act step',
    );
    // The tool step's save commits while the next model call goes out: it may land just after.
    const context = async () => (await api(first.baseUrl, 'GET', `/api/v1/jobs/${job}/context`)).body;
    await until(async () => (await context()).steps === 2, 10_000, 'the tool step saved');
    const before = await context();
    expect(before).toMatchObject({ phase: 'act', runs: 1, steps: 2 });
    expect(before.toolCalls).toEqual([
      expect.objectContaining({ tool: 'report_progress', result: { ok: true, progress: 50 } }),
    ]);
    await first.stop('SIGKILL');

    const second = await start();
    await until(
      async () => (await api(second.baseUrl, 'GET', `/api/v1/jobs/${job}`)).body.status === 'completed',
      30_000,
      'job resumed',
    );
    const done = (await api(second.baseUrl, 'GET', `/api/v1/jobs/${job}`)).body;
    expect(done.result).toMatchObject({ text: 'RESUME done', iterations: 1 });
    expect(done.attempts).toBe(2);
    const ctx = (await api(second.baseUrl, 'GET', `/api/v1/jobs/${job}/context`)).body;
    expect(ctx).toMatchObject({ phase: 'done', runs: 2, validationResult: { passed: true } });
    expect(ctx.errors).toEqual(['run 2: continuing from the act phase (step 2) after the runtime running it stopped']);
    // Planned once, the tool ran once: the second runtime went on from the stored step.
    const bodies = llm.requests.map((r) => JSON.stringify(r.body));
    expect(bodies.filter((b) => b.includes(PLAN)).length).toBe(1);
    expect(ctx.toolCalls).toHaveLength(1);
    expect(bodies.filter((b) => b.includes(ACT) && !b.includes('"role":"tool"')).length).toBe(1);
  });
});
