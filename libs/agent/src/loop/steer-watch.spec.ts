import type { JobEntity } from '@wiz/persistence';
import { Steering, SteerSource, STEER_READ_MS } from './steer-watch';

describe('Steering', () => {
  const job = { id: 'j1' } as JobEntity;
  const setup = (o: { listening: boolean; readAt: number }) => {
    let clock = 10_000;
    const heard = new Set<string>();
    const reads: number[] = [];
    const source: SteerSource = {
      heard: (id) => heard.delete(id),
      listening: o.listening,
      read: async () => (reads.push(clock), false),
      forget: () => undefined,
    };
    const steering = new Steering(job, source, o.readAt, () => clock);
    return { steering, heard, reads, tick: (ms: number) => (clock += ms) };
  };

  it('answers from what the bus said while the last read is recent, and reads the store once it is not', async () => {
    const { steering, heard, reads, tick } = setup({ listening: true, readAt: 10_000 });
    expect(await steering.waiting()).toBe(false);
    heard.add('j1');
    expect(await steering.waiting()).toBe(true);
    expect(await steering.waiting()).toBe(false); // heard once
    expect(reads).toEqual([]);
    tick(STEER_READ_MS);
    expect(await steering.waiting()).toBe(false);
    expect(reads).toEqual([10_000 + STEER_READ_MS]);
    tick(STEER_READ_MS - 1);
    await steering.waiting();
    expect(reads).toHaveLength(1);
  });

  it('reads at the first step when the run did not start from a read, and at every step when the bus is not heard', async () => {
    const fresh = setup({ listening: true, readAt: 0 });
    await fresh.steering.waiting();
    await fresh.steering.waiting();
    expect(fresh.reads).toHaveLength(1);
    const deaf = setup({ listening: false, readAt: 10_000 });
    await deaf.steering.waiting();
    await deaf.steering.waiting();
    expect(deaf.reads).toHaveLength(2);
  });
});
