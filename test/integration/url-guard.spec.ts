import { DataSource } from 'typeorm';
import { ProviderEntity } from '@wiz/persistence';
import { FakeLlmServer } from '../../apps/fake-llm/src/fake-llm.server';
import { asKey, HttpResult } from '../support/http';
import { cleanup, isolation } from '../support/isolation';
import { InProcessServer, startServerInProcess } from '../support/server-app';
import { until } from '../support/until';

// With authentication on, a tenant's provider URL may not reach the server's own network: the
// runtime refuses to post there (with the tenant's key), and the job fails saying why.
describe("tenants' provider URLs", () => {
  const iso = isolation('urlguard');
  const llm = new FakeLlmServer({ rules: [] });
  const ADMIN = 'a'.repeat(40);
  let sut: InProcessServer;
  let api: (method: string, path: string, body?: unknown) => Promise<HttpResult>;
  let llmUrl: string;
  const calls = async () =>
    ((await (await fetch(`${llmUrl.replace(/\/v1\/?$/, '')}/_fake/requests`)).json()) as { requests: unknown[] })
      .requests.length;

  beforeAll(async () => {
    llmUrl = await llm.start();
    sut = await startServerInProcess(iso, llmUrl, { WIZ_AUTH: 'on', WIZ_ADMIN_KEY: ADMIN });
    api = asKey(sut.baseUrl, ADMIN);
  });

  afterAll(async () => {
    await sut?.close();
    await llm.stop();
    await cleanup(iso);
  });

  it('refuses to store a provider whose URL reaches a private or loopback address (400, nothing stored)', async () => {
    const before = (await api('GET', '/api/v1/providers')).body.total;
    for (const baseUrl of [llmUrl, 'http://169.254.169.254/latest', 'http://10.1.2.3/v1', 'http://[::1]:8080/v1']) {
      const r = await api('POST', '/api/v1/providers', { name: 'Local', baseUrl, apiKey: 'sk-tenant' });
      expect(r.status).toBe(400);
      expect(r.body.message).toMatch(/private or local address: refused/);
    }
    expect((await api('GET', '/api/v1/providers')).body.total).toBe(before);
  });

  it('refuses a base URL that turned loopback after it was stored, and never calls it', async () => {
    // A name that resolved publicly when stored may resolve elsewhere later: the runtime checks again.
    const provider = await api('POST', '/api/v1/providers', {
      name: 'Rebound',
      baseUrl: 'http://93.184.215.14/v1',
      apiKey: 'sk-tenant',
    });
    expect(provider.status).toBe(201);
    await sut.app.get(DataSource).getRepository(ProviderEntity).update({ id: provider.body.id }, { baseUrl: llmUrl });
    const agent = await api('POST', '/api/v1/agents', {
      name: 'Prober',
      role: 'r',
      model: { provider: provider.body.id, model: 'm' },
      loop: { planning: false },
    });
    expect(agent.status).toBe(201);
    const before = await calls();
    const job = (await api('POST', '/api/v1/jobs', { agentId: agent.body.id, input: 'hello' })).body;
    let seen: { status: string; failureReason?: string } = { status: '' };
    await until(
      async () => {
        seen = (await api('GET', `/api/v1/jobs/${job.id}`)).body;
        return seen.status === 'failed' || seen.status === 'completed';
      },
      20_000,
      'job settled',
      () => JSON.stringify(seen),
    );
    expect(seen).toMatchObject({
      status: 'failed',
      failureReason: expect.stringMatching(/resolves to 127\.0\.0\.1, a private or local address: refused/),
    });
    expect(await calls()).toBe(before);
  });
});

// A private host the operator allows is reached through the pinned client (a real model stream).
describe('an allowed private provider host (WIZ_ALLOWED_PRIVATE_HOSTS)', () => {
  const iso = isolation('urlallow');
  const llm = new FakeLlmServer({ rules: [] });
  const ADMIN = 'b'.repeat(40);
  let sut: InProcessServer;
  let api: (method: string, path: string, body?: unknown) => Promise<HttpResult>;
  let byName: string;

  beforeAll(async () => {
    const llmUrl = await llm.start();
    byName = llmUrl.replace('127.0.0.1', 'localhost');
    sut = await startServerInProcess(iso, llmUrl, {
      WIZ_AUTH: 'on',
      WIZ_ADMIN_KEY: ADMIN,
      WIZ_ALLOWED_PRIVATE_HOSTS: 'localhost',
    });
    api = asKey(sut.baseUrl, ADMIN);
  });

  afterAll(async () => {
    await sut?.close();
    await llm.stop();
    await cleanup(iso);
  });

  it('streams the model answer through the connection-pinned client', async () => {
    const provider = await api('POST', '/api/v1/providers', { name: 'Allowed', baseUrl: byName, apiKey: 'sk-x' });
    expect(provider.status).toBe(201);
    const agent = await api('POST', '/api/v1/agents', {
      name: 'Local',
      role: 'r',
      model: { provider: provider.body.id, model: 'm' },
      loop: { planning: false },
    });
    const job = (await api('POST', '/api/v1/jobs', { agentId: agent.body.id, input: 'pinned hello' })).body;
    let seen: { status: string; result?: { text?: string }; failureReason?: string } = { status: '' };
    await until(
      async () => {
        seen = (await api('GET', `/api/v1/jobs/${job.id}`)).body;
        return seen.status === 'failed' || seen.status === 'completed';
      },
      20_000,
      'job settled',
      () => JSON.stringify(seen),
    );
    expect(seen).toMatchObject({ status: 'completed', result: { text: expect.stringContaining('pinned hello') } });
  });
});
