import { WebSocket } from 'ws';
import type { ServerFrame } from '@wiz/contracts';

// A real `ws` client that queues the frames it receives so a test can await the next ones.
export class WsClient {
  private readonly frames: ServerFrame[] = [];
  private waiters: Array<() => void> = [];
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => {
      this.frames.push(JSON.parse(d.toString()) as ServerFrame);
      this.waiters.splice(0).forEach((w) => w());
    });
  }

  static async open(url: string, key?: string): Promise<WsClient> {
    const ws = new WebSocket(url, key ? { headers: { authorization: `Bearer ${key}` } } : {});
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new WsClient(ws);
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Takes frames in arrival order until `n` of them satisfy `pick`; other frames are skipped. */
  async take(n: number, pick: (f: ServerFrame) => boolean = () => true, timeoutMs = 20_000): Promise<ServerFrame[]> {
    const out: ServerFrame[] = [];
    const deadline = Date.now() + timeoutMs;
    while (out.length < n) {
      const f = this.frames.shift();
      if (f) {
        if (pick(f)) out.push(f);
        continue;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${n} frame(s); got ${JSON.stringify(out)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => (clearTimeout(t), resolve()));
      });
    }
    return out;
  }

  /** Frames received and not yet taken. */
  pending(): ServerFrame[] {
    return [...this.frames];
  }

  /** Resolves with the close code and reason when the server closes the connection. */
  closed(): Promise<{ code: number; reason: string }> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve({ code: -1, reason: 'already closed' });
    return new Promise((r) => this.ws.once('close', (code, reason) => r({ code, reason: reason.toString() })));
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    const closed = new Promise((r) => this.ws.once('close', r));
    this.ws.close();
    await closed;
  }
}
