import { ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { JetStreamClient } from 'nats';
import { WebSocket } from 'ws';
import { busNames } from '@wiz/contracts';
import { BenchOptions, SuiteResult } from './suite';
import {
  BENCH_NATS_URL,
  BENCH_PG_URL,
  BENCH_SECRET_KEY,
  Cleanup,
  connectBench,
  deferred,
  deleteStreams,
  dropSchema,
  isolation,
  percentile,
  pool,
  round,
  within,
} from './support';
import { startWizChild, stopChild } from './wiz-child';

const now = () => performance.timeOrigin + performance.now();

export interface GatewayBenchOptions extends BenchOptions {
  /** Subscribed WebSocket clients. */
  clients: number;
  /** Events of the throughput phase. */
  events: number;
}

// One gateway process (child) relays events published on JetStream to `clients` WS clients
// (this process) all subscribed to one agent. The reference is a plain `ws` server (child)
// broadcasting the same frames to as many clients. Figures:
// - fanoutEventsPerSec: events per second delivered to every client (N / first publish → last
//   receipt by the last client); deliveries per second = that × clients;
// - eventLatencyP99Ms: publish on JetStream → receipt, over every (event, client), at a paced
//   20 events/s (20,000 deliveries/s), which the gateway follows (latency, not queueing);
// - rawWsBroadcastPerSec and ratioToRawWs.
export async function gatewayBench(o: GatewayBenchOptions): Promise<SuiteResult> {
  const iso = isolation('gw');
  const cleanup = new Cleanup();
  try {
    const nc = await connectBench('wiz-bench-gateway');
    cleanup.add('close connection', () => nc.close());
    cleanup.add(`delete streams ${iso.prefix}_*`, () => deleteStreams(iso.prefix));
    cleanup.add(`drop schema ${iso.schema}`, () => dropSchema(iso.schema));
    const gw = await startGateway(iso);
    cleanup.add('stop gateway', () => stop(gw.child));
    const agentId = await createAgent(gw.url);
    const subject = busNames(iso.prefix).eventSubject({ agentId, type: 'agent.updated' });
    const js = nc.jetstream();

    const clients = await openClients(`${gw.url.replace('http', 'ws')}/ws`, o.clients, {
      type: 'subscribe',
      topic: `agent:${agentId}`,
    });
    cleanup.add('close gateway clients', async () => clients.forEach((c) => c.ws.terminate()));
    await within(publishAndReceive(js, subject, clients, 20, 64), o.timeoutMs); // warm-up
    const t0 = now();
    const sample = await within(publishAndReceive(js, subject, clients, o.events, 64), o.timeoutMs);
    const fanoutSec = (now() - t0) / 1000;
    const latencies = await within(pacedLatency(js, subject, clients, 60, 20), o.timeoutMs);
    // Token deltas: published on core NATS as the runtime does (LiveEvents), relayed live.
    const tokenSubject = busNames(iso.prefix).liveSubject({ agentId, jobId: randomUUID(), type: 'agent.token' });
    const sendToken = (i: number) => nc.publish(tokenSubject, tokenOf(tokenSubject, i));
    const tokenFanout = await within(pacedLatency(js, subject, clients, 60, 20, sendToken), o.timeoutMs);
    clients.forEach((c) => c.ws.terminate());
    // The figure: one client following the agent (someone watching a job), as docs/benchmarks.md defines it.
    const [watcher] = await openClients(`${gw.url.replace('http', 'ws')}/ws`, 1, {
      type: 'subscribe',
      topic: `agent:${agentId}`,
    });
    const tokenLatencies = await within(pacedLatency(js, subject, [watcher!], 200, 50, sendToken), o.timeoutMs);
    watcher!.ws.terminate();

    const raw = await startRawServer();
    cleanup.add('stop raw ws server', () => stop(raw.child));
    const rawClients = await openClients(`ws://127.0.0.1:${raw.port}`, o.clients, null);
    cleanup.add('close raw clients', async () => rawClients.forEach((c) => c.ws.terminate()));
    const frames = Array.from({ length: o.events }, (_, i) => sample.replace(/"seq":\d+/, `"seq":${i + 1}`));
    await within(broadcast(raw.child, rawClients, frames.slice(0, 20)), o.timeoutMs); // warm-up
    const r0 = now();
    await within(broadcast(raw.child, rawClients, frames), o.timeoutMs);
    const rawSec = (now() - r0) / 1000;

    const fanout = o.events / fanoutSec;
    const rawPerSec = o.events / rawSec;
    latencies.sort((a, b) => a - b);
    tokenLatencies.sort((a, b) => a - b);
    tokenFanout.sort((a, b) => a - b);
    return {
      figures: {
        'gateway.fanoutEventsPerSec': round(fanout),
        'gateway.eventLatencyP99Ms': round(percentile(latencies, 99), 2),
        'gateway.rawWsBroadcastPerSec': round(rawPerSec),
        'gateway.ratioToRawWs': round(fanout / rawPerSec, 3),
        'gateway.tokenRelayP99Ms': round(percentile(tokenLatencies, 99), 2),
      },
      context: {
        'gateway: WS clients': o.clients,
        [`gateway: token relay p99 ms to all ${o.clients} clients`]: round(percentile(tokenFanout, 99), 2),
        'gateway: events (measured)': o.events,
        'gateway: frame bytes': Buffer.byteLength(sample),
        'gateway: deliveries/s': Math.round(fanout * o.clients),
        'gateway: latency p50 ms': round(percentile(latencies, 50), 2),
      },
    };
  } finally {
    const errors = await cleanup.run();
    if (errors.length) console.error(`bench: cleanup problems: ${errors.join('; ')}`);
  }
}

interface Client {
  ws: WebSocket;
  count: number;
  onFrame?: (text: string) => void;
}

async function openClients(url: string, n: number, subscribe: object | null): Promise<Client[]> {
  const clients: Client[] = [];
  await pool(n, 50, async () => {
    const ws = new WebSocket(url);
    const c: Client = { ws, count: 0 };
    await once(ws, 'open');
    const subscribed = deferred();
    ws.on('message', (d) => {
      const text = d.toString();
      if (text.startsWith('{"type":"event"') || text.startsWith('{"type":"live"')) {
        c.count++;
        c.onFrame?.(text);
      } else if (text.startsWith('{"type":"subscribed"')) subscribed.resolve();
    });
    if (subscribe) {
      ws.send(JSON.stringify(subscribe));
      await subscribed.promise;
    }
    clients.push(c);
  });
  return clients;
}

/** Publishes `n` events; resolves, with one frame as received, when every client has them all. */
async function publishAndReceive(
  js: JetStreamClient,
  subject: string,
  clients: Client[],
  n: number,
  inflight: number,
): Promise<string> {
  const target = clients.map((c) => c.count + n);
  const all = deferred<string>();
  let sample = '';
  let left = clients.length;
  clients.forEach((c, i) => {
    c.onFrame = (text) => {
      sample ||= text;
      if (c.count === target[i]) {
        c.onFrame = undefined;
        if (--left === 0) all.resolve(sample);
      }
    };
  });
  await pool(n, inflight, async (i) => void (await js.publish(subject, eventOf(subject, i))));
  return all.promise;
}

async function pacedLatency(
  js: JetStreamClient,
  subject: string,
  clients: Client[],
  n: number,
  perSec: number,
  send: (i: number) => unknown = (i) => js.publish(subject, eventOf(subject, i)),
): Promise<number[]> {
  const latencies: number[] = [];
  const done = deferred();
  let left = clients.length;
  for (const c of clients) {
    const target = c.count + n;
    c.onFrame = (text) => {
      latencies.push(now() - Number(/"t":([\d.]+)/.exec(text)![1]));
      if (c.count === target && --left === 0) done.resolve();
    };
  }
  for (let i = 0; i < n; i++) {
    await send(i);
    await new Promise((r) => setTimeout(r, 1000 / perSec));
  }
  await done.promise;
  return latencies;
}

function eventOf(subject: string, i: number): string {
  const agentId = subject.split('.')[3];
  return JSON.stringify({
    id: randomUUID(),
    type: 'agent.updated',
    occurredAt: new Date().toISOString(),
    traceId: randomUUID(),
    agentId,
    data: { i, t: now(), note: 'x'.repeat(120) },
  });
}

function tokenOf(subject: string, i: number): string {
  const [agentId, jobId] = subject.split('.').slice(3, 5);
  return JSON.stringify({
    id: randomUUID(),
    type: 'agent.token',
    occurredAt: new Date().toISOString(),
    traceId: randomUUID(),
    agentId,
    jobId,
    data: { iteration: 1, step: 1, index: i, delta: 'word ', t: now() },
  });
}

async function broadcast(child: ChildProcess, clients: Client[], frames: string[]): Promise<void> {
  const all = deferred();
  let left = clients.length;
  for (const c of clients) {
    const target = c.count + frames.length;
    c.onFrame = () => {
      if (c.count === target && --left === 0) all.resolve();
    };
  }
  child.send({ frames, batch: 512 });
  await all.promise;
}

async function startGateway(iso: { prefix: string; schema: string }): Promise<{ child: ChildProcess; url: string }> {
  return startWizChild('gateway', {
    NATS_URL: BENCH_NATS_URL,
    WIZ_NATS_AUTOSTART: 'false',
    WIZ_BUS_PREFIX: iso.prefix,
    DATABASE_URL: BENCH_PG_URL,
    WIZ_SECRET_KEY: BENCH_SECRET_KEY,
    WIZ_DB_SCHEMA: iso.schema,
    WIZ_RATE_LIMIT_PER_MIN: '0',
  });
}

async function createAgent(url: string): Promise<string> {
  const res = await fetch(`${url}/api/v1/agents`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench', role: 'r' }),
  });
  if (res.status !== 201) throw new Error(`could not create the agent: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

async function startRawServer(): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(join(__dirname, 'raw-ws.server.js'), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const [m] = (await once(child, 'message')) as [{ port: number }];
  return { child, port: m.port };
}

function stop(child: ChildProcess): Promise<void> {
  return stopChild(child, 5_000);
}
