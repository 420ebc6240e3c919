import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { KV, KvEntry } from 'nats';
import { BusService } from './bus.service';

export interface PartitionLeasesOptions {
  partitions: number;
  replicas: number;
  /** How often a runtime announces itself and renews its leases. */
  heartbeatMs: number;
  /** A lease or an announcement not renewed for this long is over (checked by its expiry time). */
  leaseMs: number;
  /** Called when this runtime gains or loses a partition. */
  onGained(partition: number): void;
  onLost(partition: number): Promise<void>;
}

interface Lease {
  owner: string;
  /** Epoch ms. Others check it: KV TTL expiry alone never ends a lease (imprecise on NATS 2.9). */
  expiresAt: number;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const encode = (l: Lease) => enc.encode(JSON.stringify(l));
const live = (e: KvEntry | null, now: number): Lease | null => {
  if (!e || e.operation !== 'PUT') return null;
  const lease = JSON.parse(dec.decode(e.value)) as Lease;
  return lease.expiresAt > now ? lease : null;
};

// Mailbox partitions leased to runtimes through a KV bucket, so that each agent's actor lives on
// one runtime. Every heartbeat a runtime announces itself (`member.<id>`), renews the partitions
// it holds (`partition.<n>`, compare-and-set on the entry's revision), releases what it holds
// beyond its share (ceil(partitions / live runtimes)) and takes free or expired partitions up to
// its share. The per-job claim in the store stays the fence: a stale lease is harmless.
export class PartitionLeases {
  readonly id = randomUUID();
  private readonly log = new Logger('Leases');
  private readonly held = new Map<number, number>(); // partition → revision
  private kv?: KV;
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;
  private lastOk = 0;
  private lastError = '';
  private stopped = false;

  constructor(
    private readonly bus: BusService,
    private readonly o: PartitionLeasesOptions,
  ) {}

  start(): void {
    const loop = () => {
      if (this.stopped) return;
      this.ticking = this.tick()
        .catch((e: unknown) => {
          this.lastError = e instanceof Error ? e.message : String(e);
          this.log.warn(`lease heartbeat failed: ${this.lastError}`);
        })
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(loop, this.o.heartbeatMs);
        });
    };
    loop();
  }

  /** Partitions held now. */
  get partitions(): number[] {
    return [...this.held.keys()].sort((a, b) => a - b);
  }

  /** Ready when the last heartbeat reached the bucket within a lease period. */
  health(): Promise<{ ok: boolean; detail: string }> {
    const ok = Date.now() - this.lastOk < this.o.leaseMs;
    const detail = ok
      ? `holds ${this.held.size} of ${this.o.partitions} mailbox partitions [${this.partitions.join(',')}]`
      : `lease bucket unreachable: ${this.lastError || 'no heartbeat yet'}`;
    return Promise.resolve({ ok, detail });
  }

  /** Stops renewing, stops consuming, and gives every lease back so others take them at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
    const kv = this.kv;
    await Promise.all(
      [...this.held].map(async ([p, rev]) => {
        this.held.delete(p);
        await this.o.onLost(p);
        await kv?.delete(key(p), { previousSeq: rev }).catch(() => undefined);
      }),
    );
    await kv?.delete(`member.${this.id}`).catch(() => undefined);
  }

  private async bucket(): Promise<KV> {
    this.kv ??= await this.bus.js.views.kv(this.bus.names.kvBucket('leases'), {
      history: 1,
      replicas: this.o.replicas,
      // Garbage collection of dead runtimes' announcements only; a lease ends by its expiresAt.
      ttl: Math.max(60_000, 10 * this.o.leaseMs),
      // Every read here feeds a compare-and-set, so it goes to the stream leader. A direct get may
      // be answered by any replica, and on NATS 2.9 before 2.9.17 (nats-server#4162) a replica
      // just restarted answers with values from before it stopped: runtimes took the stale
      // revisions for leases taken by others and dropped theirs (cluster.e2e, 1 run in 7).
      allow_direct: false,
    });
    return this.kv;
  }

  private async tick(): Promise<void> {
    const kv = await this.bucket();
    const now = Date.now();
    const expiresAt = now + this.o.leaseMs;
    await kv.put(`member.${this.id}`, encode({ owner: this.id, expiresAt }));
    const members = new Set<string>([this.id]);
    const entries = new Map<number, KvEntry | null>();
    for (const k of await collect(await kv.keys())) {
      const e = await kv.get(k);
      if (k.startsWith('member.')) {
        const m = live(e, now);
        if (m) members.add(m.owner);
      }
    }
    for (let p = 0; p < this.o.partitions; p++) entries.set(p, await kv.get(key(p)));
    const share = Math.ceil(this.o.partitions / members.size);

    // Renew what is still ours; a failed compare-and-set means someone took it: stop consuming it.
    for (const [p, rev] of [...this.held]) {
      const e = entries.get(p) ?? null;
      const ok =
        e?.revision === rev &&
        (await kv.update(key(p), encode({ owner: this.id, expiresAt }), rev).then(
          (r) => (this.held.set(p, r), true),
          () => false,
        ));
      if (!ok) await this.lose(p, 'taken by another runtime');
    }
    // More than our share (a runtime joined): give the excess back.
    for (const p of this.partitions.slice(share)) {
      const rev = this.held.get(p)!;
      await this.lose(p, `rebalancing to ${members.size} runtimes`);
      await kv.delete(key(p), { previousSeq: rev }).catch(() => undefined);
    }
    // Less than our share: take free or expired partitions.
    for (let p = 0; p < this.o.partitions && this.held.size < share; p++) {
      if (this.held.has(p)) continue;
      const e = entries.get(p) ?? null;
      if (live(e, now)) continue;
      const value = encode({ owner: this.id, expiresAt });
      const rev = await (e ? kv.update(key(p), value, e.revision) : kv.create(key(p), value)).catch(() => null);
      if (rev === null) continue; // another runtime was first
      this.held.set(p, rev);
      this.o.onGained(p);
    }
    this.lastOk = Date.now();
  }

  private async lose(p: number, why: string): Promise<void> {
    this.held.delete(p);
    this.log.log(`partition ${p} released (${why})`);
    await this.o.onLost(p);
  }
}

const key = (p: number) => `partition.${p}`;

async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const k of it) if (k.startsWith('member.')) out.push(k);
  return out;
}
