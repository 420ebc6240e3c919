import { randomUUID } from 'node:crypto';
import type { Response } from 'express';
import { ServerFrame } from '@wiz/contracts';
import type { EventClient } from './events.hub';

// An EventClient over Server-Sent Events. The response starts when the hub accepts the
// subscription (so a refused one is still an ordinary JSON 404). Each event is
// `id: <seq>` (what the browser sends back as Last-Event-ID), `event: <type>`, `data: <envelope>`.
export class SseClient implements EventClient {
  readonly id = randomUUID();
  private started = false;
  private heartbeat?: NodeJS.Timeout;

  constructor(
    readonly ownerId: string,
    readonly keyId: string | undefined,
    private readonly res: Response,
    private readonly maxBufferedBytes: number,
    /** A replay waits this long at most for the reader to take what it was sent; then it is cut off. */
    private readonly drainTimeoutMs: number,
    private readonly heartbeatMs: number,
    private readonly onEnd: (c: SseClient) => void,
  ) {
    res.on('close', () => this.end());
  }

  send(frame: ServerFrame): void {
    if (this.res.writableEnded) return;
    switch (frame.type) {
      case 'subscribed':
        return this.start();
      case 'event':
        return this.write(`id: ${frame.seq}\nevent: ${frame.event.type}\ndata: ${JSON.stringify(frame.event)}\n\n`);
      case 'error':
        return this.write(`event: error\ndata: ${JSON.stringify({ code: frame.code, message: frame.message })}\n\n`);
      default:
        return;
    }
  }

  // A replay writes while the response has less than a quarter of the allowed backlog unsent,
  // and waits for it to drain otherwise.
  async writable(): Promise<boolean> {
    if (this.res.writableEnded || this.res.destroyed) return false;
    if (this.res.writableLength <= this.maxBufferedBytes / 4) return true;
    const drained = await new Promise<boolean>((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.res.off('drain', onDrain);
        this.res.off('close', onClose);
        resolve(ok);
      };
      const onDrain = () => done(true);
      const onClose = () => done(false);
      const timer = setTimeout(() => done(false), this.drainTimeoutMs);
      this.res.on('drain', onDrain);
      this.res.on('close', onClose);
    });
    if (!drained) this.end();
    return drained && !this.res.writableEnded;
  }

  end(): void {
    clearInterval(this.heartbeat);
    if (!this.res.writableEnded) this.res.end();
    this.onEnd(this);
  }

  /** Ends the stream at shutdown; resolves once the response is closed, cut after `graceMs` if the reader does not take the rest. */
  shutdown(graceMs: number): Promise<void> {
    this.end();
    if (this.res.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const cut = setTimeout(() => this.res.destroy(), graceMs);
      this.res.once('close', () => (clearTimeout(cut), resolve()));
    });
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    this.res.status(200).set({
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    this.res.flushHeaders();
    this.res.write(': subscribed\n\n');
    this.heartbeat = setInterval(() => this.write(': ping\n\n'), this.heartbeatMs);
  }

  private write(chunk: string): void {
    // A reader that cannot keep up is cut off; it resumes with Last-Event-ID.
    if (this.res.writableLength > this.maxBufferedBytes) return this.end();
    this.res.write(chunk);
  }
}
