import { startGatewayInProcess, InProcessGateway } from '../support/gateway-app';
import { http } from '../support/http';
import { cleanup, isolation } from '../support/isolation';

// What a hostile client can send at the HTTP boundary gets a clear 4xx and changes nothing:
// never a 500, never a body larger than the bus can carry.
describe('HTTP boundary', () => {
  const iso = isolation('httpbound');
  let sut: InProcessGateway;
  const agentCount = async () => (await http(sut.baseUrl, 'GET', '/api/v1/agents')).body.items.length;

  beforeAll(async () => {
    sut = await startGatewayInProcess(iso);
  });

  afterAll(async () => {
    await sut?.close();
    await cleanup(iso);
  });

  it('answers 413 with a JSON error to a body over the limit (default 512 KiB)', async () => {
    const metadata = { blob: 'x'.repeat(1_000_000) };
    const r = await http(sut.baseUrl, 'POST', '/api/v1/memory/save', {
      agentId: crypto.randomUUID(),
      text: 'a',
      metadata,
    });
    expect(r).toMatchObject({
      status: 413,
      body: { statusCode: 413, message: 'request body larger than 524288 bytes' },
    });
  });

  it('answers 415 to a content encoding or charset it cannot read', async () => {
    const raw = JSON.stringify({ name: 'x', role: 'y' });
    const encoded = await http(sut.baseUrl, 'POST', '/api/v1/agents', undefined, raw, {
      'content-encoding': 'compress',
    });
    expect(encoded).toMatchObject({
      status: 415,
      body: { statusCode: 415, message: expect.stringContaining('compress') },
    });
    const latin = await http(sut.baseUrl, 'POST', '/api/v1/agents', undefined, raw, {
      'content-type': 'application/json; charset=latin1',
    });
    expect(latin).toMatchObject({ status: 415, body: { statusCode: 415 } });
    expect(await agentCount()).toBe(0);
  });

  it('answers 400 to JSON nested 10,000 levels deep', async () => {
    const raw = '{"name":' + '['.repeat(10_000) + ']'.repeat(10_000) + '}';
    const r = await http(sut.baseUrl, 'POST', '/api/v1/agents', undefined, raw);
    expect(r).toMatchObject({
      status: 400,
      body: { code: 'validation_failed', message: expect.stringContaining('nested') },
    });
  });

  it('answers 400 to a NUL character in a body or a query, and stores nothing', async () => {
    const r = await http(sut.baseUrl, 'POST', '/api/v1/agents', { name: 'a\u0000b', role: 'r' });
    expect(r).toMatchObject({
      status: 400,
      body: { code: 'validation_failed', message: expect.stringMatching(/^invalid request: name: NUL/) },
    });
    const q = await http(sut.baseUrl, 'GET', '/api/v1/jobs?status=%00');
    expect(q).toMatchObject({ status: 400, body: { code: 'validation_failed' } });
    expect(await agentCount()).toBe(0);
  });

  it('reports the outbox in /health', async () => {
    const r = await http(sut.baseUrl, 'GET', '/health');
    expect(r).toMatchObject({ status: 200, body: { outbox: { ok: true, detail: 'publishing' } } });
  });
});
