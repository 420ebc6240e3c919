import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { WebSocket } from 'ws';
import { WS_CLOSE_CODES } from '@wiz/contracts';
import { asKey } from '../support/http';
import { clearOfMinuteEdge, getFrom } from '../support/http-from';
import { cleanup, isolation } from '../support/isolation';
import { InProcessGateway, startGatewayInProcess } from '../support/gateway-app';

/** Opens a WebSocket from `from`; resolves with the socket, or with the HTTP answer that refused it. */
async function wsFrom(
  from: string,
  url: string,
  key?: string,
): Promise<{ ws?: WebSocket; status: number; retryAfter?: string; body?: any }> {
  const ws = new WebSocket(url, { localAddress: from, headers: key ? { authorization: `Bearer ${key}` } : {} });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, status: 101 }));
    ws.once('unexpected-response', (_req, res: IncomingMessage) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], body: JSON.parse(text) }),
      );
    });
    ws.once('error', reject);
  });
}

// Limits that hold across gateway replicas (their counters are in a NATS KV bucket): the
// per-key rate limit, and failed authentications per client address on REST, SSE and WS.
describe('limits across two gateways', () => {
  const iso = isolation('climits');
  const ADMIN = 'l'.repeat(40);
  const env = {
    WIZ_AUTH: 'on',
    WIZ_ADMIN_KEY: ADMIN,
    WIZ_RATE_LIMIT_PER_MIN: '10',
    WIZ_AUTH_FAILURES_PER_MIN: '5',
  };
  let a: InProcessGateway;
  let b: InProcessGateway;
  const keys: string[] = [];
  let agentId: string;
  const port = (g: InProcessGateway) => new URL(g.baseUrl).port;
  const url = (g: InProcessGateway, path: string) => `http://127.0.0.1:${port(g)}${path}`;
  const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

  beforeAll(async () => {
    a = await startGatewayInProcess(iso, env);
    b = await startGatewayInProcess(iso, env);
    const admin = asKey(a.baseUrl, ADMIN);
    for (let i = 0; i < 4; i++) keys.push((await admin('POST', '/api/v1/keys', { ownerId: 'tenant-l' })).body.key);
    agentId = (await asKey(a.baseUrl, keys[3]!)('POST', '/api/v1/agents', { name: 'L', role: 'r' })).body.id;
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await cleanup(iso);
  });

  it('limits a key to the configured total across both gateways, and no other key', async () => {
    await clearOfMinuteEdge();
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++)
      statuses.push((await getFrom('127.0.0.1', url(i % 2 ? b : a, '/api/v1/agents'), bearer(keys[0]!))).status);
    // 5 on each gateway pass: 10 in all, as configured.
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 429, 429]);
    const limited = await getFrom('127.0.0.1', url(a, '/api/v1/jobs'), bearer(keys[0]!));
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ code: 'rate_limited', message: expect.stringContaining('10 requests') });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    // Another key of the same owner has its own budget.
    expect((await getFrom('127.0.0.1', url(b, '/api/v1/agents'), bearer(keys[1]!))).status).toBe(200);
  });

  it('refuses an address after N failed authentications across both gateways, on REST, SSE and WS', async () => {
    await clearOfMinuteEdge();
    const from = '127.0.0.2';
    const bad = bearer('wiz_' + 'x'.repeat(40));
    const first = [];
    for (let i = 0; i < 5; i++) first.push((await getFrom(from, url(i % 2 ? b : a, '/api/v1/agents'), bad)).status);
    expect(first).toEqual([401, 401, 401, 401, 401]);
    for (const g of [a, b]) {
      const r = await getFrom(from, url(g, '/api/v1/agents'), bad);
      expect({ status: r.status, code: r.body.code }).toEqual({ status: 429, code: 'rate_limited' });
      expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(r.body.message).toContain('WIZ_AUTH_FAILURES_PER_MIN');
      // A valid key from that address too, on REST and SSE…
      expect((await getFrom(from, url(g, '/api/v1/agents'), bearer(keys[2]!))).status).toBe(429);
      expect((await getFrom(from, url(g, `/api/v1/agents/${agentId}/events`), bearer(keys[2]!))).status).toBe(429);
      // …and the WebSocket upgrade, with a key or without one.
      for (const key of [keys[2], undefined]) {
        const ws = await wsFrom(from, g.wsUrl, key);
        expect({ status: ws.status, code: ws.body?.code }).toEqual({ status: 429, code: 'rate_limited' });
        expect(Number(ws.retryAfter)).toBeGreaterThanOrEqual(1);
      }
    }
    // Other addresses are not affected: a valid key passes, a bad one is a plain 401.
    for (const g of [a, b]) {
      expect((await getFrom('127.0.0.3', url(g, '/api/v1/agents'), bearer(keys[2]!))).status).toBe(200);
      expect((await getFrom('127.0.0.3', url(g, '/api/v1/agents'), bad)).status).toBe(401);
    }
    const ws = await wsFrom('127.0.0.3', a.wsUrl, keys[2]);
    expect(ws.status).toBe(101);
    ws.ws!.close();
  });

  it('counts requests with no key at all as failures', async () => {
    await clearOfMinuteEdge();
    const from = '127.0.0.4';
    const statuses = [];
    for (let i = 0; i < 7; i++) statuses.push((await getFrom(from, url(i % 2 ? b : a, '/api/v1/jobs'))).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
  });

  it("counts a WebSocket's failed auth frames, then refuses the address's upgrades", async () => {
    await clearOfMinuteEdge();
    const from = '127.0.0.5';
    for (let i = 0; i < 5; i++) {
      const { ws } = await wsFrom(from, (i % 2 ? b : a).wsUrl);
      const closed = once(ws!, 'close') as Promise<[number, Buffer]>;
      const frame = once(ws!, 'message') as Promise<[Buffer]>;
      ws!.send(JSON.stringify({ type: 'auth', key: 'wiz_' + 'y'.repeat(40) }));
      expect(JSON.parse((await frame)[0].toString())).toMatchObject({ type: 'error', code: 'unauthorized' });
      expect((await closed)[0]).toBe(WS_CLOSE_CODES.unauthorized);
    }
    for (const g of [a, b]) expect((await wsFrom(from, g.wsUrl)).status).toBe(429);
    expect((await getFrom(from, url(a, '/api/v1/agents'), bearer(keys[2]!))).status).toBe(429);
  });
});

