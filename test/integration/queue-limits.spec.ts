import { FakeLlmServer } from '../../apps/fake-llm/src/fake-llm.server';
import { asKey, HttpResult } from '../support/http';
import { cleanup, isolation } from '../support/isolation';
import { InProcessServer, startServerInProcess } from '../support/server-app';
import { settledJob } from '../support/settled-job';

// Jobs waiting to start are bounded per agent and per owner, whoever makes them: a client gets
// 429 with Retry-After, an agent's tool gets an error it reads, and nothing is created.
describe('queued jobs per agent and per owner', () => {
  const iso = isolation('qlimits');
  const llm = new FakeLlmServer({
    rules: [
      { match: { hasToolResult: true }, reply: { content: 'Result: {{lastToolResult}}' } },
      {
        match: { lastUserContains: 'SEND TO FULL' },
        reply: { toolCalls: [{ name: 'send_message_to_agent', arguments: { agent: 'Full', message: 'one more' } }] },
      },
    ],
  });
  const ADMIN = 'b'.repeat(40);
  const HOUR = 3_600_000;
  let sut: InProcessServer;
  let api: (method: string, path: string, body?: unknown) => Promise<HttpResult>;
  let full: string;
  const jobsOf = async (agentId: string) =>
    (await api('GET', `/api/v1/jobs?agentId=${agentId}&limit=100`)).body.total as number;

  beforeAll(async () => {
    const llmUrl = await llm.start();
    sut = await startServerInProcess(iso, llmUrl, {
      WIZ_AUTH: 'on',
      WIZ_ADMIN_KEY: ADMIN,
      WIZ_ALLOW_PRIVATE_URLS: 'true',
      WIZ_MAX_QUEUED_PER_AGENT: '3',
      WIZ_MAX_QUEUED_PER_OWNER: '5',
    });
    api = asKey(sut.baseUrl, ADMIN);
    full = (await api('POST', '/api/v1/agents', { name: 'Full', role: 'r' })).body.id;
  });

  afterAll(async () => {
    await sut?.close();
    await llm.stop();
    await cleanup(iso);
  });

  it("refuses an agent's job past WIZ_MAX_QUEUED_PER_AGENT with 429 and Retry-After", async () => {
    for (let i = 0; i < 3; i++)
      expect((await api('POST', '/api/v1/jobs', { agentId: full, input: `later ${i}`, delay: HOUR })).status).toBe(202);
    const refused = await api('POST', '/api/v1/jobs', { agentId: full, input: 'one too many', delay: HOUR });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(refused.body).toMatchObject({
      code: 'rate_limited',
      message: expect.stringMatching(/WIZ_MAX_QUEUED_PER_AGENT/),
    });
    expect(await jobsOf(full)).toBe(3);
  });

  it("gives an agent's tool an error when the target's queue is full, and creates nothing", async () => {
    const sender = (await api('POST', '/api/v1/agents', { name: 'Sender', role: 'r', loop: { planning: false } })).body;
    const job = (await api('POST', '/api/v1/jobs', { agentId: sender.id, input: 'SEND TO FULL' })).body;
    const seen = await settledJob(api, job.id);
    expect(seen.status).toBe('completed');
    expect(seen.result!.text).toMatch(/WIZ_MAX_QUEUED_PER_AGENT/);
    expect(await jobsOf(full)).toBe(3);
  });

  it("refuses past WIZ_MAX_QUEUED_PER_OWNER across the owner's agents", async () => {
    const other = (await api('POST', '/api/v1/agents', { name: 'Other', role: 'r' })).body.id;
    for (let i = 0; i < 2; i++)
      expect((await api('POST', '/api/v1/jobs', { agentId: other, input: `later ${i}`, delay: HOUR })).status).toBe(
        202,
      );
    const refused = await api('POST', '/api/v1/jobs', { agentId: other, input: 'over the owner', delay: HOUR });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(refused.body.message).toMatch(/WIZ_MAX_QUEUED_PER_OWNER/);
    expect(await jobsOf(other)).toBe(2);
  });

  it('makes room again once a waiting job is cancelled', async () => {
    const waiting = (await api('GET', `/api/v1/jobs?agentId=${full}&limit=1`)).body.items[0];
    expect((await api('POST', `/api/v1/jobs/${waiting.id}/cancel`)).status).toBeLessThan(300);
    expect((await api('POST', '/api/v1/jobs', { agentId: full, input: 'now fits', delay: HOUR })).status).toBe(202);
  });
});
