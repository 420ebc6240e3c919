import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { FakeLlmServer } from '../../apps/fake-llm/src/fake-llm.server';
import { http, HttpResult } from '../support/http';
import { cleanup, isolation } from '../support/isolation';
import { InProcessServer, startServerInProcess } from '../support/server-app';
import { until } from '../support/until';

// What a model answers cannot hold an agent or break the store: a model that streams forever
// is cut at WIZ_LLM_TIMEOUT_MS (even across a GC), a NUL in a reply is removed before storing.
setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

describe('model output at the runtime', () => {
  const iso = isolation('modelout');
  const llm = new FakeLlmServer({
    rules: [
      {
        match: { lastUserContains: 'FOREVER' },
        reply: { content: 'x'.repeat(2_000), chunkSize: 1, tokenIntervalMs: 100 },
      },
      { match: { lastUserContains: 'NUL' }, reply: { content: 'before\u0000after' } },
    ],
  });
  let sut: InProcessServer;
  let api: (method: string, path: string, body?: unknown) => Promise<HttpResult>;
  let agentId: string;
  // An endpoint that answers 200 with a page, not a completion (a proxy, a login page).
  const html: Server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html/>'));

  beforeAll(async () => {
    await new Promise<void>((r) => html.listen(0, '127.0.0.1', r));
    sut = await startServerInProcess(iso, await llm.start(), { WIZ_LLM_TIMEOUT_MS: '1500' });
    api = (method, path, body) => http(sut.baseUrl, method, path, body);
    agentId = (await api('POST', '/api/v1/agents', { name: 'Talker', role: 'talks' })).body.id;
  });

  afterAll(async () => {
    await sut?.close();
    await llm.stop();
    await cleanup(iso);
    await new Promise((r) => html.close(r));
  });

  const settled = async (jobId: string, timeoutMs = 20_000) => {
    let job: { status: string; failureReason?: string; result?: { text: string } } = { status: '' };
    await until(
      async () => {
        job = (await api('GET', `/api/v1/jobs/${jobId}`)).body;
        return ['completed', 'failed'].includes(job.status);
      },
      timeoutMs,
      `job ${jobId} settled`,
      () => JSON.stringify(job),
    );
    return job;
  };

  it('fails a model call that streams past WIZ_LLM_TIMEOUT_MS, even when a GC ran meanwhile', async () => {
    const started = Date.now();
    const job = (await api('POST', '/api/v1/jobs', { agentId, input: 'talk FOREVER' })).body;
    // A few full GCs while the model streams (each takes a while on a big heap).
    let gcs = 0;
    const collector = setInterval(() => void (++gcs <= 3 && gc()), 300);
    try {
      expect(await settled(job.id, 15_000)).toMatchObject({
        status: 'failed',
        failureReason: expect.stringContaining('did not finish within 1500 ms'),
      });
    } finally {
      clearInterval(collector);
    }
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("removes a NUL from a model's reply, and the reply is stored in its conversation", async () => {
    const conversation = (
      await api('POST', '/api/v1/conversations', { kind: 'dm', agentId, userId: 'ann', userName: 'Ann' })
    ).body;
    const said = await api('POST', `/api/v1/conversations/${conversation.id}/messages`, {
      userId: 'ann',
      content: 'say NUL',
    });
    expect(said.status).toBe(201);
    const job = await settled(said.body.jobIds[0]);
    expect(job).toMatchObject({ status: 'completed', result: { text: 'beforeafter' } });
    const messages = (await api('GET', `/api/v1/conversations/${conversation.id}/messages`)).body.items;
    expect(messages.map((m: { content: string }) => m.content)).toContain('beforeafter');
  });

  it.each([[true], [false]])('fails a job whose endpoint answers 200 with a page (planning %s)', async (planning) => {
    const baseUrl = `http://127.0.0.1:${(html.address() as AddressInfo).port}/v1`;
    const provider = (await api('POST', '/api/v1/providers', { name: 'Page', baseUrl, apiKey: 'sk-x' })).body;
    const paged = (
      await api('POST', '/api/v1/agents', {
        name: `Paged ${planning}`,
        role: 'r',
        model: { provider: provider.id, model: 'm' },
        loop: { planning },
      })
    ).body;
    expect(paged.id).toBeDefined();
    const job = (await api('POST', '/api/v1/jobs', { agentId: paged.id, input: 'hello' })).body;
    expect(await settled(job.id)).toMatchObject({
      status: 'failed',
      failureReason: expect.stringContaining('answered without a readable completion'),
    });
  });
});
