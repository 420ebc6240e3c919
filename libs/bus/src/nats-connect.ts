import { ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync, openSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { connect, NatsConnection } from 'nats';
import { lightenRequestCancel } from './nats-requests';

export interface NatsConnectOptions {
  url: string;
  name: string;
  autostart: boolean;
  dataDir: string;
  /** PATH to search for nats-server, as the config lib parsed it. */
  searchPath: string;
  log: (msg: string) => void;
}

export interface NatsHandle {
  nc: NatsConnection;
  /** The nats-server this process started, if it had to. */
  child?: ChildProcess;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

// Connect to NATS; when nothing answers at a loopback URL and nats-server is on PATH, start one
// with JetStream storing under the data dir (the embedded default). Otherwise wait for it with
// backoff, logging each retry: a pod started while NATS is down becomes ready when NATS returns
// instead of crash-looping.
export async function connectNats(o: NatsConnectOptions): Promise<NatsHandle> {
  const servers = o.url.split(',').map((s) => s.trim());
  lightenRequestCancel();
  // noAsyncTraces: a request (every JetStream publish and ack wait) does not capture a stack for
  // the error it might end with; nats.js's documented switch for publish-heavy clients. A timed-out
  // request still fails with its NatsError, only without the caller's frames.
  const tryConnect = () =>
    connect({
      servers,
      name: o.name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      waitOnFirstConnect: false,
      noAsyncTraces: true,
    });
  try {
    return { nc: await tryConnect() };
  } catch (e) {
    const first = new URL(servers[0]!.includes('://') ? servers[0]! : `nats://${servers[0]}`);
    const binary = o.autostart && LOOPBACK.has(first.hostname) ? findOnPath('nats-server', o.searchPath) : null;
    if (!binary) {
      o.log(unreachableMessage(o.url, e, o.autostart));
      return {
        nc: await retrying(
          tryConnect,
          (n, ms, err) => `NATS at ${o.url} still unreachable (${why(err)}); retry ${n} in ${ms} ms`,
          o.log,
        ),
      };
    }
    const child = startNatsServer(binary, first, o.dataDir);
    o.log(`no NATS at ${o.url}: started ${binary} (pid ${child.pid}) with JetStream under ${natsDir(o.dataDir)}`);
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        return { nc: await tryConnect(), child };
      } catch (err) {
        if (child.exitCode !== null || Date.now() > deadline) {
          child.kill();
          throw new Error(
            `started nats-server but could not connect to ${o.url}: ${String(err)} (log: ${natsDir(o.dataDir)}.log)`,
          );
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
}

const why = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Runs `attempt` until it resolves, waiting 0.5 s, 1 s, 2 s… (at most 5 s) between tries and logging each retry. */
export async function retrying<T>(
  attempt: () => Promise<T>,
  describe: (retry: number, waitMs: number, error: unknown) => string,
  log: (msg: string) => void,
  maxWaitMs = 5_000,
): Promise<T> {
  for (let retry = 1; ; retry++) {
    try {
      return await attempt();
    } catch (e) {
      const waitMs = Math.min(maxWaitMs, 250 * 2 ** retry);
      log(describe(retry, waitMs, e));
      await new Promise((r) => setTimeout(r, waitMs));
    }
  }
}

const natsDir = (dataDir: string) => join(resolve(dataDir), 'nats');

function startNatsServer(binary: string, url: URL, dataDir: string): ChildProcess {
  mkdirSync(natsDir(dataDir), { recursive: true });
  const log = openSync(`${natsDir(dataDir)}.log`, 'a');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const args = ['-a', host, '-p', url.port || '4222', '-js', '-sd', natsDir(dataDir)];
  const child = spawn(binary, args, { stdio: ['ignore', log, log] });
  child.unref();
  return child;
}

export function findOnPath(bin: string, searchPath: string): string | null {
  for (const dir of searchPath.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, bin);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

function unreachableMessage(url: string, e: unknown, autostart: boolean): string {
  return [
    `cannot reach NATS at ${url} (${why(e)}); waiting for it.`,
    'Wiz needs a NATS server with JetStream enabled. Either:',
    '  - install nats-server (Debian/Ubuntu: apt install nats-server; macOS: brew install nats-server)',
    `    and Wiz starts it for you${autostart ? '' : ' (set WIZ_NATS_AUTOSTART=true)'}, or`,
    '  - run `docker compose up -d nats` in the Wiz folder, or',
    '  - point NATS_URL at a running server (nats-server -js).',
  ].join('\n');
}
