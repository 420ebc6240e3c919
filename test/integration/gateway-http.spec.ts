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

  it('serves the OpenAPI page with local assets only, so it works offline', async () => {
    const page = await fetch(`${sut.baseUrl}/api/docs`);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(refs).toEqual([
      '/api/docs/assets/swagger-ui.css',
      '/api/docs/assets/swagger-ui-bundle.js',
      '/api/docs/assets/init.js',
    ]);
    expect(html).not.toMatch(/https?:\/\//);
    for (const ref of refs) {
      const asset = await fetch(`${sut.baseUrl}${ref}`);
      expect({ ref, status: asset.status }).toEqual({ ref, status: 200 });
      expect(asset.headers.get('content-type')).toMatch(ref.endsWith('.css') ? /^text\/css/ : /^text\/javascript/);
      expect((await asset.text()).length).toBeGreaterThan(0);
    }
    const bundle = await (await fetch(`${sut.baseUrl}/api/docs/assets/swagger-ui-bundle.js`)).text();
    expect(bundle).toContain('SwaggerUIBundle');
    expect(await (await fetch(`${sut.baseUrl}/api/docs/assets/init.js`)).text()).toContain("url: '/api/docs.json'");
  });

  it('serves no other file under the docs assets', async () => {
    for (const name of ['package.json', 'index.html', '..%2F..%2Fpackage.json', 'swagger-ui.css.map']) {
      const r = await http(sut.baseUrl, 'GET', `/api/docs/assets/${name}`);
      expect({ name, status: r.status, code: r.body?.code }).toEqual({ name, status: 404, code: 'not_found' });
    }
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