// Behind a proxy (WIZ_TRUST_PROXY), the client is the address X-Forwarded-For names, as far as
// the trusted proxies go; without it, X-Forwarded-For is ignored (a client could pick any name).
describe('failed authentications behind a trusted proxy', () => {
  const iso = isolation('proxy');
  const env = { WIZ_AUTH: 'on', WIZ_ADMIN_KEY: 'p'.repeat(40), WIZ_AUTH_FAILURES_PER_MIN: '3' };
  let proxied: InProcessGateway;
  let direct: InProcessGateway;
  const bad = { authorization: `Bearer wiz_${'z'.repeat(40)}` };

  beforeAll(async () => {
    proxied = await startGatewayInProcess(iso, { ...env, WIZ_TRUST_PROXY: 'loopback' });
    direct = await startGatewayInProcess(iso, env);
  });

  afterAll(async () => {
    await proxied?.close();
    await direct?.close();
    await cleanup(iso);
  });

  it('counts per forwarded client through a trusted proxy', async () => {
    await clearOfMinuteEdge();
    const via = (client: string) => ({ ...bad, 'x-forwarded-for': client });
    const statuses = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await getFrom('127.0.0.6', `${proxied.baseUrl}/api/v1/agents`, via('203.0.113.7'))).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
    expect((await getFrom('127.0.0.6', `${proxied.baseUrl}/api/v1/agents`, via('203.0.113.8'))).status).toBe(401);
    // The proxy itself is not blocked: only the client it named.
    const itself = await wsFrom('127.0.0.6', proxied.wsUrl);
    expect(itself.status).toBe(101);
    itself.ws!.close();
    // The WebSocket upgrade reads the same header the same way.
    const ws = new WebSocket(proxied.wsUrl, {
      localAddress: '127.0.0.6',
      headers: { 'x-forwarded-for': '203.0.113.7' },
    });
    const [, res] = (await once(ws, 'unexpected-response')) as [unknown, IncomingMessage];
    expect(res.statusCode).toBe(429);
    res.resume();
  });

  it('ignores X-Forwarded-For when no proxy is trusted', async () => {
    await clearOfMinuteEdge();
    const statuses = [];
    for (let i = 0; i < 4; i++)
      statuses.push(
        (
          await getFrom('127.0.0.7', `${direct.baseUrl}/api/v1/agents`, {
            ...bad,
            'x-forwarded-for': `198.51.100.${i}`,
          })
        ).status,
      );
    expect(statuses).toEqual([401, 401, 401, 429]);
  });
});
