import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeLlmServer } from '../../apps/fake-llm/src/fake-llm.server';
import { FakeLlmRule } from '../../apps/fake-llm/src/rules';
import { http, HttpResult } from '../support/http';
import { cleanup, isolation } from '../support/isolation';
import { until } from '../support/until';
import { startServer, WizProcess } from '../support/wiz-process';

// The rules of one agent (by its name, in its system prompt) for jobs whose task holds `marker`:
// its first step, and its answer once a tool result came back.
const step = (name: string, marker: string, first: FakeLlmRule['reply'], then: FakeLlmRule['reply']): FakeLlmRule[] => [
  { match: { systemContains: `You are ${name},`, lastUserContains: marker, hasToolResult: false }, reply: first },
  { match: { systemContains: `You are ${name},`, lastUserContains: marker, hasToolResult: true }, reply: then },
];
const call = (name: string, args: Record<string, unknown>) => ({ toolCalls: [{ name, arguments: args }] });
const echoResult = (who: string) => ({ content: `${who} got: {{lastToolResult}}` });

// Delegation against the built server and the scripted model: chains, A↔B, guards,
// ask_agent's deadline. The delegating job parks (`waiting-children`) and resumes with its
// child's outcome as the tool result.
describe.each<['postgres' | 'sqlite']>([['postgres'], ['sqlite']])('delegation between agents on %s', (store) => {
  const iso = isolation(`delegation${store}`);
  const dataDir = mkdtempSync(join(tmpdir(), 'wiz-deleg-'));
  const llm = new FakeLlmServer({
    rules: [
      ...step(
        'Alpha',
        'CHAIN',
        call('delegate_to_agent', { agent: 'Bravo', task: 'CHAIN: find the code' }),
        echoResult('Alpha'),
      ),
      ...step(
        'Bravo',
        'CHAIN',
        call('delegate_to_agent', { agent: 'Charlie', task: 'CHAIN: make the code' }),
        echoResult('Bravo'),
      ),
      {
        match: { systemContains: 'You are Charlie,', lastUserContains: 'CHAIN' },
        reply: { content: 'the code is CODE-42' },
      },

      ...step(
        'Alpha',
        'PING1',
        call('delegate_to_agent', { agent: 'Bravo', task: 'PING2 over to you' }),
        echoResult('Alpha'),
      ),
      ...step(
        'Bravo',
        'PING2',
        call('delegate_to_agent', { agent: 'Alpha', task: 'PING3 back to you' }),
        echoResult('Bravo'),
      ),
      { match: { systemContains: 'You are Alpha,', lastUserContains: 'PING3' }, reply: { content: 'PONG' } },

      // Depth (max 3): Alpha → Bravo → Charlie → (Alpha refused).
      ...step('Alpha', 'DEEP', call('delegate_to_agent', { agent: 'Bravo', task: 'DEEP 2' }), echoResult('Alpha')),
      ...step('Bravo', 'DEEP', call('delegate_to_agent', { agent: 'Charlie', task: 'DEEP 3' }), echoResult('Bravo')),
      ...step('Charlie', 'DEEP', call('delegate_to_agent', { agent: 'Alpha', task: 'DEEP 4' }), echoResult('Charlie')),

      ...step('Picky', 'PERM', call('delegate_to_agent', { agent: 'Charlie', task: 'PERM job' }), echoResult('Picky')),
      ...step(
        'Alpha',
        'FANOUT',
        {
          toolCalls: [1, 2, 3].map((i) => ({
            name: 'delegate_to_agent',
            arguments: { agent: 'Charlie', task: `FANOUT part ${i}` },
          })),
        },
        { content: 'Alpha fanned out' },
      ),
      { match: { systemContains: 'You are Charlie,', lastUserContains: 'FANOUT' }, reply: { content: 'part done' } },

      ...step('Alpha', 'BADARGS', call('delegate_to_agent', { agent: 'Bravo' }), echoResult('Alpha')),

      ...step(
        'Alpha',
        'ASK',
        call('ask_agent', { agent: 'Slow', question: 'ASK: are you there?', timeoutSec: 1 }),
        echoResult('Alpha'),
      ),
      {
        match: { systemContains: 'You are Slow,', lastUserContains: 'ASK' },
        reply: { content: 'too late', delayMs: 20_000 },
      },

      ...step(
        'Alpha',
        'HOLD',
        call('ask_agent', { agent: 'Slow', question: 'HOLD on', timeoutSec: 120 }),
        echoResult('Alpha'),
      ),
      {
        match: { systemContains: 'You are Slow,', lastUserContains: 'HOLD' },
        reply: { content: 'too late', delayMs: 20_000 },
      },
      ...step(
        'Alpha',
        'FILES',
        {
          toolCalls: [
            { name: 'write_file', arguments: { path: 'notes/a.txt', content: 'WS-CONTENT' } },
            { name: 'read_file', arguments: { path: '../../../../etc/passwd' } },
            { name: 'read_file', arguments: { path: '/etc/passwd' } },
          ],
        },
        { content: 'files done' },
      ),
      ...step(
        'Alpha',
        'MEMSAVE',
        {
          toolCalls: [
            {
              name: 'memory_save',
              arguments: { text: 'The user said their favourite colour is teal', metadata: { topic: 'prefs' } },
            },
            {
              name: 'memory_save',
              arguments: { text: 'Deploy the server on Kubernetes with three replicas', metadata: { topic: 'ops' } },
            },
          ],
        },
        { content: 'saved' },
      ),
      ...step(
        'Alpha',
        'MEMQUERY',
        call('memory_query', { query: 'which colour does the user like?', limit: 1 }),
        echoResult('Alpha'),
      ),
      ...step('Alpha', 'MEMFILTER', call('memory_query', { filter: { topic: 'ops' } }), echoResult('Alpha')),
      ...step(
        'Alpha',
        'SUBJOB',
        {
          toolCalls: [
            {
              name: 'create_subjob',
              arguments: { input: 'SUBJOB later', agent: 'Charlie', delaySec: 3600, priority: 5 },
            },
            { name: 'todo_write', arguments: { todos: [{ text: 'check the sub-job', done: false }] } },
          ],
        },
        { content: 'planned' },
      ),
      ...step(
        'Alpha',
        'MIXED',
        {
          toolCalls: [
            { name: 'ask_agent', arguments: { agent: 'Slow', question: 'MIXED question', timeoutSec: 1 } },
            { name: 'delegate_to_agent', arguments: { agent: 'Bravo', task: 'MIXED work' } },
          ],
        },
        { content: 'mixed done' },
      ),
      {
        match: { systemContains: 'You are Slow,', lastUserContains: 'MIXED' },
        reply: { content: 'too late', delayMs: 20_000 },
      },
      {
        match: { systemContains: 'You are Bravo,', lastUserContains: 'MIXED' },
        reply: { content: 'BRAVO-MIXED', delayMs: 2_500 },
      },
      ...step('Alpha', 'NOTE', call('send_message_to_agent', { agent: 'Charlie', message: 'NOTE for you' }), {
        content: 'sent',
      }),
      { match: { systemContains: 'You are Charlie,', lastUserContains: 'NOTE' }, reply: { content: 'noted' } },
      ...step('Alpha', 'WHO', call('list_agents', {}), echoResult('Alpha')),
    ],
  });
  let sut: WizProcess;
  let api: (method: string, path: string, body?: unknown) => Promise<HttpResult>;
  const agents: Record<string, string> = {};

  beforeAll(async () => {
    sut = await startServer({
      store,
      iso,
      dataDir,
      llmUrl: await llm.start(),
      env: { WIZ_DELEGATION_MAX_DEPTH: '3', WIZ_DELEGATION_MAX_CHILDREN: '2' },
    });
    api = (method, path, body) => http(sut.baseUrl, method, path, body);
    for (const [name, extra] of [
      ['Alpha', {}],
      ['Bravo', {}],
      ['Charlie', {}],
      ['Slow', {}],
      ['Picky', { delegates: ['Bravo'] }],
      ['Solo', { tools: ['report_progress'] }],
    ] as const) {
      const r = await api('POST', '/api/v1/agents', {
        name,
        role: `the ${name} agent`,
        loop: { planning: false },
        ...extra,
      });
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

  const settle = async (agent: string, input: string) => {
    const created = await api('POST', '/api/v1/jobs', { agentId: agents[agent], input });
    expect(created.status).toBe(202);
    const id = created.body.id as string;
    await until(
      async () => ['completed', 'failed', 'cancelled'].includes((await api('GET', `/api/v1/jobs/${id}`)).body.status),
      20_000,
      `job ${input} settled`,
    );
    return (await api('GET', `/api/v1/jobs/${id}`)).body;
  };
  const contextOf = async (id: string) => (await api('GET', `/api/v1/jobs/${id}/context`)).body;

  it("runs a chain A → B → C and brings the results back into A's answer", async () => {
    const a = await settle('Alpha', 'CHAIN: what is the code?');
    expect(a.status).toBe('completed');
    expect(a.result.text).toMatch(/^Alpha got: .*Bravo got: .*CODE-42/);
    expect(a.children).toHaveLength(1);
    const b = (await api('GET', `/api/v1/jobs/${a.children[0]}`)).body;
    expect(b).toMatchObject({ agentId: agents['Bravo'], parentJobId: a.id, status: 'completed' });
    expect(b.children).toHaveLength(1);
    const c = (await api('GET', `/api/v1/jobs/${b.children[0]}`)).body;
    expect(c).toMatchObject({
      agentId: agents['Charlie'],
      status: 'completed',
      result: { text: 'the code is CODE-42' },
    });
    // A parked once, resumed from its context (one model step before, one after), same attempt.
    const ctx = await contextOf(a.id);
    expect(ctx).toMatchObject({ phase: 'done', runs: 2, awaiting: [] });
    expect(ctx.toolCalls).toEqual([
      expect.objectContaining({
        tool: 'delegate_to_agent',
        result: expect.objectContaining({
          status: 'completed',
          agent: 'Bravo',
          answer: expect.stringContaining('CODE-42'),
        }),
      }),
    ]);
    expect(a.attempts).toBe(1);
    expect(a.attemptLog.map((x: { error: string | null }) => x.error)).toEqual([
      'parked: waiting for child jobs',
      null,
    ]);
  });

  it('lets A and B delegate to each other without deadlock (a parked job frees its agent)', async () => {
    const a = await settle('Alpha', 'PING1 start');
    expect(a.status).toBe('completed');
    expect(a.result.text).toMatch(/Alpha got: .*Bravo got: .*PONG/);
  });

  it('refuses a delegation past the depth limit with a clear tool error, and the chain still ends', async () => {
    const a = await settle('Alpha', 'DEEP 1');
    expect(a.status).toBe('completed');
    expect(a.result.text).toContain(
      'delegation depth limit: the chain Alpha → Bravo → Charlie → Alpha would be 4 jobs deep (at most 3)',
    );
  });

  it('refuses a delegate the agent is not allowed, and the loop goes on', async () => {
    const p = await settle('Picky', 'PERM test');
    expect(p.status).toBe('completed');
    expect(p.result.text).toContain('you may not delegate to Charlie; you may delegate to: Bravo');
    expect(p.children).toEqual([]);
  });

  it('bounds the children of one job (fan-out)', async () => {
    const a = await settle('Alpha', 'FANOUT go');
    expect(a.status).toBe('completed');
    expect(a.children).toHaveLength(2);
    const ctx = await contextOf(a.id);
    const outcomes = ctx.toolCalls.map(
      (t: { result: { status?: string }; error?: string }) => t.result.status ?? t.error,
    );
    expect(outcomes).toEqual(['completed', 'completed', expect.stringContaining('fan-out limit')]);
  });

  it('answers invalid delegation arguments with an error result, and the loop goes on', async () => {
    const a = await settle('Alpha', 'BADARGS go');
    expect(a.status).toBe('completed');
    expect(a.result.text).toContain('invalid arguments for delegate_to_agent');
    expect(a.children).toEqual([]);
  });

  it("stops waiting at ask_agent's deadline, says so, and withdraws the question", async () => {
    const t0 = Date.now();
    const a = await settle('Alpha', 'ASK now');
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(a.status).toBe('completed');
    expect(a.result.text).toContain('no answer from Slow within 1 s');
    const child = (await api('GET', `/api/v1/jobs/${a.children[0]}`)).body;
    expect(child.status).toBe('cancelled');
  });

  it('parks again after an ask times out while a delegation still runs, keeping the timed-out result', async () => {
    const a = await settle('Alpha', 'MIXED go');
    expect(a).toMatchObject({ status: 'completed', attempts: 1, result: { text: 'mixed done' } });
    const ctx = await contextOf(a.id);
    // Ran three times: the first step, the wake-up at the ask's deadline, the end of the delegation.
    expect(ctx.runs).toBe(3);
    expect(ctx.toolCalls.map((t: { result: { status: string } }) => t.result.status)).toEqual([
      'timed-out',
      'completed',
    ]);
    const tool = (
      ctx.messages as Array<{ role: string; content: Array<{ output: { value: { status: string } } }> }>
    ).find((m) => m.role === 'tool')!;
    expect(tool.content.map((p) => p.output.value.status)).toEqual(['timed-out', 'completed']);
  });

  it('sends a message without waiting, and lists the agents', async () => {
    const a = await settle('Alpha', 'NOTE go');
    expect(a.result.text).toBe('sent');
    const ctx = await contextOf(a.id);
    const sent = ctx.toolCalls[0].result.jobId as string;
    await until(
      async () => (await api('GET', `/api/v1/jobs/${sent}`)).body.status === 'completed',
      10_000,
      'message handled',
    );
    expect((await api('GET', `/api/v1/jobs/${sent}`)).body).toMatchObject({
      agentId: agents['Charlie'],
      parentJobId: null,
      result: { text: 'noted' },
    });
    const who = await settle('Alpha', 'WHO is there');
    expect(who.result.text).toContain('"name":"Bravo"');
    expect(who.result.text).not.toContain('"name":"Alpha"');
  });

  it("keeps workspace files in the agent's directory and refuses paths out of it", async () => {
    const a = await settle('Alpha', 'FILES go');
    expect(a.result.text).toBe('files done');
    const calls = (await contextOf(a.id)).toolCalls;
    expect(calls.map((c: { error?: string }) => c.error ?? 'ok')).toEqual([
      'ok',
      expect.stringContaining('goes up with ".."'),
      expect.stringContaining('is absolute'),
    ]);
    expect(readFileSync(join(dataDir, 'workspaces', 'local', agents['Alpha']!, 'notes', 'a.txt'), 'utf8')).toBe(
      'WS-CONTENT',
    );
  });

  it('finds in a later job, by meaning, what an earlier job saved to memory; and by metadata', async () => {
    expect((await settle('Alpha', 'MEMSAVE two facts')).result.text).toBe('saved');
    const byMeaning = await settle('Alpha', 'MEMQUERY now');
    expect(byMeaning.result.text).toContain('favourite colour is teal');
    expect(byMeaning.result.text).not.toContain('Kubernetes');
    const byFilter = await settle('Alpha', 'MEMFILTER now');
    expect(byFilter.result.text).toContain('Kubernetes');
    expect(byFilter.result.text).not.toContain('teal');
  });

  it('offers an agent only the tools of its allow-list (and finish)', async () => {
    expect((await settle('Solo', 'SOLO hello')).status).toBe('completed');
    const req = llm.requests.find((r) => JSON.stringify(r.body).includes('You are Solo,'))!;
    const offered = (req.body as { tools: Array<{ function: { name: string } }> }).tools.map((t) => t.function.name);
    expect(offered.sort()).toEqual(['finish', 'report_progress']);
    expect((await settle('Alpha', 'TOOLCOUNT hello')).status).toBe('completed');
    const alpha = llm.requests.find((r) => JSON.stringify(r.body).includes('TOOLCOUNT'))!;
    expect((alpha.body as { tools: unknown[] }).tools.length).toBeGreaterThan(15);
    expect((await api('PATCH', `/api/v1/agents/${agents['Solo']}`, { tools: ['no such tool!'] })).status).toBe(400);
    // A well-formed name that is no tool (a typo) is refused too, on PATCH and POST, changing nothing.
    const typo = await api('PATCH', `/api/v1/agents/${agents['Solo']}`, { tools: ['report_progress', 'raed_file'] });
    expect(typo.status).toBe(400);
    expect(typo.body.message).toContain('unknown tool "raed_file"');
    expect((await api('GET', `/api/v1/agents/${agents['Solo']}`)).body.tools).toEqual(['report_progress']);
    const before = (await api('GET', '/api/v1/agents?limit=1')).body.total;
    const created = await api('POST', '/api/v1/agents', {
      name: 'Typo',
      role: 'r',
      approvals: { wirte_file: 'always' },
    });
    expect(created.status).toBe(400);
    expect(created.body.message).toContain('unknown tool "wirte_file"');
    expect((await api('GET', '/api/v1/agents?limit=1')).body.total).toBe(before);
  });

  it('creates a sub-job it does not wait for, and keeps a todo list in its context', async () => {
    const a = await settle('Alpha', 'SUBJOB go');
    expect(a).toMatchObject({ status: 'completed', result: { text: 'planned' } });
    expect(a.children).toHaveLength(1);
    const child = (await api('GET', `/api/v1/jobs/${a.children[0]}`)).body;
    expect(child).toMatchObject({
      status: 'delayed',
      priority: 5,
      agentId: agents['Charlie'],
      parentJobId: a.id,
      input: 'SUBJOB later',
    });
    expect((await contextOf(a.id)).todos).toEqual([{ text: 'check the sub-job', done: false }]);
    await api('POST', `/api/v1/jobs/${child.id}/cancel`);
  });

  it('cancels the children of a cancelled parked job', async () => {
    const created = await api('POST', '/api/v1/jobs', { agentId: agents['Alpha'], input: 'HOLD please' });
    const id = created.body.id as string;
    await until(
      async () => (await api('GET', `/api/v1/jobs/${id}`)).body.status === 'waiting-children',
      10_000,
      'parked',
    );
    expect((await api('POST', `/api/v1/jobs/${id}/cancel`)).status).toBe(200);
    const parent = (await api('GET', `/api/v1/jobs/${id}`)).body;
    expect(parent.status).toBe('cancelled');
    expect((await api('GET', `/api/v1/jobs/${parent.children[0]}`)).body.status).toBe('cancelled');
  });
});
