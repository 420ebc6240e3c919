import { KV, StorageType } from 'nats';
import type { BusService } from './bus.service';

export interface WindowCount {
  /** Hits in the current window, this one included. */
  count: number;
  /** Milliseconds until the window ends (and the count starts again from 0). */
  resetMs: number;
}

const MAX_CAS_TRIES = 20;
/** Last revisions remembered, so the common case is one compare-and-set round trip. */
const CACHE_MAX = 10_000;

// Fixed-window counters shared by every process on the bus: one KV entry per (scope, id,
// window), incremented by compare-and-set on its revision, so two gateways counting the same
// key never lose a hit. The window's number is part of the key, so expiry never depends on
// KV TTL (imprecise on NATS 2.9); the bucket's TTL only clears old windows. In memory (a
// counter lost with a NATS restart only forgets up to a minute of hits).
//
// Cost: one round trip when this process wrote the entry last (it remembers the revision),
// two or more when another process did; concurrent hits of one key in a process share one.
export class WindowCounters {
  private kv?: Promise<KV>;
  private readonly revisions = new Map<string, { count: number; revision: number }>();
  private readonly pending = new Map<string, Array<{ resolve: (n: number) => void; reject: (e: unknown) => void }>>();
  private readonly flushing = new Set<string>();

  constructor(
    private readonly bus: BusService,
    private readonly o: { bucket: string; replicas: number; maxWindowMs: number },
  ) {}

  /** Counts one hit of `id` in `scope` in the current window of `windowMs`. */
  hit(scope: string, id: string, windowMs: number): Promise<WindowCount> {
    const { key, resetMs } = this.keyOf(scope, id, windowMs);
    return new Promise<number>((resolve, reject) => {
      const batch = this.pending.get(key);
      if (batch) return batch.push({ resolve, reject });
      this.pending.set(key, [{ resolve, reject }]);
      if (!this.flushing.has(key)) void this.flush(key);
    }).then((count) => ({ count, resetMs }));
  }

  // The hits of one key that arrive while its previous write is on the wire are added together
  // in the next one: one compare-and-set for many concurrent requests, and contention only
  // between processes.
  private async flush(key: string): Promise<void> {
    this.flushing.add(key);
    try {
      for (;;) {
        const kv = await this.bucket().catch((e: unknown) => e as Error);
        const batch = this.pending.get(key);
        if (!batch) return;
        this.pending.delete(key);
        try {
          if (kv instanceof Error) throw kv;
          const last = await this.add(kv, key, batch.length);
          batch.forEach((w, i) => w.resolve(last - batch.length + 1 + i));
        } catch (e) {
          for (const w of batch) w.reject(e);
        }
      }
    } finally {
      this.flushing.delete(key);
    }
  }

  /** Adds `n` to the entry by compare-and-set; returns its new value. */
  private async add(kv: KV, key: string, n: number): Promise<number> {
    for (let i = 0; i < MAX_CAS_TRIES; i++) {
      const known = this.revisions.get(key) ?? (await this.read(kv, key));
      const count = (known?.count ?? 0) + n;
      try {
        const revision = known
          ? await kv.update(key, encode(count), known.revision)
          : await kv.create(key, encode(count));
        this.remember(key, { count, revision });
        return count;
      } catch (e) {
        if (!isCasMiss(e)) throw e;
        // Another process counted since: the next try reads its value, after a short random
        // pause so that processes in step do not collide again.
        this.revisions.delete(key);
        await new Promise((r) => setTimeout(r, Math.random() * 2 * (i + 1)));
      }
    }
    throw new Error(`window counter ${key}: too much contention`);
  }

  /** The hits of `id` in `scope` in the current window, without counting one. */
  async peek(scope: string, id: string, windowMs: number): Promise<WindowCount> {
    const { key, resetMs } = this.keyOf(scope, id, windowMs);
    const known = await this.read(await this.bucket(), key);
    return { count: known?.count ?? 0, resetMs };
  }

  private keyOf(scope: string, id: string, windowMs: number): { key: string; resetMs: number } {
    const now = Date.now();
    const window = Math.floor(now / windowMs);
    // KV keys allow [-/_=.A-Za-z0-9]: base64url of the id fits.
    const key = `${scope}.${windowMs}.${window}.${Buffer.from(id).toString('base64url') || '_'}`;
    return { key, resetMs: (window + 1) * windowMs - now };
  }

  private async read(kv: KV, key: string): Promise<{ count: number; revision: number } | undefined> {
    const e = await kv.get(key);
    if (!e || e.operation !== 'PUT') return undefined;
    return { count: Number(new TextDecoder().decode(e.value)) || 0, revision: e.revision };
  }

  private remember(key: string, v: { count: number; revision: number }): void {
    if (this.revisions.size >= CACHE_MAX && !this.revisions.has(key)) this.revisions.clear();
    this.revisions.set(key, v);
  }

  private bucket(): Promise<KV> {
    this.kv ??= this.bus.js.views
      .kv(this.o.bucket, {
        history: 1,
        replicas: this.o.replicas,
        storage: StorageType.Memory,
        ttl: 2 * this.o.maxWindowMs,
        // Reads feed compare-and-set updates: from the stream leader (see partition-leases.ts).
        allow_direct: false,
      })
      .catch((e: unknown) => {
        this.kv = undefined;
        throw e;
      });
    return this.kv;
  }
}

const encode = (n: number) => new TextEncoder().encode(String(n));

// nats.js reports a failed compare-and-set as a JetStream API error "wrong last sequence"
// (update) or "wrong last sequence" / "key exists" (create).
function isCasMiss(e: unknown): boolean {
  const msg = e instanceof Error ? e.message : String(e);
  return /wrong last sequence|key exists/i.test(msg);
}
