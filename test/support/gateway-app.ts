import { INestApplication } from '@nestjs/common';
import { parseConfig } from '@wiz/config';
import { createApp } from '@wiz/platform';
import { attachGateway, GatewayAppModule } from '@wiz/gateway';
import { Isolation, TEST_NATS_URL, TEST_PG_URL, TEST_SECRET_KEY } from './isolation';

export interface InProcessGateway {
  app: INestApplication;
  baseUrl: string;
  wsUrl: string;
  /** Every route the app registered, as `METHOD /path` (Express router stack). */
  routes(): string[];
  close(): Promise<void>;
}

/** The gateway (no runtime) in this process on Postgres, isolated by `iso`, on a free loopback port. */
export async function startGatewayInProcess(
  iso: Isolation,
  env: Record<string, string> = {},
): Promise<InProcessGateway> {
  const config = parseConfig({
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    NATS_URL: TEST_NATS_URL,
    WIZ_NATS_AUTOSTART: 'false',
    WIZ_BUS_PREFIX: iso.prefix,
    DATABASE_URL: TEST_PG_URL,
    WIZ_SECRET_KEY: TEST_SECRET_KEY,
    WIZ_DB_SCHEMA: iso.schema,
    ...env,
  });
  const app = await createApp(GatewayAppModule.forRoot(config));
  attachGateway(app);
  await app.listen(0, '127.0.0.1');
  const port = (app.getHttpServer().address() as { port: number }).port;
  return {
    app,
    baseUrl: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    routes() {
      const stack = (
        app.getHttpAdapter().getInstance() as {
          router: { stack: Array<{ route?: { path: string; methods: Record<string, boolean> } }> };
        }
      ).router.stack;
      // `/{*path}` (every method) is Nest's answer to unknown paths: a 404, nothing to own.
      const routes = stack.filter((l) => l.route && l.route.path !== '/{*path}');
      return routes.flatMap((l) => Object.keys(l.route!.methods).map((m) => `${m.toUpperCase()} ${l.route!.path}`));
    },
    close: () => app.close(),
  };
}
