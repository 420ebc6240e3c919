import { connect } from 'nats';
import { freeNatsPort, jetStreamAnswers, portAccepts, PrivateNats } from './private-nats';

// A 3-node NATS cluster with JetStream, started by the test on loopback ports (never the
// machine's own NATS on 4222): each node is a PrivateNats storing under its own temp dir,
// removed by `dispose`.
export class NatsCluster {
  private constructor(private readonly nodes: PrivateNats[]) {}

  static async start(size = 3): Promise<NatsCluster> {
    const ports: Array<{ port: number; clusterPort: number }> = [];
    for (let i = 0; i < size; i++) ports.push({ port: await freeNatsPort(), clusterPort: await freeNatsPort() });
    const nodes = await Promise.all(
      ports.map(({ port, clusterPort }, i) => {
        const routes = ports
          .filter((_, j) => j !== i)
          .map((o) => `nats://127.0.0.1:${o.clusterPort}`)
          .join(',');
        const clusterArgs = ['--cluster_name', 'wiztest', '--cluster', `nats://127.0.0.1:${clusterPort}`];
        return PrivateNats.create(`n${i}`, [...clusterArgs, '--routes', routes], port);
      }),
    );
    const sut = new NatsCluster(nodes);
    for (let i = 0; i < size; i++) sut.startNode(i);
    await sut.waitJetStream();
    return sut;
  }

  /** Client URL listing every node. */
  get url(): string {
    return this.nodes.map((n) => n.url).join(',');
  }

  indexOf(serverName: string): number {
    return this.nodes.findIndex((n) => n.name === serverName);
  }

  /** Starts node `i` (again) on its ports and data dir; a no-op while it runs. */
  startNode(i: number): void {
    this.nodes[i]!.start();
  }

  /** SIGKILLs (or stops) one node and waits until it is gone. */
  async stopNode(i: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await this.nodes[i]!.stop(signal);
  }

  /** Waits until every node accepts clients and JetStream answers (a meta leader is elected). */
  async waitJetStream(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const up = await Promise.all(this.nodes.map((n) => portAccepts(n.port)));
      if (up.every(Boolean) && (await jetStreamAnswers(this.url))) return;
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
    await Promise.all(this.nodes.map((n) => n.dispose()));
  }
}
