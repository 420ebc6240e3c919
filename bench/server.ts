import { ChildProcess } from 'node:child_process';
import { INestApplication } from '@nestjs/common';
import { WizConfig } from '@wiz/config';
import { createApp } from '@wiz/platform';
import { attachRuntime } from '@wiz/runtime';
import { ServerAppModule } from '../apps/server/src/server.module';
import { benchConfig, benchEnv, Cleanup, Isolation } from './support';
import { startWizChild } from './wiz-child';

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

/** Serves an in-process server's REST API on a loopback port; resolves to its base URL. */
export async function listenBenchServer(app: INestApplication): Promise<string> {
  await app.listen(0, '127.0.0.1');
  return `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
}

/**
 * `node dist/apps/server/src/main.js` as a user runs it (configuration in the environment only,
 * Postgres), with `env` added; resolves once /health answers. Stopped by `cleanup`.
 */
export async function startServerProcess(
  cleanup: Cleanup,
  iso: Isolation,
  llmUrl: string,
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; url: string }> {
  const server = await startWizChild('server', { ...benchEnv(iso, llmUrl), ...env });
  cleanup.add(`stop server process ${server.child.pid}`, () => server.stop());
  return server;
}
