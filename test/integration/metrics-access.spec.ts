import { randomBytes } from 'node:crypto';
import { startGatewayInProcess } from '../support/gateway-app';
import { http } from '../support/http';
import { cleanup, isolation } from '../support/isolation';

// Scrapers have no API key: /metrics has its own access rule. Loopback (the default) is covered
// by test/e2e/usage.e2e.spec.ts.
describe('GET /metrics with WIZ_METRICS_ACCESS=token', () => {
  const iso = isolation('metricstoken');

  it('answers only the bearer of WIZ_METRICS_TOKEN', async () => {
    const token = randomBytes(16).toString('hex');
    const gw = await startGatewayInProcess(iso, { WIZ_METRICS_ACCESS: 'token', WIZ_METRICS_TOKEN: token });
    try {
      expect((await http(gw.baseUrl, 'GET', '/metrics')).status).toBe(403);
      const wrong = await http(gw.baseUrl, 'GET', '/metrics', undefined, undefined, { authorization: 'Bearer nope' });
      expect(wrong.status).toBe(403);
      const ok = await http(gw.baseUrl, 'GET', '/metrics', undefined, undefined, { authorization: `Bearer ${token}` });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(ok.body).toContain('# TYPE wiz_http_requests_total counter');
    } finally {
      await gw.close();
      await cleanup(iso);
    }
  });
});
