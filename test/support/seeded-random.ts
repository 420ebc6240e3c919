import { randomInt } from 'node:crypto';

// A seeded PRNG (mulberry32), so that a run's random choices (model delays, kill moments) can be
// replayed: every test logs its seed, and WIZ_TEST_SEED=<seed> repeats the run.
export class SeededRandom {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }

  /** Uniform integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
}

export function testSeed(): number {
  const fixed = process.env['WIZ_TEST_SEED'];
  return fixed ? Number(fixed) : randomInt(2 ** 31);
}
