import { Logger } from '@nestjs/common';
import { Events, KV, KvEntry, nuid, QueuedIterator } from 'nats';
import type { BusService } from './bus.service';

/** When a model call streams its tokens: WIZ_LIVE_TOKENS. */
export type LiveTokensMode = 'subscribed' | 'always' | 'never';

/** What a job's token deltas reach: its agent's topic, its own, its conversation's. */
export interface LiveTarget {
  agentId?: string;
  jobId?: string;
  conversationId?: string | null;
}

export interface LiveInterestOptions {
  mode: LiveTokensMode;
  replicas: number;
  /** How often a holder says it is alive; its keys count for three times as long after. */
  heartbeatMs: number;
}

const HOLDER = 'holder.';
export const LIVE_INTEREST_HEARTBEAT_MS = 10_000;
/** Keys of a holder that died are removed by the bucket after this long; holders re-put theirs sooner. */
const BUCKET_TTL_MS = 3_600_000;
const REFRESH_MS = BUCKET_TTL_MS / 3;
/** How long a subscribe waits for its announcement at most. */
const HOLD_WAIT_MS = 1_000;

// Who follows a job's live events (`agent.token`), across processes. A gateway holds a key per
// agent, job and conversation its clients follow (`<kind>.<id>.<holder>` in the `interest` KV
// bucket) and says every few seconds that it is alive (`holder.<id>`); a runtime watches the
// bucket and streams a model call only when a live holder follows the job (otherwise the model
// answers in one response: one parse per call instead of one per streamed chunk). Until its
// watch has read the bucket, and whenever in doubt, a runtime streams (docs/websocket.md).
export class LiveInterest {
  private readonly log = new Logger('LiveInterest');
  private readonly id = nuid.next();
  /** This process's followers per key. */
  private readonly holds = new Map<string, number>();
  private kv?: Promise<KV>;
  /** This process's puts and deletes, in order (a quick subscribe-unsubscribe leaves no key behind). */
  private writes: Promise<void> = Promise.resolve();
  /** Held keys whose announcement failed: tried again at every heartbeat. */
  private readonly unsaid = new Set<string>();
  private beating = false;
  private reconnects?: Promise<void>;
  private timers: NodeJS.Timeout[] = [];
  /** Read from the bucket: the holders of each key, and when each holder was last seen alive. */
  private readonly holders = new Map<string, Set<string>>();
  private readonly alive = new Map<string, number>();
  private watch?: QueuedIterator<KvEntry>;
  /** Settles when the watch has read the bucket (or failed). */
  private watching?: Promise<void>;
  private synced = false;
  private stopped = false;

  constructor(
    private readonly bus: BusService,
    private readonly o: LiveInterestOptions,
  ) {}

  // After a reconnect (NATS restarted, or another node), what was read may be stale and what was
  // said may be lost: read the bucket again (streaming meanwhile) and say the held keys again.
  private followReconnects(): void {
    if (this.reconnects) return;
    this.reconnects = (async () => {
      for await (const s of this.bus.nc.status()) {
        if (s.type !== Events.Reconnect || this.stopped) continue;
        this.synced = false;
        this.watch?.stop();
        if (this.holds.size) void this.write(() => this.refresh());
      }
    })().catch(() => undefined);
  }

