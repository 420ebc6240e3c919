import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Deadline, DeadlineExceeded } from './deadline';

// The GC bug this guards against: on Node 20, AbortSignal.any([…, AbortSignal.timeout(ms)])
// never fires once a GC ran during the wait (nodejs/node#57736).
setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;
const aborted = (signal: AbortSignal) =>
  new Promise<unknown>((resolve) => signal.addEventListener('abort', () => resolve(signal.reason)));

describe(Deadline.name, () => {
  it('fires after its time even when a GC runs while waiting', async () => {
    const parent = new AbortController();
    // Held only the way the AI SDK holds it: a signal combined with the caller's.
    const signal = AbortSignal.any([parent.signal, new Deadline(200, parent.signal).signal]);
    const reason = aborted(signal);
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 20));
      gc();
    }
    await expect(reason).resolves.toBeInstanceOf(DeadlineExceeded);
  });

  it('follows its parent, and stops its timer when cleared', async () => {
    const parent = new AbortController();
    const sut = new Deadline(60_000, parent.signal);
    parent.abort(new Error('cancelled'));
    expect(sut.signal.reason).toEqual(new Error('cancelled'));
    expect(sut.expired).toBe(false);
    sut.clear();
    const cleared = new Deadline(10);
    cleared.clear();
    await new Promise((r) => setTimeout(r, 30));
    expect(cleared.signal.aborted).toBe(false);
  });
});
