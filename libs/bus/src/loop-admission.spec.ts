import { LoopAdmission } from './loop-admission';

/** Keeps the event loop late for `ms`: a chain of callbacks, each busy for `slice` ms. */
function hog(ms: number, slice = 30): Promise<number> {
  const end = performance.now() + ms;
  return new Promise((resolve) => {
    const step = () => {
      const until = performance.now() + slice;
      while (performance.now() < until);
      if (performance.now() < end) setImmediate(step);
      else resolve(performance.now());
    };
    setImmediate(step);
  });
}

describe(LoopAdmission.name, () => {
  it('admits every job at once when it is off (maxLagMs 0)', () => {
    const gate = new LoopAdmission({ maxLagMs: 0 });
    for (let i = 0; i < 1_000; i++) expect(gate.admit()).toBeUndefined();
    expect(gate.queued).toBe(0);
  });

  it('admits a few jobs at once while the loop is on time, and the next ones in order after a look', async () => {
    const gate = new LoopAdmission({ maxLagMs: 50, perProbe: 2, probeMs: 5, minRunning: 0 });
    expect(gate.admit()).toBeUndefined();
    expect(gate.admit()).toBeUndefined();
    const order: number[] = [];
    const waits = [1, 2, 3, 4, 5].map((i) => gate.admit()!.then(() => order.push(i)));
    expect(gate.queued).toBe(5);
    await Promise.all(waits);
    expect(order).toEqual([1, 2, 3, 4, 5]);
    expect(gate.queued).toBe(0);
  });

  it('lets twice as many in at each look that finds the loop well on time, and the few again once it is idle', async () => {
    const gate = new LoopAdmission({ maxLagMs: 1_000, perProbe: 1, probeMs: 5, minRunning: 0 });
    expect(gate.admit()).toBeUndefined();
    await Promise.all(Array.from({ length: 300 }, () => gate.admit()!));
    // 1 + 2 + 4 + … : 300 in after 9 looks, not 300 (a fixed number per look caps the rate).
    expect(gate.allowancePerLook).toBeGreaterThanOrEqual(256);
    while (gate.allowancePerLook !== 1) await new Promise((r) => setTimeout(r, 5));
  });

  it('holds new jobs while the loop runs late and lets them in once it is on time again', async () => {
    const gate = new LoopAdmission({ maxLagMs: 10, perProbe: 1, probeMs: 5, minRunning: 0 });
    expect(gate.admit()).toBeUndefined();
    const hogged = hog(300);
    let admittedAt = 0;
    const waiting = gate.admit()!.then(() => (admittedAt = performance.now()));
    const hogEnd = await hogged;
    await waiting;
    // It waited for the loop, not for a fixed time: the looks during the hog saw it ~25 ms late.
    expect(admittedAt).toBeGreaterThanOrEqual(hogEnd);
    expect(gate.lastLagMs).toBeLessThanOrEqual(10);
  });

  it('lets a few jobs run whatever the delay: the next waiting one goes in as one of them settles', async () => {
    const gate = new LoopAdmission({ maxLagMs: 10, perProbe: 1, probeMs: 5, minRunning: 2 });
    let hogDone = false;
    const hogged = hog(400).then(() => (hogDone = true));
    // Two go in on the floor, the third waits.
    expect(gate.admit()).toBeUndefined();
    expect(gate.admit()).toBeUndefined();
    let third = false;
    const waiting = gate.admit()!.then(() => (third = true));
    // A look at the loop finds it late: the third still waits.
    while (gate.lastLagMs <= 10) await new Promise((r) => setImmediate(r));
    expect(third).toBe(false);
    expect(gate.queued).toBe(1);
    gate.settled();
    await waiting;
    // In on the floor, not because the loop was on time again.
    expect(hogDone).toBe(false);
    expect(gate.queued).toBe(0);
    await hogged;
  });

  it('lets every waiting job go at once on releaseAll (shutdown: their callers hand them back)', async () => {
    const gate = new LoopAdmission({ maxLagMs: 10, perProbe: 1, probeMs: 5, minRunning: 0 });
    expect(gate.admit()).toBeUndefined();
    const hogged = hog(200);
    let released = 0;
    const waits = [1, 2, 3].map(() => gate.admit()!.then(() => released++));
    await new Promise((r) => setImmediate(r));
    gate.releaseAll();
    await Promise.all(waits);
    expect(released).toBe(3);
    expect(gate.queued).toBe(0);
    await hogged;
  });
});
