import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { message } from './support';

const ROOT = join(__dirname, '..', '..');

export interface WizChild {
  child: ChildProcess;
  url: string;
  /** SIGTERM (the server's graceful shutdown, which also writes a --cpu-prof profile), then SIGKILL. */
  stop(): Promise<void>;
}

// A built Wiz entry (`npm run build` first) as a child process, configured by its environment
// only, as a user runs it; resolves once /health answers.
export async function startWizChild(
  entry: 'server' | 'gateway' | 'runtime',
  env: Record<string, string>,
  nodeArgs: string[] = [],
): Promise<WizChild> {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, join(ROOT, 'dist', 'apps', entry, 'src', 'main.js')], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env, PORT: String(port) },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const stop = () => stopChild(child);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (
    !(await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    ))
  ) {
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop();
      throw new Error(`${entry} did not start`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, url, stop };
}

export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, graceMs))]).catch((e: unknown) =>
    console.error(message(e)),
  );
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

async function freePort(): Promise<number> {
  const srv = createServer().listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address() as { port: number };
  srv.close();
  await once(srv, 'close');
  return port;
}
