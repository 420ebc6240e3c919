import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeLlmServer } from '../../apps/fake-llm/src/fake-llm.server';
import { http } from '../support/http';
import { cleanup, isolation } from '../support/isolation';
import { until } from '../support/until';
import { startServer, WizProcess } from '../support/wiz-process';

interface Msg {
  id: string;
  content: string;
  role: string;
  author: { kind: string; id: string };
  jobIds: string[];
  toolData: { waitId?: string; kind?: string } | null;
}

// A job that came from a conversation and parks on a person asks there; the person's reply in
// the conversation (plain text, or a structured action) answers it instead of starting a job.
describe('human in the loop in a conversation', () => {
  const iso = isolation('hitlconv');
  const dataDir = mkdtempSync(join(tmpdir(), 'wiz-hitlconv-'));
  const llm = new FakeLlmServer({
    rules: [
      {
        match: { systemContains: 'You are Cora,', lastUserContains: 'HOLD', hasToolResult: false },
        reply: { toolCalls: [{ name: 'todo_write', arguments: { todos: [{ text: 'hold' }] } }] },
      },
      // The question first: a later message's task carries the earlier messages too.
      {
        match: { systemContains: 'You are Cora,', lastUserContains: 'COLOUR', hasToolResult: false },
        reply: {
          toolCalls: [{ name: 'ask_human', arguments: { question: 'which colour?', choices: ['red', 'blue'] } }],
        },
      },
      {
        match: { systemContains: 'You are Cora,', lastUserContains: 'DEPLOY', hasToolResult: false },
        reply: { toolCalls: [{ name: 'todo_write', arguments: { todos: [{ text: 'deploy' }] } }] },
      },
      {
        match: { systemContains: 'You are Cora,', hasToolResult: true },
        reply: { content: 'Cora: {{lastToolResult}}' },
      },
    ],
  });
  let sut: WizProcess;
  let dm = '';
  let agent = '';

  const messages = async (): Promise<Msg[]> =>
    (await http(sut.baseUrl, 'GET', `/api/v1/conversations/${dm}/messages?limit=200`)).body.items;
  const asked = async (kind: string, after: number): Promise<Msg> => {
    let found: Msg | undefined;
    await until(
      async () => {
        found = (await messages()).find(
          (m) => m.toolData?.kind === kind && m.author.kind === 'agent' && !seen.has(m.id),
        );
        return found !== undefined;
      },
      20_000,
      `the agent asks (${kind})`,
      async () => JSON.stringify((await messages()).map((m) => [m.author.kind, m.content.slice(0, 80), m.toolData])),
    );
    seen.add(found!.id);
    expect(after).toBeGreaterThanOrEqual(0);
    return found!;
  };
  const seen = new Set<string>();
  const jobOf = async (job: string) => (await http(sut.baseUrl, 'GET', `/api/v1/jobs/${job}`)).body;

  beforeAll(async () => {
    const llmUrl = await llm.start();
    sut = await startServer({ store: 'postgres', iso, dataDir, llmUrl });
    agent = (
      await http(sut.baseUrl, 'POST', '/api/v1/agents', {
        name: 'Cora',
        role: 'worker',
        loop: { planning: false },
        approvals: { 'todo_*': 'always' },
      })
    ).body.id;
    dm = (await http(sut.baseUrl, 'POST', '/api/v1/conversations', { kind: 'dm', agentId: agent, userId: 'ann' })).body
      .id;
  });

  afterAll(async () => {
    await sut?.stop('SIGKILL');
    await llm.stop();
    await cleanup(iso);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('asks for an approval in the conversation and takes "approve" there as the decision', async () => {
    const posted = await http(sut.baseUrl, 'POST', `/api/v1/conversations/${dm}/messages`, {
      userId: 'ann',
      content: 'DEPLOY please',
    });
    const job = posted.body.jobIds[0] as string;
    const ask = await asked('approval', 0);
    expect(ask.content).toContain('todo_write');
    expect(ask.content).toContain('"deploy"');
    expect(ask.content).toContain('approve');
    expect((await jobOf(job)).status).toBe('waiting-input');

    const reply = await http(sut.baseUrl, 'POST', `/api/v1/conversations/${dm}/messages`, {
      userId: 'ann',
      content: 'approve, go ahead',
    });
    expect(reply.status).toBe(201);
    expect(reply.body.jobIds).toEqual([]);
    expect(reply.body.toolData).toEqual({ answersWaitId: ask.toolData!.waitId });
    const approval = (await http(sut.baseUrl, 'GET', `/api/v1/approvals/${ask.toolData!.waitId}`)).body;
    expect(approval.resolution).toMatchObject({ decision: 'approve', comment: 'go ahead', by: 'user:ann' });
    await until(async () => (await jobOf(job)).status === 'completed', 20_000, 'the job resumes and completes');
    expect((await jobOf(job)).result.text).toBe('Cora: {"ok":true,"count":1}');
    await until(
      async () => (await messages()).some((m) => m.author.kind === 'agent' && m.content.startsWith('Cora: {"ok"')),
      10_000,
      "the agent's reply is posted",
    );
  });

  it('asks a question with its choices and takes the structured answer; a bad answer is a 400', async () => {
    const posted = await http(sut.baseUrl, 'POST', `/api/v1/conversations/${dm}/messages`, {
      userId: 'ann',
      content: 'COLOUR time',
    });
    const job = posted.body.jobIds[0] as string;
    const ask = await asked('question', 0);
    expect(ask.content).toContain('which colour?');
    expect(ask.content).toContain('red, blue');
    const waitId = ask.toolData!.waitId!;
    const url = `/api/v1/conversations/${dm}/messages`;
    expect((await http(sut.baseUrl, 'POST', url, { userId: 'ann', action: { waitId, answer: 'green' } })).status).toBe(
      400,
    );
    expect(
      (await http(sut.baseUrl, 'POST', url, { userId: 'ann', action: { waitId, decision: 'approve' } })).status,
    ).toBe(400);
    expect((await http(sut.baseUrl, 'POST', url, { userId: 'bob', action: { waitId, answer: 'blue' } })).status).toBe(
      403,
    );
    const answered = await http(sut.baseUrl, 'POST', url, { userId: 'ann', action: { waitId, answer: 'blue' } });
    expect(answered.status).toBe(201);
    expect(answered.body).toMatchObject({ content: 'blue', jobIds: [] });
    await until(async () => (await jobOf(job)).status === 'completed', 20_000, 'the job resumes and completes');
    expect((await jobOf(job)).result.text).toBe('Cora: {"answer":"blue"}');
    expect((await http(sut.baseUrl, 'POST', url, { userId: 'ann', action: { waitId, answer: 'red' } })).status).toBe(
      409,
    );
  });

  it('answers a question with a plain reply in the conversation', async () => {
    const posted = await http(sut.baseUrl, 'POST', `/api/v1/conversations/${dm}/messages`, {
      userId: 'ann',
      content: 'COLOUR again',
    });
    const job = posted.body.jobIds[0] as string;
    await asked('question', 0);
    const reply = await http(sut.baseUrl, 'POST', `/api/v1/conversations/${dm}/messages`, {
      userId: 'ann',
      content: 'Red',
    });
    expect(reply.body.jobIds).toEqual([]);
    await until(async () => (await jobOf(job)).status === 'completed', 20_000, 'the job resumes and completes');
    expect((await jobOf(job)).result.text).toBe('Cora: {"answer":"red"}');
  });

  it('closes the pending wait of a parked job that is cancelled', async () => {
    const posted = await http(sut.baseUrl, 'POST', `/api/v1/conversations/${dm}/messages`, {
      userId: 'ann',
      content: 'HOLD the deploy',
    });
    const job = posted.body.jobIds[0] as string;
    const ask = await asked('approval', 0);
    const approvalUrl = `/api/v1/approvals/${ask.toolData!.waitId}`;
    expect((await http(sut.baseUrl, 'GET', approvalUrl)).body.status).toBe('pending');
    expect((await http(sut.baseUrl, 'POST', `/api/v1/jobs/${job}/cancel`)).status).toBe(200);
    expect((await jobOf(job)).status).toBe('cancelled');
    const closed = (await http(sut.baseUrl, 'GET', approvalUrl)).body;
    expect(closed).toMatchObject({ status: 'cancelled', resolution: { by: 'system', decision: 'cancel' } });
    expect((await http(sut.baseUrl, 'POST', approvalUrl, { decision: 'approve' })).status).toBe(409);
  });
});
