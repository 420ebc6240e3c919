import { Client } from 'pg';
import { DataSource } from 'typeorm';
import type { Job } from '@wiz/contracts';
import { partitionOf } from '@wiz/contracts';
import { AgentStateCache } from '@wiz/agent';
import { FakeLlmServer } from '../../apps/fake-llm/src/fake-llm.server';
import { http } from '../support/http';
import { cleanup, isolation, TEST_PG_URL } from '../support/isolation';
import { InProcessServer, startServerInProcess } from '../support/server-app';
import { until } from '../support/until';

type ChatBody = { messages?: { role: string; content: unknown }[] };
const NOTES = [
  'the sky is green here',
  'kept learning',
  'learned here',
  'learned on the first runtime',
  'learned on the second runtime',
];
const text = (c: unknown) => (typeof c === 'string' ? c : JSON.stringify(c));

// What a runtime keeps of an agent between its jobs (its long-term memory, AgentStateCache) is
// never stale where it matters: the persona is read with each job's claim, a job's learnings are
// seen by the next job, a lease that moves drops what was kept, and a state changed behind the
// cache's back is merged into, not overwritten. Gateway and runtimes in this process, on
// Postgres and NATS, with the scripted model, whose recorded requests show what the agent was told.
describe(AgentStateCache.name, () => {
  const iso = isolation('acache');
  const llm = new FakeLlmServer({
    rules: [
      { match: { hasToolResult: true }, reply: { content: 'noted' } },
      ...NOTES.map((note) => ({
        match: { lastUserContains: `LEARN ${note}` },
        reply: { toolCalls: [{ name: 'remember', arguments: { note } }] },
      })),
      { reply: { content: 'echo: {{lastUserFirstLine}}' } },
    ],
  });
  let llmUrl: string;
  let a: InProcessServer;
  let b: InProcessServer | undefined;

  beforeAll(async () => {
    llmUrl = await llm.start();
    a = await startServerInProcess(iso, llmUrl);
  });

  afterAll(async () => {
    await b?.close();
    await a?.close();
    await llm.stop();
    await cleanup(iso);
  });

  const createAgent = async (server: InProcessServer, body: Record<string, unknown> = {}) => {
    const r = await http(server.baseUrl, 'POST', '/api/v1/agents', {
      name: 'Cached',
      role: 'a careful helper',
      loop: { planning: false },
      ...body,
    });
    expect(r.status).toBe(201);
    return r.body.id as string;
  };

  /** Runs a job to completion; returns the system prompt of its last model request. */
  const run = async (server: InProcessServer, agentId: string, input: string): Promise<string> => {
    const r = await http<Job>(server.baseUrl, 'POST', '/api/v1/jobs', { agentId, input });
    expect(r.status).toBe(202);
    let job: Job | undefined;
    await until(
      async () => (
        (job = (await http<Job>(server.baseUrl, 'GET', `/api/v1/jobs/${r.body.id}`)).body),
        job.status === 'completed'
      ),
      20_000,
      `job "${input}" completed`,
      () => JSON.stringify(job),
    );
    const mine = llm.requests.filter((q) =>
      ((q.body as ChatBody)?.messages ?? []).some((m) => m.role === 'user' && text(m.content).includes(input)),
    );
    expect(mine.length).toBeGreaterThan(0);
    const system = ((mine[mine.length - 1]!.body as ChatBody).messages ?? []).find((m) => m.role === 'system');
    return text(system?.content ?? '');
  };

  it('a job after a persona update or after a job that learned sees the change; the learning came from what was kept', async () => {
    const cache = a.app.get(AgentStateCache);
    const agentId = await createAgent(a);
    expect(await run(a, agentId, 'first job')).toContain('a careful helper');
    expect(cache.has(agentId)).toBe(true);

    // The update and the next job back to back: the job must not see the old persona.
    const patched = await http(a.baseUrl, 'PATCH', `/api/v1/agents/${agentId}`, { backstory: 'BACKSTORY-TWO' });
    expect(patched.status).toBe(200);
    expect(await run(a, agentId, 'second job')).toContain('BACKSTORY-TWO');
    const instructed = await http(a.baseUrl, 'PATCH', `/api/v1/agents/${agentId}`, {
      systemPrompt: 'INSTRUCTIONS-THREE: answer in French.',
    });
    expect(instructed.status).toBe(200);
    const third = await run(a, agentId, 'third job');
    expect(third).toContain('INSTRUCTIONS-THREE');
    expect(third).not.toContain('BACKSTORY-TWO');

    await run(a, agentId, 'LEARN the sky is green here');
    const hits = cache.stats.hits;
    const next = await run(a, agentId, 'fourth job');
    expect(next).toContain('What you have learned before:\n- the sky is green here');
    expect(next).toContain('completed: LEARN the sky is green here'); // its recent jobs
    expect(cache.stats.hits).toBe(hits + 1); // read from what was kept, not from the store
  });

  it('a state changed behind the cache (another runtime, a stale lease) is merged into at the end of a job, not overwritten', async () => {
    const cache = a.app.get(AgentStateCache);
    const agentId = await createAgent(a);
    await run(a, agentId, 'LEARN kept learning');
    expect(cache.has(agentId)).toBe(true);
    const pg = new Client({ connectionString: TEST_PG_URL });
    await pg.connect();
    try {
      const table = `"${iso.schema}".agent_states`;
      await pg.query(`UPDATE ${table} SET learnings = $1, "updatedAt" = "updatedAt" + 1 WHERE "agentId" = $2`, [
        JSON.stringify(['kept learning', 'learned elsewhere']),
        agentId,
      ]);
      await run(a, agentId, 'LEARN learned here');
      const row = await pg.query<{ learnings: string }>(`SELECT learnings FROM ${table} WHERE "agentId" = $1`, [
        agentId,
      ]);
      expect(JSON.parse(row.rows[0]!.learnings)).toEqual(['kept learning', 'learned elsewhere', 'learned here']);
    } finally {
      await pg.end();
    }
    // And what is kept now is the merged state.
    expect(await run(a, agentId, 'after the merge')).toContain('learned elsewhere');
  });

  it('a runtime that loses an agent’s partition drops what it kept; the agent’s next job there sees what another runtime did', async () => {
    const cache = a.app.get(AgentStateCache);
    // With two runtimes on 2 partitions, the first gives back partition 1.
    let agentId = '';
    for (let i = 0; i < 20 && !agentId; i++) {
      const id = await createAgent(a, { name: `Mover ${i}` });
      if (partitionOf(id, 2) === 1) agentId = id;
    }
    expect(agentId).not.toBe('');
    await run(a, agentId, 'LEARN learned on the first runtime');
    expect(cache.has(agentId)).toBe(true);

    b = await startServerInProcess(iso, llmUrl);
    await until(async () => !cache.has(agentId), 15_000, 'the first runtime dropped the agent on losing its partition');
    await until(
      async () => String((await http(b!.baseUrl, 'GET', '/readyz')).body?.details?.leases?.detail).includes('[1]'),
      15_000,
      'the second runtime holds partition 1',
    );
    await run(b, agentId, 'LEARN learned on the second runtime');
    expect(b.app.get(AgentStateCache).has(agentId)).toBe(true);

    await b.close();
    b = undefined;
    await until(
      async () => String((await http(a.baseUrl, 'GET', '/readyz')).body?.details?.leases?.detail).includes('[0,1]'),
      15_000,
      'the first runtime holds both partitions again',
    );
    const system = await run(a, agentId, 'back on the first runtime');
    expect(system).toContain('learned on the second runtime');
    expect(system).toContain('learned on the first runtime');
    // Nothing was lost in the store either.
    const states = a.app.get(DataSource);
    const [row] = await states.query(`SELECT learnings FROM "${iso.schema}".agent_states WHERE "agentId" = $1`, [
      agentId,
    ]);
    expect(JSON.parse((row as { learnings: string }).learnings)).toEqual([
      'learned on the first runtime',
      'learned on the second runtime',
    ]);
  });
});
