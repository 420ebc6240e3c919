import { backoffDelay } from './backoff';

describe(backoffDelay.name, () => {
  it('waits nothing without a policy', () => {
    expect(backoffDelay(null, 3)).toBe(0);
  });

  it('waits the same for every fixed retry', () => {
    const b = { type: 'fixed' as const, delayMs: 500, jitter: 0 };
    expect([1, 2, 3].map((r) => backoffDelay(b, r))).toEqual([500, 500, 500]);
  });

  it('doubles for every exponential retry, capped at a day', () => {
    const b = { type: 'exponential' as const, delayMs: 100, jitter: 0 };
    expect([1, 2, 3, 4].map((r) => backoffDelay(b, r))).toEqual([100, 200, 400, 800]);
    expect(backoffDelay(b, 60)).toBe(24 * 3_600_000);
  });

  it('shortens each wait by up to the jitter fraction', () => {
    const b = { type: 'fixed' as const, delayMs: 1000, jitter: 0.5 };
    expect(backoffDelay(b, 1, () => 0)).toBe(1000);
    expect(backoffDelay(b, 1, () => 1)).toBe(500);
    expect(backoffDelay(b, 1, () => 0.5)).toBe(750);
  });
});
