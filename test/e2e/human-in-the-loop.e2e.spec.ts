import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeLlmServer } from '../../apps/fake-llm/src/fake-llm.server';
import { FakeLlmRule } from '../../apps/fake-llm/src/rules';
import { http, HttpResult } from '../support/http';
import { cleanup, isolation } from '../support/isolation';
import { until } from '../support/until';
import { startServer, WizProcess } from '../support/wiz-process';

// For jobs of agent `name` whose task holds `marker`: its first step, and its answer once the
// tool result came back.
const step = (name: string, marker: string, first: FakeLlmRule['reply'], then: string): FakeLlmRule[] => [
  { match: { systemContains: `You are ${name},`, lastUserContains: marker, hasToolResult: false }, reply: first },
  {
    match: { systemContains: `You are ${name},`, lastUserContains: marker, hasToolResult: true },
    reply: { content: `${then}: {{lastToolResult}}` },
  },
];
const call = (name: string, args: Record<string, unknown>) => ({ toolCalls: [{ name, arguments: args }] });
const todos = (...texts: string[]) => ({ todos: texts.map((text) => ({ text })) });

// Human in the loop against the built server and the scripted model: a gated tool call parks
// the job in `waiting-input` until a person decides over REST (approve, reject, edit, or the
// policy's timeout); ask_human and wait_for_signal park the same way; steering adds a message.
describe('human in the loop', () => {
  const iso = isolation('hitl');
  const dataDir = mkdtempSync(join(tmpdir(), 'wiz-hitl-'));
  const llm = new FakeLlmServer({
    rules: [
      {
        match: { systemContains: 'You are Gate,', lastUserContains: 'STEERED-NOTE' },
        reply: { content: 'steer seen' },
      },
      {
        match: { systemContains: 'You are Timer,', lastUserContains: 'STEERED-MID' },
        reply: { content: 'mid steer seen' },
      },
      // A step shorter than the runtime's fallback read of steering messages (1 s): only what the
      // bus tells it can end it early.
      ...step('Timer', 'MIDSTEER', { ...call('remember', { note: 'a note' }), delayMs: 600 }, 'unsteered'),
      ...step('Gate', 'APPROVE', call('todo_write', todos('APPROVE one')), 'approved'),
      ...step('Gate', 'REJECT', call('todo_write', todos('REJECT one')), 'rejected'),
      ...step('Gate', 'EDIT', call('todo_write', todos('EDIT one')), 'edited'),
      ...step('Gate', 'STEER', call('todo_write', todos('STEER one')), 'steered'),
      ...step(
        'Gate',
        'ASK',
        call('ask_human', { question: 'which colour?', choices: ['red', 'blue'], timeoutSec: 60 }),
        'asked',
      ),
      ...step('Gate', 'SIGNALFAST', call('wait_for_signal', { name: 'go', timeoutSec: 60 }), 'signalled'),
      ...step('Gate', 'SIGNALSLOW', call('wait_for_signal', { name: 'go', timeoutSec: 1 }), 'no signal'),
      ...step('Timer', 'LATE', call('todo_write', todos('late one')), 'late'),
      ...step('Timer', 'EARLY', call('todo_write', todos('early one')), 'early'),
    ],
  });
  let sut: WizProcess;
  let api: (method: string, path: string, body?: unknown) => Promise<HttpResult>;
  const agents: Record<string, string> = {};

  beforeAll(async () => {
    sut = await startServer({ store: 'postgres', iso, dataDir, llmUrl: await llm.start() });
    api = (method, path, body) => http(sut.baseUrl, method, path, body);
    // The owner's default: todo tools wait for a person when the first item starts with "late",
    // one second at most. Gate's own policy gates every todo_write.
    const policy = await api('PUT', '/api/v1/approvals/policy', {
      approvals: { 'todo_*': { when: [{ path: 'todos.0.text', op: 'matches', value: '^late' }], timeoutSec: 1 } },
    });
    expect(policy.status).toBe(200);
    for (const [name, extra] of [
      ['Gate', { approvals: { todo_write: 'always' } }],
      ['Timer', {}],
    ] as const) {
      const r = await api('POST', '/api/v1/agents', { name, role: 'worker', loop: { planning: false }, ...extra });
      expect(r.status).toBe(201);
      agents[name] = r.body.id;
    }
  });

  afterAll(async () => {
    await sut?.stop();
    await llm.stop();
    await cleanup(iso);
    rmSync(dataDir, { recursive: true, force: true });
  });

  const submit = async (agent: string, input: string) => {
    const r = await api('POST', '/api/v1/jobs', { agentId: agents[agent], input });
    expect(r.status).toBe(202);
    return r.body.id as string;
  };
  const job = async (id: string) => (await api('GET', `/api/v1/jobs/${id}`)).body;
  const settled = async (id: string) => {
    await until(async () => ['completed', 'failed'].includes((await job(id)).status), 20_000, `job ${id} ends`);
    return job(id);
  };
  const pendingApproval = async (jobId: string) => {
    let found: { id: string; tool: string; arguments: unknown } | undefined;
    await until(
      async () => {
        found = (await api('GET', `/api/v1/approvals?status=pending&jobId=${jobId}`)).body.items[0];
        return found !== undefined;
      },
      20_000,
      `an approval for ${jobId}`,
    );
    return found!;
  };

  it('parks a gated call in waiting-input, frees the agent, and runs the tool once approved', async () => {
    const id = await submit('Gate', 'APPROVE this');
    const approval = await pendingApproval(id);
    expect(approval).toMatchObject({ tool: 'todo_write', arguments: todos('APPROVE one') });
    expect((await job(id)).status).toBe('waiting-input');
    expect((await api('GET', `/api/v1/agents/${agents.Gate}`)).body.status).not.toBe('busy');
    const decided = await api('POST', `/api/v1/approvals/${approval.id}`, { decision: 'approve', comment: 'ok' });
    expect(decided.status).toBe(200);
    expect(decided.body).toMatchObject({ status: 'approved', resolution: { decision: 'approve', comment: 'ok' } });
    const done = await settled(id);
    expect(done.status).toBe('completed');
    expect(done.result.text).toContain('approved: {"ok":true,"count":1}');
    // Decided once: a second decision is a conflict and changes nothing.
    const again = await api('POST', `/api/v1/approvals/${approval.id}`, { decision: 'reject' });
    expect(again.status).toBe(409);
    expect((await api('GET', `/api/v1/approvals/${approval.id}`)).body.status).toBe('approved');
  });

  it('gives the model "rejected: <comment>" as the result of a rejected call', async () => {
    const id = await submit('Gate', 'REJECT this');
    const approval = await pendingApproval(id);
    expect(
      (await api('POST', `/api/v1/approvals/${approval.id}`, { decision: 'reject', comment: 'not now' })).status,
    ).toBe(200);
    const done = await settled(id);
    expect(done.result.text).toContain('rejected: not now');
    const ctx = (await api('GET', `/api/v1/jobs/${id}/context`)).body;
    expect(ctx.todos ?? []).toEqual([]);
  });

  it('runs an edited call with the new arguments, after refusing ones that do not fit the tool', async () => {
    const id = await submit('Gate', 'EDIT this');
    const approval = await pendingApproval(id);
    const bad = await api('POST', `/api/v1/approvals/${approval.id}`, { decision: 'edit', arguments: { todos: 'x' } });
    expect(bad.status).toBe(400);
    expect((await api('GET', `/api/v1/approvals/${approval.id}`)).body.status).toBe('pending');
    const edited = await api('POST', `/api/v1/approvals/${approval.id}`, {
      decision: 'edit',
      arguments: todos('a', 'b', 'c'),
    });
    expect(edited.status).toBe(200);
    const done = await settled(id);
    expect(done.result.text).toContain('"count":3');
    expect((await api('GET', `/api/v1/jobs/${id}/context`)).body.todos).toHaveLength(3);
  });

  it('applies the owner default policy (glob + condition) and rejects at its timeout', async () => {
    const early = await submit('Timer', 'EARLY this');
    expect((await settled(early)).result.text).toContain('early: {"ok":true,"count":1}');
    const id = await submit('Timer', 'LATE this');
    const approval = await pendingApproval(id);
    const done = await settled(id);
    expect(done.result.text).toContain('rejected: no decision within 1 s');
    expect((await api('GET', `/api/v1/approvals/${approval.id}`)).body).toMatchObject({
      status: 'expired',
      resolution: { by: 'timeout' },
    });
    expect((await api('POST', `/api/v1/approvals/${approval.id}`, { decision: 'approve' })).status).toBe(409);
  });

  it('answers bad input with 4xx and changes nothing', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect((await api('POST', `/api/v1/approvals/${unknown}`, { decision: 'approve' })).status).toBe(404);
    expect((await api('POST', `/api/v1/approvals/not-a-uuid`, { decision: 'approve' })).status).toBe(404);
    expect((await api('POST', `/api/v1/approvals/${unknown}`, { decision: 'maybe' })).status).toBe(400);
    expect((await api('POST', `/api/v1/jobs/${unknown}/input`, { answer: 'x' })).status).toBe(404);
    expect((await api('POST', `/api/v1/jobs/${unknown}/signals/go`, {})).status).toBe(404);
    const bad = await api('PUT', '/api/v1/approvals/policy', {
      approvals: { todo_write: { when: [{ path: 'a', op: 'matches', value: '(' }] } },
    });
    expect(bad.status).toBe(400);
  });

  it('returns ask_human answers given over REST as the tool result', async () => {
    const id = await submit('Gate', 'ASK the colour');
    await until(async () => (await job(id)).status === 'waiting-input', 20_000, 'the question parks the job');
    expect((await api('POST', `/api/v1/jobs/${id}/input`, { answer: 'green' })).status).toBe(400);
    expect((await api('POST', `/api/v1/jobs/${id}/input`, { answer: 'blue' })).status).toBe(200);
    expect((await settled(id)).result.text).toContain('asked: {"answer":"blue"}');
    expect((await api('POST', `/api/v1/jobs/${id}/input`, { answer: 'red' })).status).toBe(409);
  });

  it('resumes on a signal before its timeout, and on the timeout without one', async () => {
    const fast = await submit('Gate', 'SIGNALFAST');
    await until(async () => (await job(fast)).status === 'waiting-input', 20_000, 'the signal wait parks');
    expect((await api('POST', `/api/v1/jobs/${fast}/signals/other`, { a: 1 })).status).toBe(409);
    expect((await api('POST', `/api/v1/jobs/${fast}/signals/go`, { deploy: 'v2' })).status).toBe(200);
    expect((await settled(fast)).result.text).toContain('"payload":{"deploy":"v2"}');

    const slow = await submit('Gate', 'SIGNALSLOW');
    const done = await settled(slow);
    expect(done.result.text).toContain('timed-out');
    expect((await api('POST', `/api/v1/jobs/${slow}/signals/go`, { late: true })).status).toBe(409);
  });

  it("hands a steering message posted while a step runs to the job's next step", async () => {
    const id = await submit('Timer', 'MIDSTEER go');
    await until(
      async () => llm.requests.some((r) => JSON.stringify(r.body).includes('MIDSTEER go')),
      10_000,
      'the first step asked the model',
    );
    expect((await api('POST', `/api/v1/jobs/${id}/messages`, { text: 'STEERED-MID: stop early' })).status).toBe(202);
    const done = await settled(id);
    expect(done.result.text).toBe('mid steer seen');
    const seen = llm.requests.filter((r) => JSON.stringify(r.body).includes('STEERED-MID'));
    expect(seen).toHaveLength(1);
    const messages = (seen[0].body as { messages: Array<{ role: string; content: string }> }).messages;
    expect(messages.slice(-2).map((m) => m.role)).toEqual(['tool', 'user']);
  });

  it('shows a steering message to the model at its next step', async () => {
    const id = await submit('Gate', 'STEER this');
    const approval = await pendingApproval(id);
    const steer = await api('POST', `/api/v1/jobs/${id}/messages`, { text: 'STEERED-NOTE: use blue' });
    expect(steer.status).toBe(202);
    expect((await api('POST', `/api/v1/approvals/${approval.id}`, { decision: 'approve' })).status).toBe(200);
    const done = await settled(id);
    expect(done.result.text).toBe('steer seen');
    const seen = llm.requests.filter((r) => JSON.stringify(r.body).includes('STEERED-NOTE: use blue'));
    expect(seen).toHaveLength(1);
    // The approved call's result, then the person's message: what the model read at its next step.
    const messages = (seen[0].body as { messages: Array<{ role: string; content: string }> }).messages;
    expect(messages.slice(-2).map((m) => m.role)).toEqual(['tool', 'user']);
    expect(messages[messages.length - 2].content).toContain('"count":1');
    const ctx = (await api('GET', `/api/v1/jobs/${id}/context`)).body;
    expect(JSON.stringify(ctx.messages)).toContain('STEERED-NOTE: use blue');
    expect((await api('POST', `/api/v1/jobs/${id}/messages`, { text: 'too late' })).status).toBe(409);
  });
});
