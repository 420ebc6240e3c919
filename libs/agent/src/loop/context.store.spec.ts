import { appended } from './context.store';

const lists = (messages: unknown[], toolCalls: unknown[] = []) => ({
  messages,
  toolCalls,
  partialOutputs: [],
  errors: [],
  learnings: [],
});

describe(appended.name, () => {
  const sut = appended;
  const [a, b, c] = [{ role: 'user' }, { role: 'assistant' }, { role: 'tool' }];

  it('gives the elements added after the saved ones, in order, list by list', () => {
    expect(sut(lists([a], []), lists([a, b, c], ['t']))).toEqual([
      { kind: 'messages', value: b },
      { kind: 'messages', value: c },
      { kind: 'toolCalls', value: 't' },
    ]);
    expect(sut(lists([a, b]), lists([a, b]))).toEqual([]);
  });

  it('gives null when a saved element was replaced, even by an equal copy, or removed', () => {
    expect(sut(lists([a, b]), lists([a, { ...b }]))).toBeNull();
    expect(sut(lists([a, b]), lists([{ role: 'user', content: 'summary' }]))).toBeNull();
    expect(sut(lists([a, b]), lists([a]))).toBeNull();
  });
});
