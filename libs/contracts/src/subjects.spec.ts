import { busNames, parseEventSubject, partitionOf } from './subjects';

describe('busNames', () => {
  const sut = busNames('wiz');

  it('builds every name from the prefix', () => {
    expect(sut.streams).toEqual({ mailbox: 'wiz_mailbox', events: 'wiz_events' });
    expect(sut.mailboxSubject(3, 'a')).toBe('wiz.mailbox.3.a');
    expect(sut.mailboxPartitionFilter(3)).toBe('wiz.mailbox.3.*');
    expect(sut.eventSubject({ agentId: 'a', jobId: 'j', type: 'job.created' })).toBe(
      'wiz.events.agent.a.j.job.created',
    );
    expect(sut.eventSubject({ agentId: 'a', type: 'agent.created' })).toBe('wiz.events.agent.a._.agent.created');
    expect(sut.eventSubject({ conversationId: 'c', type: 'message.created' })).toBe(
      'wiz.events.conversation.c.message.created',
    );
    // A job's events stay on its agent's subject, conversation or not.
    expect(sut.eventSubject({ agentId: 'a', jobId: 'j', conversationId: 'c', type: 'job.completed' })).toBe(
      'wiz.events.agent.a.j.job.completed',
    );
    expect(sut.conversationEventsFilter('c')).toBe('wiz.events.conversation.c.>');
  });

  it('filters match the subjects they are meant to', () => {
    const subject = sut.eventSubject({ agentId: 'a', jobId: 'j', type: 'job.active' });
    const matches = (filter: string, s: string) =>
      new RegExp('^' + filter.replace(/\./g, '\\.').replace(/\*/g, '[^.]+').replace(/>$/, '.+') + '$').test(s);
    expect(matches(sut.agentEventsFilter('a'), subject)).toBe(true);
    expect(matches(sut.jobEventsFilter('j'), subject)).toBe(true);
    expect(matches(sut.jobEventsFilter('x'), subject)).toBe(false);
  });

  it.each(['', 'Wiz', 'a.b', 'a b', '9x', 'x'.repeat(33)])('rejects the prefix %p', (p) => {
    expect(() => busNames(p)).toThrow(/invalid bus prefix/);
  });
});

describe(partitionOf.name, () => {
  it('is stable and in range', () => {
    const id = '8d7b2f0e-8c9e-4b7a-9f5e-2f0b1c3d4e5f';
    expect(partitionOf(id, 16)).toBe(partitionOf(id, 16));
    for (let i = 0; i < 200; i++) {
      const p = partitionOf(`agent-${i}`, 16);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(16);
    }
  });

  it('spreads agents over the partitions', () => {
    const counts = new Array<number>(16).fill(0);
    for (let i = 0; i < 1600; i++) counts[partitionOf(crypto.randomUUID(), 16)]!++;
    expect(Math.min(...counts)).toBeGreaterThan(50);
  });
});

describe(parseEventSubject.name, () => {
  const names = busNames('wiz');

  it('reads back the ids and type of every subject eventSubject and liveSubject build', () => {
    expect(parseEventSubject(names.eventSubject({ agentId: 'a', jobId: 'j', type: 'job.completed' }))).toEqual({
      stream: 'events',
      kind: 'agent',
      agentId: 'a',
      jobId: 'j',
      type: 'job.completed',
    });
    expect(parseEventSubject(names.eventSubject({ agentId: 'a', type: 'agent.created' }))).toEqual({
      stream: 'events',
      kind: 'agent',
      agentId: 'a',
      type: 'agent.created',
    });
    expect(parseEventSubject(names.eventSubject({ conversationId: 'c', type: 'message.created' }))).toEqual({
      stream: 'events',
      kind: 'conversation',
      conversationId: 'c',
      type: 'message.created',
    });
    expect(parseEventSubject(names.liveSubject({ agentId: 'a', jobId: 'j', type: 'agent.token' }))).toEqual({
      stream: 'live',
      kind: 'agent',
      agentId: 'a',
      jobId: 'j',
      type: 'agent.token',
    });
  });

  it('returns null for any other subject', () => {
    for (const subject of [
      names.mailboxSubject(0, 'a'),
      names.control('wake'),
      'wiz.events.agent.a.j',
      'wiz.events.conversation.c',
      'wiz.live.conversation.c.message.created',
      'wiz.events.job.a.j.job.created',
      'wiz',
      '',
    ]) {
      expect(parseEventSubject(subject)).toBeNull();
    }
  });
});
