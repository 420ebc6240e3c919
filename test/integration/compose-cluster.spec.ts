import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import { parse } from 'yaml';
import { MACHINE_NATS_PORT, NATS_BIN } from '../support/private-nats';
import { until } from '../support/until';
import { freePort } from '../support/wiz-process';

// The NATS servers of docker-compose.yml's `cluster` profile, run for real. No container engine
// runs here, so each service's command line runs on loopback with only its addresses moved: in
// Compose every container has its own 4222, 6222 and 8222 and its own /data volume; here each
// node gets free ports and a temp dir, and the route to `nats-2:6222` goes to node 2's port.
// Everything else (JetStream, server and cluster names, the routes between the three) is the
// file's own. Proves nats-server 2.9 takes those flags, that the three form one JetStream cluster
// (the compose healthcheck, /healthz, answers 200 on each), and that an R3 stream, what
// WIZ_JETSTREAM_REPLICAS=3 provisions, gets a leader and two current replicas.

type Obj = Record<string, unknown>;
const NODES = ['nats-1', 'nats-2', 'nats-3'];

interface Node {
  name: string;
  port: number;
  clusterPort: number;
  monitorPort: number;
  dir: string;
  child?: ChildProcess;
  log: string[];
}

const compose = parse(readFileSync(join(__dirname, '..', '..', 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Obj>;
};
const commandOf = (name: string): string[] => compose.services[name]!.command as string[];

/** The service's argv with its container addresses swapped for this node's loopback ports. */
function onLoopback(name: string, nodes: Node[]): string[] {
  const self = nodes.find((n) => n.name === name)!;
  const cmd = [...commandOf(name)];
  const value = (flag: string, to: (v: string) => string): void => {
    const i = cmd.indexOf(flag);
    if (i < 0) throw new Error(`${name}: no ${flag} in ${JSON.stringify(cmd)}`);
    cmd[i + 1] = to(cmd[i + 1]!);
  };
  value('-sd', () => self.dir);
  value('-m', () => String(self.monitorPort));
  value('--cluster', () => `nats://127.0.0.1:${self.clusterPort}`);
  value('--routes', (routes) =>
    routes
      .split(',')
      .map((r) => {
        const target = nodes.find((n) => n.name === new URL(r.trim()).hostname);
        if (!target) throw new Error(`${name}: route ${r} names no cluster node`);
        return `nats://127.0.0.1:${target.clusterPort}`;
      })
      .join(','),
  );
  return ['-a', '127.0.0.1', '-p', String(self.port), ...cmd];
}

describe('docker-compose.yml cluster profile, NATS run for real', () => {
  const nodes: Node[] = [];
  const healthz = (n: Node): Promise<number> =>
    fetch(`http://127.0.0.1:${n.monitorPort}/healthz`).then(
      (r) => r.status,
      () => 0,
    );

  beforeAll(async () => {
    for (const name of NODES) {
      const ports = [await freePort(), await freePort(), await freePort()];
      if (ports.includes(MACHINE_NATS_PORT)) throw new Error('refusing the machine NATS port');
      const [port, clusterPort, monitorPort] = ports as [number, number, number];
      nodes.push({
        name,
        port,
        clusterPort,
        monitorPort,
        dir: mkdtempSync(join(tmpdir(), `wiz-compose-${name}-`)),
        log: [],
      });
    }
    for (const n of nodes) {
      n.child = spawn(NATS_BIN, onLoopback(n.name, nodes), { stdio: ['ignore', 'pipe', 'pipe'] });
      const keep = (b: Buffer) => void n.log.splice(0, n.log.length - 40, ...b.toString().split('\n').filter(Boolean));
      n.child.stdout!.on('data', keep);
      n.child.stderr!.on('data', keep);
    }
  });

  afterAll(async () => {
    for (const n of nodes) {
      if (n.child && n.child.exitCode === null && n.child.signalCode === null) {
        const exited = once(n.child, 'exit');
        n.child.kill('SIGKILL');
        await exited;
      }
      rmSync(n.dir, { recursive: true, force: true });
    }
  });

  it('forms one JetStream cluster whose nodes pass the compose healthcheck', async () => {
    await until(
      async () => (await Promise.all(nodes.map(healthz))).every((s) => s === 200),
      30_000,
      '/healthz 200 on every node',
      async () =>
        JSON.stringify(await Promise.all(nodes.map(healthz))) +
        nodes
          .filter((n) => n.child?.exitCode !== null || n.child?.signalCode !== null)
          .map(
            (n) => `\n${n.name} exited (${n.child?.exitCode ?? n.child?.signalCode}):\n${n.log.slice(-10).join('\n')}`,
          )
          .join(''),
    );
    // A node is healthy once it has a quorum (2 of 3): it may see the third peer a moment later.
    const metas = () =>
      Promise.all(
        nodes.map(async (n) => {
          const info = (await (await fetch(`http://127.0.0.1:${n.monitorPort}/jsz`)).json()) as {
            meta_cluster?: { name?: string; cluster_size?: number };
          };
          return info.meta_cluster;
        }),
      );
    await until(
      async () => (await metas()).every((m) => m?.cluster_size === 3),
      30_000,
      'every node sees the three',
      async () => JSON.stringify(await metas()),
    );
    for (const meta of await metas()) expect(meta).toMatchObject({ name: 'wiz', cluster_size: 3 });
  });

  it('keeps an R3 stream on all three nodes', async () => {
    const nc = await connect({ servers: nodes.map((n) => `nats://127.0.0.1:${n.port}`) });
    try {
      const jsm = await nc.jetstreamManager();
      const name = `compose_r3_${process.pid}`;
      await jsm.streams.add({ name, subjects: [`${name}.>`], num_replicas: 3 });
      const js = nc.jetstream();
      await js.publish(`${name}.x`, new TextEncoder().encode('hello'));
      await until(
        async () => {
          const c = (await jsm.streams.info(name)).cluster;
          return !!c?.leader && c.replicas?.length === 2 && c.replicas.every((r) => r.current);
        },
        20_000,
        'a leader and two current replicas',
      );
      const c = (await jsm.streams.info(name)).cluster!;
      expect([c.leader, ...c.replicas!.map((r) => r.name)].sort()).toEqual(NODES);
      expect((await jsm.streams.info(name)).state.messages).toBe(1);
    } finally {
      await nc.close();
    }
  });
});
