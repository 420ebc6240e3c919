import { INestApplication } from '@nestjs/common';
import { parseConfig } from '@wiz/config';
import { createApp } from '@wiz/platform';
import { attachGateway } from '@wiz/gateway';
import { attachRuntime } from '@wiz/runtime';
import { ServerAppModule } from '../../apps/server/src/server.module';
import { Isolation, TEST_NATS_URL, TEST_PG_URL, TEST_SECRET_KEY } from './isolation';

export interface InProcessServer {
  app: INestApplication;
  baseUrl: string;
  wsUrl: string;
  close(): Promise<void>;
}

/** Gateway and runtime in this process (what `npm start` runs) on Postgres, isolated by `iso`. */
export async function startServerInProcess(
  iso: Isolation,
  llmUrl: string,
  env: Record<string, string> = {},
): Promise<InProcessServer> {
  const config = parseConfig({
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    NATS_URL: TEST_NATS_URL,
    WIZ_NATS_AUTOSTART: 'false',
    WIZ_BUS_PREFIX: iso.prefix,
    WIZ_MAILBOX_PARTITIONS: '2',
    DATABASE_URL: TEST_PG_URL,
    WIZ_SECRET_KEY: TEST_SECRET_KEY,
    WIZ_DB_SCHEMA: iso.schema,
    OPENAI_BASE_URL: llmUrl,
    OPENAI_API_KEY: 'test-key',
    WIZ_LLM_MAX_RETRIES: '0',
    ...env,
  });
  const app = await createApp(ServerAppModule.forRoot(config));
  attachGateway(app);
  attachRuntime(app, config);
  await app.startAllMicroservices();
  await app.listen(0, '127.0.0.1');
  const port = (app.getHttpServer().address() as { port: number }).port;
  return { app, baseUrl: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}/ws`, close: () => app.close() };
}
