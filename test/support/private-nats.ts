import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import { trackChild } from './child-registry';
import { freePort } from './wiz-process';

export const NATS_BIN = '/usr/sbin/nats-server';
// The machine's shared NATS (.ci/run starts it): no test starts, stops or binds it.
export const MACHINE_NATS_PORT = 4222;

export function portAccepts(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ port, host });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** A free loopback port, never the machine's NATS port. */
export async function freeNatsPort(): Promise<number> {
  const port = await freePort();
  if (port === MACHINE_NATS_PORT) throw new Error(`refusing port ${MACHINE_NATS_PORT}`);
  return port;
}

/** True when a client reaches `servers` and JetStream answers (for a cluster: a meta leader is elected). */
export async function jetStreamAnswers(servers: string): Promise<boolean> {
  const nc = await connect({ servers: servers.split(','), reconnect: false }).catch(() => null);
  if (!nc) return false;
  try {
    await (await nc.jetstreamManager()).getAccountInfo();
    return true;
  } catch {
    return false;
  } finally {
    await nc.close();
  }
}

// One nats-server with JetStream that the test owns: on a free loopback port, storing under its
// own temp dir, which survives stop/start (so a restart finds its streams) and `dispose` removes.
export class PrivateNats {
  readonly dir: string;
  private child?: ChildProcess;

  private constructor(
    readonly name: string,
    readonly port: number,
    private readonly extraArgs: string[],
  ) {
    this.dir = mkdtempSync(join(tmpdir(), `wiz-nats-${name}-`));
  }

  /** A server not started yet; `extraArgs` follow the common ones (e.g. cluster flags). */
  static async create(name: string, extraArgs: string[] = [], port?: number): Promise<PrivateNats> {
    return new PrivateNats(name, port ?? (await freeNatsPort()), extraArgs);
  }

  /** Creates, starts, and waits until JetStream answers. */
  static async start(name = 'private'): Promise<PrivateNats> {
    const sut = await PrivateNats.create(name);
    sut.start();
    await sut.waitReady();
    return sut;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the server (again) on its port and data dir; a no-op while it runs. */
  start(): void {
    if (this.running) return;
    this.child = spawn(
      NATS_BIN,
      ['-a', '127.0.0.1', '-p', String(this.port), '-n', this.name, '-js', '-sd', this.dir, ...this.extraArgs],
      { stdio: 'ignore' },
    );
    trackChild(this.child);
  }

  /** Waits until the port accepts clients and JetStream answers. */
  async waitReady(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!((await portAccepts(this.port)) && (await jetStreamAnswers(this.url)))) {
      if (!this.running) throw new Error(`nats-server ${this.name} exited (${this.child?.exitCode ?? 'not started'})`);
      if (Date.now() > deadline) throw new Error(`nats-server ${this.name} not ready within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * Sends `signal` and waits until the process is gone; SIGKILLs it if it is still there after
   * `killAfterMs`. Returns the stopped pid (undefined when it was not running).
   */
  async stop(signal: NodeJS.Signals = 'SIGTERM', killAfterMs = 10_000): Promise<number | undefined> {
    const child = this.child;
    if (!child || !this.running) return undefined;
    const exited = once(child, 'exit');
    child.kill(signal);
    const timer = signal === 'SIGKILL' ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    try {
      await exited;
    } finally {
      clearTimeout(timer);
    }
    return child.pid;
  }

  async dispose(): Promise<void> {
    await this.stop('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
