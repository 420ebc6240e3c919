import { connect, NatsConnection } from 'nats';
import { busNames } from '@wiz/contracts';
import { ReadinessChecks } from '@wiz/platform';
import { startGatewayInProcess, InProcessGateway } from '../support/gateway-app';
import { http } from '../support/http';
import { cleanup, isolation, TEST_NATS_URL } from '../support/isolation';

// Probes: liveness never depends on a dependency; readiness is every registered check; /health
// keeps its original shape with the same checks.
describe('health probes', () => {
  const iso = isolation('health');
  let sut: InProcessGateway;
  let nc: NatsConnection;

  beforeAll(async () => {
    sut = await startGatewayInProcess(iso);
    nc = await connect({ servers: TEST_NATS_URL });
  });

  afterAll(async () => {
    await sut?.close();
    await nc?.close();
    await cleanup(iso);
  });

  it('answers /livez, /startupz and /readyz 200 with the database, NATS and the streams up', async () => {
    expect((await http(sut.baseUrl, 'GET', '/livez')).status).toBe(200);
    expect((await http(sut.baseUrl, 'GET', '/startupz')).status).toBe(200);
    const ready = await http(sut.baseUrl, 'GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({
      status: 'ok',
      details: {
        database: { status: 'up', detail: 'postgres' },
        nats: { status: 'up' },
        streams: { status: 'up', detail: expect.stringContaining(`${iso.prefix}_mailbox R1`) },
      },
    });
    const health = await http(sut.baseUrl, 'GET', '/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({
      status: 'ok',
      nats: { ok: true },
      database: { ok: true },
      streams: { ok: true },
    });
  });

  it('turns /readyz and /health 503 when a check fails, and keeps /livez 200', async () => {
    sut.app
      .get(ReadinessChecks)
      .register('probe-test', () => Promise.resolve({ ok: false, detail: 'broken on purpose' }));
    try {
      const ready = await http(sut.baseUrl, 'GET', '/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({
        status: 'error',
        error: { 'probe-test': { status: 'down', detail: 'broken on purpose' } },
      });
      expect((await http(sut.baseUrl, 'GET', '/health')).status).toBe(503);
      expect((await http(sut.baseUrl, 'GET', '/livez')).status).toBe(200);
    } finally {
      sut.app.get(ReadinessChecks).register('probe-test', () => Promise.resolve({ ok: true, detail: 'fixed' }));
    }
  });

  it('is not ready while a stream is missing', async () => {
    const jsm = await nc.jetstreamManager();
    await jsm.streams.delete(busNames(iso.prefix).streams.events);
    const ready = await http(sut.baseUrl, 'GET', '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.error.streams).toMatchObject({
      status: 'down',
      detail: expect.stringContaining('streams unavailable'),
    });
    expect((await http(sut.baseUrl, 'GET', '/livez')).status).toBe(200);
  });
});
