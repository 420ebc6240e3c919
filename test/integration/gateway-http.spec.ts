import { startGatewayInProcess, InProcessGateway } from '../support/gateway-app';
import { http } from '../support/http';
import { cleanup, isolation } from '../support/isolation';

// API hygiene on the real app: per-key rate limit with the one error shape, CORS by configuration.
describe('gateway HTTP hygiene', () => {
  const iso = isolation('gwhttp');
  let sut: InProcessGateway;

  beforeAll(async () => {
    sut = await startGatewayInProcess(iso, { WIZ_RATE_LIMIT_PER_MIN: '5', WIZ_CORS_ORIGINS: 'https://app.example' });
  });

  afterAll(async () => {
    await sut?.close();
    await cleanup(iso);
  });

  it('answers 429 rate_limited past the limit, and never limits /health', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 6; i++) codes.push((await http(sut.baseUrl, 'GET', '/api/v1/agents')).status);
    expect(codes).toEqual([200, 200, 200, 200, 200, 429]);
    const limited = await http(sut.baseUrl, 'GET', '/api/v1/jobs');
    expect(limited.body).toMatchObject({
      statusCode: 429,
      code: 'rate_limited',
      message: expect.stringContaining('5 requests per minute'),
    });
    for (let i = 0; i < 10; i++) expect((await http(sut.baseUrl, 'GET', '/health')).status).toBe(200);
  });

  it('allows the configured origins only', async () => {
    const preflight = (origin: string) =>
      fetch(`${sut.baseUrl}/api/v1/agents`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
      });
    const allowed = await preflight('https://app.example');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(allowed.headers.get('access-control-allow-headers')).toContain('authorization');
    expect((await preflight('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
  });
});

// `npm start` listens on loopback with authentication off: a local load test must not be throttled
// by the per-key default (600/min), which applies only with authentication on.
describe('gateway rate limit with authentication off and no limit configured', () => {
  const iso = isolation('gwnolimit');
  let sut: InProcessGateway;

  beforeAll(async () => {
    sut = await startGatewayInProcess(iso);
  });

  afterAll(async () => {
    await sut?.close();
    await cleanup(iso);
  });

  it('answers more than 600 requests in a minute from one client without a 429', async () => {
    const codes = new Map<number, number>();
    for (let batch = 0; batch < 26; batch++) {
      const answers = await Promise.all(
        Array.from({ length: 25 }, () => http(sut.baseUrl, 'GET', '/api/v1/agents?limit=1')),
      );
      for (const a of answers) codes.set(a.status, (codes.get(a.status) ?? 0) + 1);
    }
    expect(Object.fromEntries(codes)).toEqual({ 200: 650 });
  });
});
