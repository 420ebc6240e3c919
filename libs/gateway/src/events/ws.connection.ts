import { wsDroppedSlowClients } from '@wiz/telemetry';
import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Writable } from 'node:stream';
import { WebSocket } from 'ws';
import { ClientFrame, ClientFrameSchema, httpStatusOf, ServerFrame, WS_CLOSE_CODES, WizError } from '@wiz/contracts';
import type { AuthContext } from '@wiz/platform';
import { isStoreUnavailable } from '@wiz/persistence';
import type { ApiKeysService } from '../auth/api-keys.service';
import type { EventClient, EventsHub } from './events.hub';
import { FrameBudget } from '../limits/frame-budget';

export interface WsConnectionOptions {
  /** The client's address: its failed `auth` frames are counted. */
  client: string;
  maxBufferedBytes: number;
  /** A replay waits this long at most for the client to read what it was sent; then it is cut off. */
  drainTimeoutMs: number;
  framesPerSec: number;
  frameBurst: number;
}

const AUTH_TIMEOUT_MS = 10_000;
const DRAIN_POLL_MS = 5;
/** Frames kept corked in one turn at most (see `batchTurn`). */
const CORKED_BYTES = 64 * 1024;

// One client connection: parses each frame against the contract and calls the hub. Frames are
// handled one after the other, so answers come in the order the frames were sent. A bad frame
// gets an `error` frame and the connection stays usable. Frames over the connection's budget
// (FrameBudget) are dropped unread, with an `error` frame; a client that keeps on is closed.
export class WsConnection implements EventClient {
  readonly id = randomUUID();
  readonly tokens = true;
  ownerId = '';
  keyId?: string;
  /** Answered the last ping (see WsGateway's keep-alive). */
  alive = true;
  private chain = Promise.resolve();
  private authTimer?: NodeJS.Timeout;
  /** Ends the hold on the key this connection authenticated with (see ApiKeysService.holdSession). */
  private release?: () => void;
  /** Frames sent in this turn of the event loop go out in one socket write (see `batchTurn`). */
  private corked = false;
  private readonly corkLimit: number;
  private readonly budget: FrameBudget;
  private closing = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly hub: EventsHub,
    private readonly keys: ApiKeysService,
    private readonly log: Logger,
    auth: AuthContext | null,
    private readonly o: WsConnectionOptions,
  ) {
    this.budget = new FrameBudget(o.framesPerSec, o.frameBurst, Date.now());
    this.corkLimit = Math.min(CORKED_BYTES, Math.floor(o.maxBufferedBytes / 4));
    if (auth) this.authenticated(auth);
    else
      this.authTimer = setTimeout(
        () => this.close(WS_CLOSE_CODES.unauthorized, 'no auth frame within 10 s'),
        AUTH_TIMEOUT_MS,
      );
    ws.on('message', (data, isBinary) => {
      if (!this.withinBudget()) return;
      const text = isBinary ? null : data.toString();
      this.chain = this.chain.then(() => this.onFrame(text));
    });
    ws.on('pong', () => (this.alive = true));
    ws.on('close', () => {
      clearTimeout(this.authTimer);
      this.release?.();
      this.hub.drop(this);
    });
    ws.on('error', (e) => this.log.debug(`ws error: ${e.message}`));
  }

  send(frame: ServerFrame, text?: string): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    const socket = (this.ws as unknown as { _socket?: Writable })._socket;
    // What waits corked is this turn's frames, not the client's backlog: sent before it is judged.
    if (this.corked && socket && socket.writableLength >= this.corkLimit) {
      this.corked = false;
      socket.uncork();
    }
    // A client that cannot keep up is cut off, so the gateway's memory stays bounded; it
    // resumes with `since` when it reconnects.
    if (this.ws.bufferedAmount > this.o.maxBufferedBytes) {
      wsDroppedSlowClients.inc();
      this.close(WS_CLOSE_CODES.tooSlow, 'too slow: reconnect with since');
      return;
    }
    if (socket) this.batchTurn(socket);
    this.ws.send(text ?? JSON.stringify(frame));
  }

  // The events of one poll (a batch of JetStream messages, a group commit's) are sent to a client
  // in one write at the end of the turn, not a system call each: the socket (ws's underlying
  // net.Socket) is corked until then, or until `corkLimit` bytes wait (a quarter of the backlog a
  // client may have, at most CORKED_BYTES; `send` flushes them before it judges the backlog).
  private batchTurn(socket: Writable): void {
    if (this.corked) return;
    this.corked = true;
    socket.cork();
    setImmediate(() => {
      if (!this.corked) return;
      this.corked = false;
      socket.uncork();
    });
  }

  // A replay sends while the socket has less than a quarter of the allowed backlog unsent, and
  // waits otherwise: a client reading slowly slows its replay instead of filling memory.
  async writable(): Promise<boolean> {
    const low = this.o.maxBufferedBytes / 4;
    const deadline = Date.now() + this.o.drainTimeoutMs;
    while (this.ws.readyState === WebSocket.OPEN && this.ws.bufferedAmount > low) {
      if (Date.now() > deadline) {
        wsDroppedSlowClients.inc();
        this.close(WS_CLOSE_CODES.tooSlow, 'too slow: reconnect with since');
        return false;
      }
      await new Promise((r) => setTimeout(r, DRAIN_POLL_MS));
    }
    return this.ws.readyState === WebSocket.OPEN;
  }

  close(code: number, reason: string): void {
    this.hub.drop(this);
    this.ws.close(code, reason);
    // A peer that does not answer the close handshake is cut after a grace period.
    setTimeout(() => this.ws.terminate(), 5_000).unref();
  }

  // The warning and the close go through the chain: they follow the answers to the frames
  // accepted before them. Past the close verdict every frame is dropped unread.
  private withinBudget(): boolean {
    if (this.closing || this.ws.readyState !== WebSocket.OPEN) return false;
    const verdict = this.budget.take(Date.now());
    if (verdict.action === 'accept') return true;
    if (verdict.action === 'close') {
      this.closing = true;
      this.chain = this.chain.then(() => this.close(WS_CLOSE_CODES.tooManyFrames, 'too many frames'));
    } else if (verdict.warn) {
      const { framesPerSec, frameBurst } = this.o;
      const message = `more than ${framesPerSec} frames per second (burst ${frameBurst}): frames are dropped; keep on and the connection closes (4429)`;
      this.chain = this.chain.then(() => this.send({ type: 'error', code: 'rate_limited', message }));
    }
    return false;
  }

  private async onFrame(text: string | null): Promise<void> {
    const frame = this.parse(text);
    if (!frame) return;
    try {
      if (frame.type === 'ping') return this.send({ type: 'pong' });
      if (frame.type === 'auth') return await this.authenticate(frame.key);
      if (!this.ownerId) throw new WizError('unauthorized', 'send {"type":"auth","key":"<API key>"} first');
      if (frame.type === 'subscribe')
        return await this.hub.subscribe(this, frame.topic, frame.since, { events: frame.events });
      this.hub.unsubscribe(this, frame.topic);
      this.send({ type: 'unsubscribed', topic: frame.topic });
    } catch (e) {
      const topic = 'topic' in frame ? frame.topic : undefined;
      if (frame.type === 'subscribe') this.hub.unsubscribe(this, frame.topic);
      // The store restarting is not a bug: say `unavailable` (retry), as REST answers 503.
      const err =
        e instanceof WizError
          ? e
          : isStoreUnavailable(e)
            ? new WizError('unavailable', 'the database is unavailable; retry shortly')
            : new WizError('internal', 'could not process the frame');
      if (httpStatusOf(err.code) >= 500) this.log.error(e instanceof Error ? e.message : String(e));
      this.send({ type: 'error', code: err.code, message: err.message, ...(topic ? { topic } : {}) });
    }
  }

  private async authenticate(key: string): Promise<void> {
    let auth: AuthContext;
    try {
      auth = await this.keys.fromKey(key, this.o.client);
    } catch (e) {
      const code = e instanceof WizError ? e.code : 'unauthorized';
      this.send({ type: 'error', code, message: e instanceof Error ? e.message : String(e) });
      return this.close(
        WS_CLOSE_CODES.unauthorized,
        code === 'rate_limited' ? 'too many failed authentications' : 'invalid API key',
      );
    }
    if (this.ownerId && this.ownerId !== auth.ownerId)
      throw new WizError('forbidden', 'this connection already acts as another owner');
    clearTimeout(this.authTimer);
    this.authenticated(auth);
    this.send({ type: 'authenticated', ownerId: auth.ownerId });
  }

  // A revoked key ends the connection, on whichever gateway holds it.
  private authenticated(auth: AuthContext): void {
    this.ownerId = auth.ownerId;
    this.keyId = auth.keyId ?? undefined;
    this.release?.();
    this.release = auth.keyId
      ? this.keys.holdSession(auth.keyId, () => {
          this.send({ type: 'error', code: 'unauthorized', message: 'the API key of this connection was revoked' });
          this.close(WS_CLOSE_CODES.unauthorized, 'API key revoked');
        })
      : undefined;
  }

  private parse(text: string | null): ClientFrame | null {
    let raw: unknown;
    try {
      raw = JSON.parse(text ?? '');
    } catch {
      this.send({ type: 'error', code: 'malformed_json', message: 'frames must be JSON text' });
      return null;
    }
    const parsed = ClientFrameSchema.safeParse(raw);
    if (parsed.success) return parsed.data;
    const message = parsed.error.issues.map((i) => `${i.path.join('.') || '(frame)'}: ${i.message}`).join('; ');
    this.send({ type: 'error', code: 'validation_failed', message: `invalid frame: ${message}` });
    return null;
  }
}
