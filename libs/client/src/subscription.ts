import type { EventEnvelope, EventType } from '@wiz/contracts';
import { WizApiError } from './errors';

/** Any event, discriminated by `type`: `if (e.type === 'agent.token') e.data.delta`. */
export type AnyEvent = { [T in EventType]: EventEnvelope<T> }[EventType];

/** One event as the client hands it out. `seq` is absent for live-only events (`agent.token`). */
export interface WizEvent {
  topic: string;
  seq?: number;
  live: boolean;
  event: AnyEvent;
}

export interface SubscribeOptions {
  /** Replay the topic's events after this sequence number first (0: from the start of the stream). */
  since?: number;
  /** Only these event types or globs (`job.completed`, `job.*`); every event of the topic without it. */
  events?: string[];
  /** Called for each event; without it, events wait in a queue for `for await`. */
  onEvent?: (e: WizEvent) => void;
  /**
   * A refusal (not_found, forbidden…) ends the subscription; `gone` (expired events) and
   * `rate_limited` (too many replays at once for the key: it asks again shortly) are warnings.
   */
  onError?: (e: WizApiError) => void;
}

// One followed topic: its position in the events stream (resumed from after a reconnect), and its
// consumers (a callback, or an async iterator over a queue).
export class Subscription implements AsyncIterable<WizEvent> {
  /** Highest sequence number received (or the `since` asked for): where a reconnect resumes. */
  lastSeq?: number;
  readonly ready: Promise<void>;
  private settleReady!: { resolve: () => void; reject: (e: WizApiError) => void };
  private readyDone = false;
  private readonly queue: WizEvent[] = [];
  private waiter?: () => void;
  private ended = false;
  private failure?: WizApiError;

  constructor(
    readonly topic: string,
    private readonly options: SubscribeOptions,
    private readonly onClose: (s: Subscription) => void,
  ) {
    this.lastSeq = options.since;
    this.ready = new Promise<void>((resolve, reject) => (this.settleReady = { resolve, reject }));
    this.ready.catch(() => undefined);
  }

  get active(): boolean {
    return !this.ended;
  }

  /** The event types this subscription asked for, if it picked any. */
  get events(): string[] | undefined {
    return this.options.events;
  }

  /** Stops following the topic. */
  close(): void {
    if (this.ended) return;
    this.onClose(this);
    this.end();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<WizEvent> {
    for (;;) {
      const next = this.queue.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.failure) throw this.failure;
      if (this.ended) return;
      await new Promise<void>((r) => (this.waiter = r));
    }
  }

  /** @internal an event frame of this topic; duplicates (seq already seen) are dropped. */
  deliver(e: WizEvent): void {
    if (this.ended) return;
    if (e.seq !== undefined) {
      if (this.lastSeq !== undefined && e.seq <= this.lastSeq) return;
      this.lastSeq = e.seq;
    }
    if (this.options.onEvent) this.options.onEvent(e);
    else this.queue.push(e);
    this.wake();
  }

  /**
   * @internal the server confirmed the subscription; `seq` (servers that send it) is the topic's
   * position, where a reconnect resumes when no event came yet.
   */
  subscribed(seq?: number): void {
    if (seq !== undefined && this.lastSeq === undefined) this.lastSeq = seq;
    this.settle(() => this.settleReady.resolve());
  }

  /** @internal a warning (`gone`) or a refusal that ends the subscription. */
  error(e: WizApiError, fatal: boolean): void {
    this.options.onError?.(e);
    if (!fatal) return;
    this.failure = e;
    this.settle(() => this.settleReady.reject(e));
    this.end();
  }

  /** @internal the client was closed. */
  end(): void {
    this.ended = true;
    this.settle(() => this.settleReady.reject(new WizApiError(0, 'gone', 'closed')));
    this.wake();
  }

  private settle(how: () => void): void {
    if (this.readyDone) return;
    this.readyDone = true;
    how();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
}