  /** A client of this process follows `key` (`agent.<id>`, `job.<id>`, `conversation.<id>`). */
  async hold(key: string): Promise<void> {
    const n = (this.holds.get(key) ?? 0) + 1;
    this.holds.set(key, n);
    if (n > 1 || this.o.mode !== 'subscribed') return;
    this.followReconnects();
    // First hold: say this holder is alive (before its first key), and keep saying it.
    if (!this.timers.length && !this.stopped) {
      this.timers.push(
        setInterval(() => this.beatSoon(), this.o.heartbeatMs).unref(),
        setInterval(() => void this.write(() => this.refresh()), REFRESH_MS).unref(),
      );
      this.beatSoon();
    }
    // Said before the client hears `subscribed`, unless NATS is slow to take it (then it goes on).
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.write(() => this.put(key)), new Promise((r) => (timer = setTimeout(r, HOLD_WAIT_MS)))]);
    clearTimeout(timer);
  }

  /** One follower of `key` left. */
  async release(key: string): Promise<void> {
    const n = (this.holds.get(key) ?? 0) - 1;
    if (n > 0) return void this.holds.set(key, n);
    if (!this.holds.delete(key) || this.o.mode !== 'subscribed') return;
    this.unsaid.delete(key);
    await this.write(async () => {
      try {
        await (await this.bucket()).delete(`${key}.${this.id}`);
      } catch (e) {
        this.log.warn(`could not withdraw interest in ${key}: ${String(e)}`);
      }
    });
  }

  private write(op: () => Promise<void>): Promise<void> {
    const run = this.writes.then(op);
    this.writes = run.catch(() => undefined); // a failed write never stops the ones after it
    return run;
  }

  /** Whether a model call of this job should stream its tokens now. */
  streams(t: LiveTarget): boolean {
    if (this.o.mode !== 'subscribed') return this.o.mode === 'always';
    if (!this.synced) {
      void this.startWatch();
      return true;
    }
    const now = Date.now();
    return (
      this.held(`agent.${t.agentId}`, now) ||
      this.held(`job.${t.jobId}`, now) ||
      (!!t.conversationId && this.held(`conversation.${t.conversationId}`, now))
    );
  }

  /** Starts reading the bucket (a runtime); `streams` says true until it has. */
  async start(): Promise<void> {
    if (this.o.mode === 'subscribed') await this.startWatch();
  }

  /** Withdraws this process's keys before the connection closes. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.watch?.stop();
    if (!this.kv) return;
    const kv = await this.kv.catch(() => undefined);
    if (!kv) return;
    const keys = [...this.holds.keys()].map((k) => `${k}.${this.id}`);
    this.holds.clear();
    await Promise.all([...keys, `${HOLDER}${this.id}`].map((k) => kv.delete(k).catch(() => undefined)));
  }

  private held(key: string, now: number): boolean {
    const holders = this.holders.get(key);
    if (!holders) return false;
    const window = 3 * this.o.heartbeatMs;
    for (const h of holders) if (now - (this.alive.get(h) ?? 0) < window) return true;
    return false;
  }

  private async put(key: string): Promise<void> {
    try {
      await (await this.bucket()).put(`${key}.${this.id}`, '');
      this.unsaid.delete(key);
    } catch (e) {
      if (!this.unsaid.has(key))
        this.log.warn(`could not announce interest in ${key} (tried again every heartbeat): ${String(e)}`);
      this.unsaid.add(key);
    }
  }

  /** A heartbeat after the writes queued, unless one is queued already (NATS slow or away). */
  private beatSoon(): void {
    if (this.beating) return;
    this.beating = true;
    void this.write(() => this.beat()).finally(() => (this.beating = false));
  }

  // Every heartbeat: this holder is alive; keys whose announcement failed (NATS away) are tried again.
  private async beat(): Promise<void> {
    try {
      await (await this.bucket()).put(`${HOLDER}${this.id}`, String(Date.now()));
    } catch {
      return; // the next heartbeat tries again
    }
    for (const key of [...this.unsaid]) if (this.holds.has(key)) await this.put(key);
  }

  // Before the bucket's TTL drops them: the keys still held, again.
  private async refresh(): Promise<void> {
    for (const key of [...this.holds.keys()]) await this.put(key);
  }

  private bucket(): Promise<KV> {
    this.kv ??= this.bus.js.views.kv(this.bus.names.kvBucket('interest'), {
      history: 1,
      replicas: this.o.replicas,
      ttl: BUCKET_TTL_MS,
    });
    this.kv.catch(() => (this.kv = undefined));
    return this.kv;
  }

  private startWatch(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.followReconnects();
    this.watching ??= new Promise<void>((ready) => {
      const done = (e?: unknown) => {
        if (e) this.log.warn(`watching interest failed (streaming every call until it works again): ${String(e)}`);
        this.synced = false;
        this.watching = undefined;
        ready();
      };
      this.follow(ready).then(() => done(), done);
    });
    return this.watching;
  }

  private async follow(ready: () => void): Promise<void> {
    const kv = await this.bucket();
    this.holders.clear();
    this.alive.clear();
    const iter = await kv.watch({ key: '>', initializedFn: () => ((this.synced = true), ready()) });
    this.watch = iter;
    for await (const e of iter) this.apply(e, this.synced ? Date.now() : e.created.getTime());
  }

  private apply(e: KvEntry, seenAt: number): void {
    const gone = e.operation !== 'PUT';
    if (e.key.startsWith(HOLDER)) {
      const holder = e.key.slice(HOLDER.length);
      if (gone) this.alive.delete(holder);
      else this.alive.set(holder, seenAt);
      return;
    }
    const dot = e.key.lastIndexOf('.');
    const [key, holder] = [e.key.slice(0, dot), e.key.slice(dot + 1)];
    const set = this.holders.get(key);
    if (gone) {
      set?.delete(holder);
      if (set?.size === 0) this.holders.delete(key);
    } else if (set) set.add(holder);
    else this.holders.set(key, new Set([holder]));
  }
}
