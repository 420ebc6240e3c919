import type { ServerFrame } from '@wiz/contracts';
import { WS_CLOSE_CODES } from '@wiz/contracts/vocabulary';
import { WizApiError } from './errors';
import { AnyEvent, SubscribeOptions, Subscription, WizEvent } from './subscription';

/** The part of a WebSocket (browser or the `ws` package) the client uses. */
interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}
/** A WebSocket constructor: the browser's, or `WebSocket` from the `ws` package in Node. */
export type WebSocketCtor = new (url: string) => unknown;

export type ConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface EventsOptions {
  /** The server's base URL (`http://…`); the socket goes to `<base>/ws`. */
  baseUrl: string;
  apiKey?: string;
  /** Defaults to `globalThis.WebSocket` (browsers, Node 22+); in Node 20 pass `WebSocket` from `ws`. */
  WebSocket?: WebSocketCtor;
  /** First reconnect delay; it doubles on each failure up to `maxBackoffMs`. */
  backoffMs?: number;
  maxBackoffMs?: number;
}

const OPEN = 1;

/**
 * The WebSocket side of Wiz: subscribe to topics (`job:<id>`, `agent:<id>`, `conversation:<id>`,
 * `owner`) and get their events. Connects on the first subscription, authenticates with an `auth`
 * frame, and on a lost connection reconnects with backoff and resubscribes every topic with
 * `since` = the last sequence it received: the gateway replays what came meanwhile, and duplicates
 * are dropped, so each topic sees every event once, in order.
 */
export class WizEvents {
  private readonly subs = new Map<string, Subscription>();
  private readonly stateListeners = new Set<(s: ConnectionState) => void>();
  private socket?: SocketLike;
  private timer?: ReturnType<typeof setTimeout>;
  private attempt = 0;
  private stopped = false;
  private current: ConnectionState = 'idle';
  /** Highest seq seen on a job/agent/conversation topic: a resume point for topics that saw nothing yet. */
  private watermark?: number;

  constructor(private readonly options: EventsOptions) {}

  get state(): ConnectionState {
    return this.current;
  }

  onState(listener: (s: ConnectionState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** Follows `topic`; `for await (const e of sub)` or `onEvent`. Subscribing again replaces the previous one. */
  subscribe(topic: string, options: SubscribeOptions = {}): Subscription {
    const key = topic.toLowerCase() === 'owner' ? 'owner' : topic.toLowerCase();
    this.subs.get(key)?.end();
    const sub = new Subscription(key, options, (s) => this.unsubscribe(s));
    this.subs.set(key, sub);
    this.stopped = false;
    if (this.socket?.readyState === OPEN) this.sendSubscribe(sub);
    else this.connect();
    return sub;
  }

  /** Closes the connection and ends every subscription. */
  close(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const s of this.subs.values()) s.end();
    this.subs.clear();
    this.socket?.close(1000, 'client closed');
    this.socket = undefined;
    this.setState('closed');
  }

  private unsubscribe(sub: Subscription): void {
    if (this.subs.get(sub.topic) !== sub) return;
    this.subs.delete(sub.topic);
    if (this.socket?.readyState === OPEN) this.send({ type: 'unsubscribe', topic: sub.topic });
  }

  private connect(): void {
    if (this.socket || this.stopped) return;
    clearTimeout(this.timer);
    const Ctor = this.options.WebSocket ?? (globalThis as { WebSocket?: WebSocketCtor }).WebSocket;
    if (!Ctor) throw new Error('no WebSocket: pass options.WebSocket (in Node 20: `WebSocket` from the ws package)');
    this.setState(this.attempt === 0 ? 'connecting' : 'reconnecting');
    const url = this.options.baseUrl.replace(/\/+$/, '').replace(/^http/, 'ws') + '/ws';
    const ws = new Ctor(url) as SocketLike;
    this.socket = ws;
    ws.onopen = () => {
      if (this.options.apiKey) this.send({ type: 'auth', key: this.options.apiKey });
      this.attempt = 0;
      this.setState('open');
      for (const sub of this.subs.values()) this.sendSubscribe(sub);
    };
    ws.onmessage = (ev) => this.onFrame(ev.data);
    ws.onerror = () => undefined; // a close follows
    ws.onclose = (ev) => {
      if (this.socket !== ws) return;
      this.socket = undefined;
      if (ev.code === WS_CLOSE_CODES.unauthorized) {
        const err = new WizApiError(401, 'unauthorized', ev.reason || 'invalid API key');
        for (const s of this.subs.values()) s.error(err, true);
        this.subs.clear();
        this.stopped = true;
        return this.setState('closed');
      }
      if (!this.stopped) this.scheduleReconnect();
    };
  }

  private scheduleReconnect(): void {
    const base = this.options.backoffMs ?? 250;
    const delay = Math.min(this.options.maxBackoffMs ?? 10_000, base * 2 ** this.attempt);
    this.attempt++;
    this.setState('reconnecting');
    // Jitter: many clients cut at once do not all come back in the same instant.
    this.timer = setTimeout(() => this.connect(), delay * (0.75 + Math.random() * 0.5));
  }

  private sendSubscribe(sub: Subscription): void {
    const since = sub.lastSeq ?? (sub.topic === 'owner' ? undefined : this.watermark);
    this.send({
      type: 'subscribe',
      topic: sub.topic,
      ...(since !== undefined ? { since } : {}),
      ...(sub.events ? { events: sub.events } : {}),
    });
  }

  private send(frame: object): void {
    if (this.socket?.readyState === OPEN) this.socket.send(JSON.stringify(frame));
  }

  private onFrame(data: unknown): void {
    let frame: ServerFrame;
    try {
      frame = JSON.parse(typeof data === 'string' ? data : String(data)) as ServerFrame;
    } catch {
      return;
    }
    switch (frame.type) {
      case 'event':
      case 'live': {
        const sub = this.subs.get(frame.topic);
        const seq = frame.type === 'event' ? frame.seq : undefined;
        if (seq !== undefined && frame.topic !== 'owner') this.watermark = Math.max(this.watermark ?? 0, seq);
        const e: WizEvent = { topic: frame.topic, seq, live: frame.type === 'live', event: frame.event as AnyEvent };
        sub?.deliver(e);
        return;
      }
      case 'subscribed':
        return this.subs.get(frame.topic)?.subscribed(frame.seq);
      case 'error': {
        const sub = frame.topic ? this.subs.get(frame.topic) : undefined;
        if (!sub) return;
        // Too many replays at once for this key: a warning; the subscription asks again shortly.
        if (frame.code === 'rate_limited') {
          setTimeout(() => this.subs.get(sub.topic) === sub && this.sendSubscribe(sub), 500 + Math.random() * 1_000);
          return sub.error(new WizApiError(0, frame.code, frame.message), false);
        }
        const fatal = frame.code !== 'gone';
        if (fatal) this.subs.delete(sub.topic);
        return sub.error(new WizApiError(0, frame.code, frame.message), fatal);
      }
      default:
        return;
    }
  }

  private setState(s: ConnectionState): void {
    if (s === this.current) return;
    this.current = s;
    for (const l of this.stateListeners) l(s);
  }
}
