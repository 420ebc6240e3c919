import { OwnerConfig } from '@wiz/contracts';
import { Subscription } from 'nats';
import { BusService } from './bus.service';

/** An entry is read again after this long even when no change was heard (core NATS may lose one). */
export const OWNER_CACHE_TTL_MS = 10_000;
const MAX_OWNERS = 100_000;

/** Tells every process that `ownerId`'s `what` changed in the store (call after the commit). */
export function ownerConfigChanged(bus: BusService, what: OwnerConfig, ownerId: string): void {
  bus.publishControl('owner-config', { ownerId, what });
}

// What an owner configured and every job reads (its webhooks, budgets, approval policies), kept
// in memory per process instead of read for every event or model call. Whoever changes it in the
// store says so (`ownerConfigChanged`, a `<prefix>.control.owner-config` message): every process
// forgets that owner's entry at once, and re-reads it after OWNER_CACHE_TTL_MS anyway. A read
// that began before a change was heard answers its caller but is not kept.
export class OwnerCache<T> {
  private readonly entries = new Map<string, { value: T; at: number }>();
  /** Changes heard so far: a read that began before one is not kept. */
  private changes = 0;
  private sub?: Subscription;

  constructor(
    private readonly bus: BusService,
    readonly what: OwnerConfig,
    private readonly load: (ownerId: string) => Promise<T>,
    private readonly ttlMs = OWNER_CACHE_TTL_MS,
  ) {}

  async get(ownerId: string): Promise<T> {
    // Subscribed before the first read is kept: nothing is cached before, so nothing is missed.
    // No subscription (the connection is closed: shutting down): read, keep nothing.
    if (!this.sub && !this.subscribe()) return this.load(ownerId);
    const known = this.peek(ownerId);
    return known ? known.value : this.read(ownerId);
  }

  /** What is kept of `ownerId`, if it is still fresh; no read (for a caller on a hot path). */
  peek(ownerId: string): { value: T } | undefined {
    const known = this.entries.get(ownerId);
    return known && Date.now() - known.at < this.ttlMs ? known : undefined;
  }

  private async read(ownerId: string): Promise<T> {
    const now = Date.now();
    const before = this.changes;
    const value = await this.load(ownerId);
    if (this.changes === before) {
      if (this.entries.size >= MAX_OWNERS) this.entries.clear();
      this.entries.set(ownerId, { value, at: now });
    }
    return value;
  }

  /** This process changed `ownerId`'s entry in the store: forgotten here now, and everywhere else. */
  changed(ownerId: string): void {
    this.forget(ownerId);
    ownerConfigChanged(this.bus, this.what, ownerId);
  }

  private subscribe(): boolean {
    try {
      this.sub = this.bus.subscribeControl('owner-config', (m) => {
        if (m.what === this.what) this.forget(m.ownerId);
      });
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    this.sub?.unsubscribe();
    this.sub = undefined;
  }

  private forget(ownerId: string): void {
    this.changes++;
    this.entries.delete(ownerId);
  }
}
