import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import { LOCAL_NATS_BIN, LOCAL_NATS_PORT, portAccepts } from './local-nats';
import { freePort } from './wiz-process';

interface Node {
  name: string;
  port: number;
  clusterPort: number;
  dir: string;
  child?: ChildProcess;
}

// A 3-node NATS cluster with JetStream, started by the test on loopback ports (never the
// machine's own NATS on 4222): each node stores under its own temp dir, removed by `dispose`.
export class NatsCluster {
  private constructor(private readonly nodes: Node[]) {}

  static async start(size = 3): Promise<NatsCluster> {
    const nodes: Node[] = [];
    for (let i = 0; i < size; i++) {
      const port = await freePort();
      const clusterPort = await freePort();
      if (port === LOCAL_NATS_PORT || clusterPort === LOCAL_NATS_PORT) throw new Error('refusing port 4222');
      nodes.push({ name: `n${i}`, port, clusterPort, dir: mkdtempSync(join(tmpdir(), `wiz-nats-n${i}-`)) });
    }
    const sut = new NatsCluster(nodes);
    for (let i = 0; i < size; i++) sut.startNode(i);
    await sut.waitJetStream();
    return sut;
  }

  /** Client URL listing every node. */
  get url(): string {
    return this.nodes.map((n) => `nats://127.0.0.1:${n.port}`).join(',');
  }

  indexOf(serverName: string): number {
    return this.nodes.findIndex((n) => n.name === serverName);
  }

  /** Starts node `i` (again) on its ports and data dir; a no-op while it runs. */
  startNode(i: number): void {
    const n = this.nodes[i]!;
    if (n.child && n.child.exitCode === null && n.child.signalCode === null) return;
    const routes = this.nodes
      .filter((o) => o !== n)
      .map((o) => `nats://127.0.0.1:${o.clusterPort}`)
      .join(',');
    n.child = spawn(
      LOCAL_NATS_BIN,
      [
        ...['-a', '127.0.0.1', '-p', String(n.port), '-n', n.name, '-js', '-sd', n.dir],
        ...['--cluster_name', 'wiztest', '--cluster', `nats://127.0.0.1:${n.clusterPort}`, '--routes', routes],
      ],
      { stdio: 'ignore' },
    );
  }

  /** SIGKILLs (or stops) one node and waits until it is gone. */
  async stopNode(i: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.nodes[i]!.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    await exited;
  }

  /** Waits until every node accepts clients and JetStream answers (a meta leader is elected). */
  async waitJetStream(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const up = await Promise.all(this.nodes.map((n) => portAccepts(n.port)));
      if (up.every(Boolean)) {
        const nc = await connect({ servers: this.url }).catch(() => null);
        const ok = await nc
          ?.jetstreamManager()
          .then((m) => m.getAccountInfo())
          .then(
            () => true,
            () => false,
          );
        await nc?.close();
        if (ok) return;
      }
      if (Date.now() > deadline) throw new Error(`NATS cluster not ready within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** The server name of a stream's leader. */
  async leaderOf(stream: string): Promise<string> {
    const nc = await connect({ servers: this.url });
    try {
      const info = await (await nc.jetstreamManager()).streams.info(stream);
      return info.cluster?.leader ?? '';
    } finally {
      await nc.close();
    }
  }

  /** Asks a stream's leader to step down: its followers elect another (as `nats stream cluster step-down`). */
  async stepDown(stream: string): Promise<void> {
    const nc = await connect({ servers: this.url });
    try {
      await nc.request(`$JS.API.STREAM.LEADER.STEPDOWN.${stream}`, undefined, { timeout: 5_000 });
    } finally {
      await nc.close();
    }
  }

  async dispose(): Promise<void> {
    await Promise.all(this.nodes.map((_, i) => this.stopNode(i)));
    for (const n of this.nodes) rmSync(n.dir, { recursive: true, force: true });
  }
}
