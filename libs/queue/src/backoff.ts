import type { Backoff } from '@wiz/contracts';

/** Wait before retry number `retry` (1 = the first retry), in ms. */
export function backoffDelay(b: Backoff | null, retry: number, random: () => number = Math.random): number {
  if (!b) return 0;
  const base = b.type === 'fixed' ? b.delayMs : b.delayMs * 2 ** Math.max(0, retry - 1);
  const capped = Math.min(base, 24 * 3_600_000);
  return Math.round(capped * (1 - b.jitter * random()));
}
