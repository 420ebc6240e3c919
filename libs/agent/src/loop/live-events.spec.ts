import type { JobEntity } from '@wiz/persistence';
import { LiveEvents, TokenBatcher } from './live-events';

describe(TokenBatcher.name, () => {
  const sent: string[] = [];
  const live = {
    publish: (_job: JobEntity, _type: string, data: { delta: string }) => void sent.push(data.delta),
  } as unknown as LiveEvents;
  let sut: TokenBatcher;

  beforeEach(() => {
    jest.useFakeTimers({ now: 1_000_000 });
    sent.length = 0;
    sut = new TokenBatcher(live, {} as JobEntity, () => ({ iteration: 1, step: 1 }), 50);
  });
  afterEach(() => jest.useRealTimers());

  it('sends a delta after a quiet window at once, and batches the ones that follow within it', () => {
    sut.push('a');
    expect(sent).toEqual(['a']);
    jest.advanceTimersByTime(10);
    sut.push('b');
    sut.push('c');
    expect(sent).toEqual(['a']);
    jest.advanceTimersByTime(40);
    expect(sent).toEqual(['a', 'bc']);
    jest.advanceTimersByTime(60);
    sut.push('d');
    expect(sent).toEqual(['a', 'bc', 'd']);
  });

  it('sends what is left when the step ends', () => {
    sut.push('a');
    sut.push('b');
    sut.endStep();
    expect(sent).toEqual(['a', 'b']);
  });
});
