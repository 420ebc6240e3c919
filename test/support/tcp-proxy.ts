import { once } from 'node:events';
import { createConnection, createServer, Server, Socket } from 'node:net';

// A TCP proxy in front of a server, so that a test can cut every connection through it at once
// (a forced disconnect the client does not see coming), or stall what goes through it, while the
// server keeps running.
export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private server?: Server;
  private held = false;
  private replyGate?: { left: number; ms: number };
  private readonly clients = new Set<Socket>();
  private readonly upstreamOf = new Map<Socket, Socket>();
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = createConnection(this.target);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      this.clients.add(client);
      this.upstreamOf.set(client, upstream);
      client.on('close', () => {
        this.clients.delete(client);
        this.upstreamOf.delete(client);
      });
      if (this.held) client.pause();
      else client.pipe(upstream);
      upstream.on('data', (chunk: Buffer) => this.reply(upstream, client, chunk));
      upstream.on('end', () => client.end());
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as { port: number }).port;
  }

  /**
   * Stops forwarding what clients send, connections staying open: the client's requests go
   * unanswered (a stalled network, not a disconnect it would notice).
   */
  hold(): void {
    this.held = true;
    for (const c of this.clients) {
      c.unpipe();
      c.pause();
    }
  }

  /** Forwards what clients send again, what was held first. */
  release(): void {
    this.held = false;
    for (const c of this.clients) {
      const upstream = this.upstreamOf.get(c);
      if (upstream) c.pipe(upstream);
      c.resume();
    }
  }

  /**
   * Lets `bytes` more bytes of the servers' answers through, then holds the rest for `ms`: a reply
   * cut off part-way (the first messages of a page read, the others late).
   */
  holdRepliesAfter(bytes: number, ms: number): void {
    this.replyGate = { left: bytes, ms };
  }

  // Forwards the server's bytes as `pipe` did (pausing while the client's socket is full), unless
  // a gate set by holdRepliesAfter cuts them.
  private reply(upstream: Socket, client: Socket, chunk: Buffer): void {
    const gate = this.replyGate;
    if (!gate || chunk.length <= gate.left) {
      if (gate) gate.left -= chunk.length;
      if (!client.write(chunk)) {
        upstream.pause();
        client.once('drain', () => upstream.resume());
      }
      return;
    }
    this.replyGate = undefined;
    client.write(chunk.subarray(0, gate.left));
    const rest = chunk.subarray(gate.left);
    upstream.pause();
    setTimeout(() => {
      if (!client.destroyed) client.write(rest);
      upstream.resume();
    }, gate.ms);
  }

  /** Destroys every open connection (new ones are still accepted). */
  cut(): number {
    const n = this.sockets.size;
    for (const s of this.sockets) s.destroy();
    return n;
  }

  async stop(): Promise<void> {
    this.cut();
    if (!this.server) return;
    this.server.close();
    await once(this.server, 'close');
  }
}
