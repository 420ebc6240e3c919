/** What to do with one frame: run it, drop it (and say so when `warn`), or close the connection. */
export type FrameVerdict = { action: 'accept' } | { action: 'drop'; warn: boolean } | { action: 'close' };

// A WebSocket connection's frame budget: a token bucket of `burst` frames refilled at
// `perSec`. A frame over it is dropped; the first drop of an episode is answered with an
// error frame; a client that goes on until `burst` more frames were dropped, with no second
// free of drops, is closed. Pure: the caller passes the time.
export class FrameBudget {
  private tokens: number;
  private last: number;
  private dropped = 0;
  private lastDrop = -Infinity;

  constructor(
    private readonly perSec: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  take(now: number): FrameVerdict {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSec);
    this.last = now;
    if (now - this.lastDrop >= 1000) this.dropped = 0;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { action: 'accept' };
    }
    this.lastDrop = now;
    this.dropped += 1;
    if (this.dropped >= this.burst) return { action: 'close' };
    return { action: 'drop', warn: this.dropped === 1 };
  }
}
