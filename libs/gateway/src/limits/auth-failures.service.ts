import { Inject, Injectable, Logger } from '@nestjs/common';
import { WindowCounters } from '@wiz/bus';
import { rateLimited } from '@wiz/contracts';
import { WIZ_CONFIG, WizConfig } from '@wiz/config';

const WINDOW_MS = 60_000;
const BLOCKED_MAX = 100_000;

// Failed authentications per client address, counted across every gateway (WindowCounters).
// Past WIZ_AUTH_FAILURES_PER_MIN in a minute, the address gets 429 with Retry-After until the
// minute ends, on REST, SSE and the WebSocket alike; a gateway that saw it blocked refuses it
// before looking at its key.
// A gateway remembers the addresses it saw blocked (no I/O to refuse them again) and asks the
// shared count before it looks a key up in the store (an address blocked on another gateway).
@Injectable()
export class AuthFailures {
  private readonly log = new Logger('Auth');
  private readonly blocked = new Map<string, number>();
  private readonly max: number;

  constructor(
    @Inject(WIZ_CONFIG) config: Pick<WizConfig, 'WIZ_AUTH_FAILURES_PER_MIN'>,
    private readonly counters: WindowCounters,
  ) {
    this.max = config.WIZ_AUTH_FAILURES_PER_MIN;
  }

  /** Throws rate_limited when this gateway saw `client` blocked in the current window. No I/O. */
  assertNotBlocked(client: string): void {
    if (this.max === 0) return;
    const until = this.blocked.get(client);
    if (until === undefined) return;
    if (until <= Date.now()) this.blocked.delete(client);
    else throw this.refusal(client, until - Date.now());
  }

  /** Throws rate_limited when `client` is over the limit on any gateway (one KV read). */
  async assertNotBlockedShared(client: string): Promise<void> {
    this.assertNotBlocked(client);
    if (this.max === 0) return;
    const seen = await this.counters.peek('authfail', client, WINDOW_MS).catch(() => null);
    if (seen && seen.count >= this.max) throw this.refusal(client, this.block(client, seen.resetMs));
  }

  /**
   * Counts a failed authentication of `client`. The failures past the limit throw rate_limited
   * (on any gateway, whatever it had seen); the one that reaches it blocks the address here.
   */
  async failed(client: string): Promise<void> {
    if (this.max === 0) return;
    let seen;
    try {
      seen = await this.counters.hit('authfail', client, WINDOW_MS);
    } catch (e) {
      this.log.warn(`failed authentication not counted (bus unavailable): ${e instanceof Error ? e.message : e}`);
      return;
    }
    if (seen.count < this.max) return;
    if (seen.count === this.max) this.log.warn(`${client}: ${seen.count} failed authentications this minute: refused`);
    this.block(client, seen.resetMs);
    if (seen.count > this.max) throw this.refusal(client, seen.resetMs);
  }

  private block(client: string, resetMs: number): number {
    if (this.blocked.size >= BLOCKED_MAX) this.blocked.clear();
    this.blocked.set(client, Date.now() + resetMs);
    return resetMs;
  }

  private refusal(client: string, ms: number) {
    const secs = Math.max(1, Math.ceil(ms / 1000));
    return rateLimited(
      `too many failed authentications from ${client} (WIZ_AUTH_FAILURES_PER_MIN: ${this.max} per minute); retry in ${secs} s`,
      secs,
    );
  }
}
