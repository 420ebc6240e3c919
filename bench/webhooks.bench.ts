import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, IncomingMessage, Server } from 'node:http';
import { Agent } from '@wiz/contracts';
import { makeEvent, StateChangesService } from '@wiz/queue';
import { verifySignature } from '../test/support/webhook-receiver';
import { listenBenchServer, startBenchServer } from './server';
import { BenchOptions, SuiteResult } from './suite';
import {
  api,
  Cleanup,
  deferred,
  Deferred,
  deleteStreams,
  dropSchema,
  isolation,
  percentile,
  pool,
  round,
  startFakeLlm,
  within,
} from './support';

export interface WebhooksBenchOptions extends BenchOptions {
  /** Events of the throughput phase. */
  events: number;
}

const SECRET = 'whsec-bench-0123456789abcdef';
const PACED = { events: 100, perSec: 20 };

// Outgoing webhooks, in one process as `npm start` runs it on Postgres (auth off on loopback, so
// a loopback receiver is allowed). A webhook for `agent.updated` (POST /api/v1/webhooks) points
// at a receiver in the bench process (loopback) that answers 200 at once and checks every
// `Wiz-Signature`. Events are committed through the server's StateChangesService as its own
// changes are (an `agent.updated` event of a real agent, `occurredAt` = now: its delivery is
// recorded in the same transaction), so their number and rate are the bench's, not the queue's:
// - deliveriesPerSec: `--webhook-events` committed 64 in flight; N / (first commit → last receipt);
// - deliveryDelayMsP50/P99: the envelope's `occurredAt` → receipt, 100 events paced at 20/s.
// Every delivery must arrive once, signed; a loss or a bad signature fails the suite.
export async function webhooksBench(o: WebhooksBenchOptions): Promise<SuiteResult> {
  const iso = isolation('hooks');
  const cleanup = new Cleanup();
  try {
    const rx = new Receiver();
    const url = await rx.start();
    cleanup.add('stop the webhook receiver', () => rx.stop());
    const llm = await startFakeLlm();
    cleanup.add('stop fake-llm', llm.stop);
    cleanup.add(`drop schema ${iso.schema}`, () => dropSchema(iso.schema));
    cleanup.add(`delete streams ${iso.prefix}_*`, () => deleteStreams(iso.prefix));
    const { app } = await startBenchServer(cleanup, iso, llm.baseUrl);
    const base = await listenBenchServer(app);
    const agent = await api<Agent>(base, 'POST', '/api/v1/agents', {
      name: 'Hook',
      role: 'a benchmark agent',
    });
    await api(base, 'POST', '/api/v1/webhooks', { url, events: ['agent.updated'], secret: SECRET });

    const changes = app.get(StateChangesService);
    const publish = () =>
      changes.commit(async (_m, emit) =>
        emit.event(
          makeEvent('agent.updated', { agentId: agent.id, traceId: randomUUID().replace(/-/g, '') }, { agent }),
        ),
      );
    const phase = async (n: number, send: () => Promise<void>) => {
      const done = rx.expect(n);
      await within(Promise.all([send(), done]), o.timeoutMs);
      return rx.take();
    };

    await phase(Math.min(o.warmup, 50), () => pool(Math.min(o.warmup, 50), 64, async () => void (await publish())));
    const t0 = Date.now();
    const burst = await phase(o.events, () => pool(o.events, 64, async () => void (await publish())));
    const perSec = (o.events / (Math.max(...burst.map((d) => d.at)) - t0)) * 1000;
    const paced = await phase(PACED.events, async () => {
      for (let i = 0; i < PACED.events; i++) {
        await publish();
        await new Promise((r) => setTimeout(r, 1000 / PACED.perSec));
      }
    });
    const delays = paced.map((d) => d.delayMs).sort((a, b) => a - b);
    const burstDelays = burst.map((d) => d.delayMs).sort((a, b) => a - b);
    return {
      figures: {
        'webhooks.deliveriesPerSec': round(perSec),
        'webhooks.deliveryDelayMsP50': round(percentile(delays, 50), 1),
        'webhooks.deliveryDelayMsP99': round(percentile(delays, 99), 1),
      },
      context: {
        'webhooks: deliveries (burst / paced), each once and signed': `${burst.length} / ${paced.length}`,
        'webhooks: duplicate deliveries': rx.duplicates,
        'webhooks: delay p50 / p99 ms in the burst': `${round(percentile(burstDelays, 50))} / ${round(percentile(burstDelays, 99))}`,
      },
    };
  } finally {
    const errors = await cleanup.run();
    if (errors.length) console.error(`bench: cleanup incomplete:\n  ${errors.join('\n  ')}`);
  }
}

interface Delivery {
  at: number;
  delayMs: number;
}

// A webhook receiver on loopback: answers 200, checks the signature, and counts each event once.
class Receiver {
  private server?: Server;
  private got: Delivery[] = [];
  private readonly seen = new Set<string>();
  duplicates = 0;
  private waiting?: { n: number; done: Deferred<void> };

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.receive(req).then(() => res.writeHead(200).end('ok')));
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `http://127.0.0.1:${(this.server.address() as { port: number }).port}/hook`;
  }

  /** Resolves when `n` more distinct events have arrived; fails on a bad signature. */
  expect(n: number): Promise<void> {
    this.waiting = { n, done: deferred() };
    if (n === 0) this.waiting.done.resolve();
    return this.waiting.done.promise;
  }

  take(): Delivery[] {
    const got = this.got;
    this.got = [];
    return got;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }

  private async receive(req: IncomingMessage): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const at = Date.now();
    const body = Buffer.concat(chunks).toString('utf8');
    const event = JSON.parse(body) as { id: string; occurredAt: string };
    const w = this.waiting;
    if (!verifySignature(SECRET, String(req.headers['wiz-signature']), body))
      return w?.done.reject(new Error(`delivery of event ${event.id}: missing or bad Wiz-Signature`));
    // At least once: a second delivery of an event is allowed, counted, and not a receipt.
    if (this.seen.has(event.id)) return void this.duplicates++;
    this.seen.add(event.id);
    this.got.push({ at, delayMs: at - Date.parse(event.occurredAt) });
    if (w && this.got.length === w.n) w.done.resolve();
  }
}
