import { Logger } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { WindowCounters } from '@wiz/bus';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

// @nestjs/throttler's counters kept in the bus's shared counters instead of each process's
// memory: N gateways behind a balancer allow a key the configured total, not N times it.
// Fixed windows: a key over its limit is refused until its window ends (Retry-After). If the
// bus does not answer, the request passes (the rate limit is protection, not a gate).
export class ClusterThrottlerStorage implements ThrottlerStorage {
  private readonly log = new Logger('RateLimit');
  private warnedAt = 0;

  constructor(private readonly counters: WindowCounters) {}

  async increment(key: string, ttl: number, limit: number): Promise<ThrottlerStorageRecord> {
    try {
      const { count, resetMs } = await this.counters.hit('rate', key, ttl);
      const secs = Math.max(1, Math.ceil(resetMs / 1000));
      const isBlocked = count > limit;
      return { totalHits: count, timeToExpire: secs, isBlocked, timeToBlockExpire: isBlocked ? secs : 0 };
    } catch (e) {
      if (Date.now() - this.warnedAt > 10_000) {
        this.warnedAt = Date.now();
        this.log.warn(`rate limit not counted (bus unavailable): ${e instanceof Error ? e.message : String(e)}`);
      }
      return { totalHits: 0, timeToExpire: 0, isBlocked: false, timeToBlockExpire: 0 };
    }
  }
}
