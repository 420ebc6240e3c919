import { INestApplication } from '@nestjs/common';
import { WindowCounters } from '@wiz/bus';
import type { WizConfig } from '@wiz/config';
import { attachGateway, GatewayAppModule } from '@wiz/gateway';
import { createApp } from '@wiz/platform';
import { BenchOptions, SuiteResult } from './suite';
import { benchConfig, Cleanup, deleteStreams, dropSchema, isolation, percentile, round } from './support';

const ADMIN = 'b'.repeat(40);

// What the cluster-wide rate limit costs a request: the same REST call (GET /api/v1/keys with a
// key) on a gateway whose limit is off (the reference) and on one that counts every request in
// the shared NATS KV bucket, requests alternating between the two so both see the same machine.
// Also the counter alone: one gateway counting a key (one compare-and-set), and two taking
// turns on one key (each count then reads the other's revision first).
export async function limitsBench(o: BenchOptions & { requests: number }): Promise<SuiteResult> {
  const cleanup = new Cleanup();
  const iso = isolation('limits');
  cleanup.add('drop schema', () => dropSchema(iso.schema));
  cleanup.add('delete streams', () => deleteStreams(iso.prefix));
  try {
    const start = async (limit: number): Promise<{ app: INestApplication; base: string }> => {
      // No model is called: the gateway alone, with authentication on.
      const config: WizConfig = {
        ...benchConfig(iso, 'http://127.0.0.1:9/v1'),
        WIZ_AUTH: 'on',
        WIZ_ADMIN_KEY: ADMIN,
        WIZ_RATE_LIMIT_PER_MIN: limit,
      };
      const app = await createApp(GatewayAppModule.forRoot(config));
      cleanup.add('close gateway', () => app.close());
      attachGateway(app);
      await app.listen(0, '127.0.0.1');
      return { app, base: `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}` };
    };
    const off = await start(0);
    const counted = await start(1_000_000);
    const headers = { authorization: `Bearer ${ADMIN}` };
    const call = async (base: string): Promise<number> => {
      const t = process.hrtime.bigint();
      const r = await fetch(`${base}/api/v1/keys`, { headers });
      await r.arrayBuffer();
      if (r.status !== 200) throw new Error(`GET /api/v1/keys answered ${r.status}`);
      return Number(process.hrtime.bigint() - t) / 1e6;
    };
    for (let i = 0; i < o.warmup; i++) await Promise.all([call(off.base), call(counted.base)]);
    const offMs: number[] = [];
    const countedMs: number[] = [];
    for (let i = 0; i < o.requests; i++) {
      offMs.push(await call(off.base));
      countedMs.push(await call(counted.base));
    }

    const timeHits = async (counters: WindowCounters[], n: number): Promise<number[]> => {
      const ms: number[] = [];
      for (let i = 0; i < n; i++) {
        const t = process.hrtime.bigint();
        await counters[i % counters.length]!.hit('bench', 'one-key', 60_000);
        ms.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
      return ms;
    };
    const a = off.app.get(WindowCounters);
    const b = counted.app.get(WindowCounters);
    await timeHits([a], o.warmup);
    const single = await timeHits([a], o.requests);
    const turns = await timeHits([a, b], o.requests);

    const p = (xs: number[], q: number) =>
      round(
        percentile(
          [...xs].sort((x, y) => x - y),
          q,
        ),
        3,
      );
    return {
      figures: {
        'limits.restMsP50Uncounted': p(offMs, 50),
        'limits.restMsP50Counted': p(countedMs, 50),
        'limits.addedMsP50': round(p(countedMs, 50) - p(offMs, 50), 3),
        'limits.restMsP99Uncounted': p(offMs, 99),
        'limits.restMsP99Counted': p(countedMs, 99),
        'limits.counterHitMsP50': p(single, 50),
        'limits.counterHitMsP99': p(single, 99),
        'limits.counterHitMsP50TwoGateways': p(turns, 50),
      },
      context: { 'limits: REST requests per phase': o.requests },
    };
  } finally {
    await cleanup.run();
  }
}
