import { MessageEntity } from '@wiz/persistence';
import { buildContext, mentionedAgents, SUMMARY_MAX_CHARS } from './conversation-context';

const msg = (i: number, over: Partial<MessageEntity> = {}): MessageEntity =>
  Object.assign(new MessageEntity(), {
    id: `m${i}`,
    authorKind: 'user',
    authorId: 'u1',
    authorName: 'Ann',
    content: `message ${i}`,
    role: 'user',
    deletedAt: null,
    ...over,
  });

describe(buildContext.name, () => {
  it("keeps the last `window` messages, the agent's own as assistant, and summarises the older ones", () => {
    const history = [
      msg(1),
      msg(2, { authorKind: 'agent', authorId: 'a1', authorName: 'Ada', role: 'assistant' }),
      msg(3),
      msg(4),
    ];
    const sut = buildContext(history, 'a1', 3, false, false);
    expect(sut.conversation).toEqual([
      { role: 'assistant', content: 'message 2' },
      { role: 'user', content: 'message 3' },
      { role: 'user', content: 'message 4' },
    ]);
    expect(sut.summary).toBe('Earlier in this conversation (1 older message, shortened):\nAnn: message 1');
  });

  it('names the speakers in channels, and another agent speaks as a user', () => {
    const other = msg(1, { authorKind: 'agent', authorId: 'a2', authorName: 'Bob', role: 'assistant' });
    expect(buildContext([other], 'a1', 5, true, false)).toEqual({
      conversation: [{ role: 'user', content: 'Bob: message 1' }],
    });
  });

  it('leaves out deleted messages and notices', () => {
    const history = [msg(1, { deletedAt: new Date() }), msg(2, { role: 'system' }), msg(3)];
    expect(buildContext(history, 'a1', 5, false, false).conversation).toEqual([{ role: 'user', content: 'message 3' }]);
  });

  it('bounds the summary and says when older messages were left out', () => {
    const history = Array.from({ length: 100 }, (_, i) => msg(i, { content: 'x'.repeat(500) }));
    const sut = buildContext(history, 'a1', 2, false, false);
    expect(sut.summary!.length).toBeLessThanOrEqual(SUMMARY_MAX_CHARS + 200);
    expect(sut.summary).toMatch(/older ones left out/);
    expect(sut.conversation).toHaveLength(2);
  });
});

describe(mentionedAgents.name, () => {
  const agents = [
    { id: 'ada', name: 'Ada' },
    { id: 'lovelace', name: 'Ada Lovelace' },
    { id: 'bob', name: 'Bob' },
  ];

  it.each([
    ['hey @bob, look', ['bob']],
    ['@Ada Lovelace please', ['lovelace']],
    ['@Ada and @Ada Lovelace', ['lovelace', 'ada']],
    ['mail bob@bob.com or @Bobby', []],
    ['nobody', []],
  ])('%p mentions %p', (content, expected) => {
    expect(mentionedAgents(content, agents).sort()).toEqual([...expected].sort());
  });
});
