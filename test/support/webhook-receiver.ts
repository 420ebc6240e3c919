import { createHmac, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createServer, IncomingMessage, Server } from 'node:http';

export interface ReceivedDelivery {
  deliveryId: string;
  eventType: string;
  signature: string;
  body: string;
  event: { id: string; type: string; jobId?: string };
  at: number;
}

/** Checks `Wiz-Signature` the way a receiver should: HMAC of "<t>.<body>", compared in constant time. */
export function verifySignature(secret: string, header: string, body: string): boolean {
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=') as [string, string]));
  if (!parts['t'] || !parts['v1']) return false;
  const want = createHmac('sha256', secret).update(`${parts['t']}.${body}`).digest();
  const got = Buffer.from(parts['v1'], 'hex');
  return got.length === want.length && timingSafeEqual(got, want);
}

// A webhook receiver on 127.0.0.1 for tests: records every request; `answer` decides the status.
export class WebhookReceiver {
  readonly received: ReceivedDelivery[] = [];
  private server?: Server;

  constructor(private readonly answer: (d: ReceivedDelivery, tries: number) => number = () => 200) {}

  async start(port = 0): Promise<string> {
    this.server = createServer((req, res) => {
      void read(req).then((body) => {
        const d: ReceivedDelivery = {
          deliveryId: String(req.headers['wiz-delivery-id']),
          eventType: String(req.headers['wiz-event-type']),
          signature: String(req.headers['wiz-signature']),
          body,
          event: JSON.parse(body) as ReceivedDelivery['event'],
          at: Date.now(),
        };
        this.received.push(d);
        const tries = this.received.filter((x) => x.deliveryId === d.deliveryId).length;
        const status = this.answer(d, tries);
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'try again later');
      });
    });
    this.server.listen(port, '127.0.0.1');
    await once(this.server, 'listening');
    return `http://127.0.0.1:${(this.server.address() as { port: number }).port}/hook`;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
    this.server = undefined;
  }

  /** Distinct deliveries that were answered 2xx at least once. */
  deliveryIds(): Set<string> {
    return new Set(this.received.map((d) => d.deliveryId));
  }
}

async function read(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
