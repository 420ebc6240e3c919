import { PeriodicWorker } from './periodic.worker';

describe(PeriodicWorker.name, () => {
  it('joins a pass asked for while one runs instead of starting another', async () => {
    let passes = 0;
    let release!: () => void;
    const sut = new PeriodicWorker(
      60_000,
      () => new Promise<number>((r) => ((release = () => r(++passes)), undefined)),
      () => undefined,
    );
    const first = sut.run();
    const second = sut.run();
    release();
    await expect(Promise.all([first, second])).resolves.toEqual([1, 1]);
    expect(passes).toBe(1);
  });

  it('reports a failed pass and carries on', async () => {
    const errors: unknown[] = [];
    let fail = true;
    const sut = new PeriodicWorker(
      60_000,
      async () => {
        if (fail) throw new Error('store down');
        return 'ok';
      },
      (e) => errors.push(e),
    );
    await expect(sut.run()).resolves.toBeUndefined();
    fail = false;
    await expect(sut.run()).resolves.toBe('ok');
    expect(errors).toEqual([new Error('store down')]);
  });

  it('stops after the pass under way', async () => {
    let done = false;
    const sut = new PeriodicWorker(
      60_000,
      async () => {
        await new Promise((r) => setImmediate(r));
        done = true;
      },
      () => undefined,
    );
    sut.start();
    void sut.run();
    await sut.stop();
    expect(done).toBe(true);
  });

  it('runs its pass on every tick once started, and no more after stop', async () => {
    jest.useFakeTimers();
    try {
      let passes = 0;
      const sut = new PeriodicWorker(
        1_000,
        async () => {
          passes++;
        },
        () => undefined,
      );
      sut.start();
      await jest.advanceTimersByTimeAsync(3_000);
      expect(passes).toBe(3);
      await sut.stop();
      await jest.advanceTimersByTimeAsync(3_000);
      expect(passes).toBe(3);
    } finally {
      jest.useRealTimers();
    }
  });
});
