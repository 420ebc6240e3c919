import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { INestApplication } from '@nestjs/common';
import { WizConfig } from '@wiz/config';
import { createApp } from '@wiz/platform';
import { attachRuntime } from '@wiz/runtime';
import { ServerAppModule } from '../apps/server/src/server.module';
import { benchConfig, benchEnv, Cleanup, Isolation, stopChild } from './support';

const ROOT = join(__dirname, '..', '..');

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
  const port = await freePort();
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'apps', 'server', 'src', 'main.js')], {
    cwd: ROOT,
    env: { ...benchEnv(iso, llmUrl), PORT: String(port), ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  cleanup.add(`stop server process ${child.pid}`, () => stopChild(child));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  const healthy = () =>
    fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
  while (!(await healthy())) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('the server process did not start');
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, url };
}

async function freePort(): Promise<number> {
  const srv = createServer().listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address() as { port: number };
  srv.close();
  await once(srv, 'close');
  return port;
}
