import { FrameBudget } from './frame-budget';

describe(FrameBudget.name, () => {
  it('accepts a burst at once, then the rate', () => {
    const sut = new FrameBudget(10, 5, 0);
    const burst = Array.from({ length: 5 }, () => sut.take(0).action);
    expect(burst).toEqual(['accept', 'accept', 'accept', 'accept', 'accept']);
    expect(sut.take(0)).toEqual({ action: 'drop', warn: true });
    // 100 ms later one more token (10 per second).
    expect(sut.take(100).action).toBe('accept');
    expect(sut.take(100)).toEqual({ action: 'drop', warn: false });
  });

  it('never holds more than the burst, however long the connection was idle', () => {
    const sut = new FrameBudget(10, 3, 0);
    const verdicts = Array.from({ length: 4 }, () => sut.take(3_600_000).action);
    expect(verdicts).toEqual(['accept', 'accept', 'accept', 'drop']);
  });

  it('closes a client that goes on sending a burst more after the warning', () => {
    const sut = new FrameBudget(1, 4, 0);
    for (let i = 0; i < 4; i++) sut.take(0);
    const after = Array.from({ length: 4 }, () => sut.take(10).action);
    expect(after).toEqual(['drop', 'drop', 'drop', 'close']);
  });

  it('forgets drops after a second without any, and warns again', () => {
    const sut = new FrameBudget(1, 4, 0);
    for (let i = 0; i < 4; i++) sut.take(0);
    expect(sut.take(0)).toEqual({ action: 'drop', warn: true });
    expect(sut.take(0)).toEqual({ action: 'drop', warn: false });
    // 1.5 s later: one token back, and the drop episode is over.
    expect(sut.take(1_500).action).toBe('accept');
    expect(sut.take(1_500)).toEqual({ action: 'drop', warn: true });
  });

  it('lets a client at the rate run forever', () => {
    const sut = new FrameBudget(20, 1, 0);
    const actions = new Set(Array.from({ length: 1_000 }, (_, i) => sut.take(i * 50).action));
    expect([...actions]).toEqual(['accept']);
  });
});
