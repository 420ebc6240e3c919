import { INestApplication } from '@nestjs/common';
import { WizConfig } from '@wiz/config';
import { createApp } from '@wiz/platform';
import { attachRuntime } from '@wiz/runtime';
import { ServerAppModule } from '../apps/server/src/server.module';
import { benchConfig, Cleanup, Isolation } from './support';

/** The whole server in this process, as `npm start` runs it, closed by `cleanup`. */
export async function startBenchServer(
  cleanup: Cleanup,
  iso: Isolation,
  llmUrl: string,
  dataDir = '',
): Promise<{ app: INestApplication; config: WizConfig }> {
  const config = benchConfig(iso, llmUrl, dataDir);
  const app = await createApp(ServerAppModule.forRoot(config));
  cleanup.add('close server', () => app.close());
  attachRuntime(app, config);
  await app.startAllMicroservices();
  await app.init();
  return { app, config };
}
