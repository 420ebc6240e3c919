import { AgentActor, Outcome } from './agent-actor';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const cmd = (jobId: string, priority = 0): { jobId: string; priority: number; backlog?: boolean } => ({
  jobId,
  priority,
});
type Cmd = ReturnType<typeof cmd>;
const opts = (recheckMs = 1_000) => ({ prefetch: 100, fetch: async (): Promise<Cmd[]> => [], recheckMs });

describe(AgentActor.name, () => {
  it('runs one command at a time', async () => {
    const gate = deferred();
    const log: string[] = [];
    const sut = new AgentActor(
      'a',
      async (c) => {
        log.push(`start ${c.jobId}`);
        if (c.jobId === 'j1') await gate.promise;
        log.push(`end ${c.jobId}`);
        return 'done' as Outcome;
      },
      opts(),
    );
    const first = sut.deliver(cmd('j1'));
    const second = sut.deliver(cmd('j2'));
    await Promise.resolve();
    expect(log).toEqual(['start j1']);
    expect(sut.queued).toBe(1);
    gate.resolve();
    await Promise.all([first, second]);
    expect(log).toEqual(['start j1', 'end j1', 'start j2', 'end j2']);
    expect(sut.busy).toBe(false);
  });

  it('takes the highest priority next, first come first served among equals', async () => {
    const gate = deferred();
    const order: string[] = [];
    const sut = new AgentActor(
      'a',
      async (c) => {
        order.push(c.jobId);
        if (c.jobId === 'first') await gate.promise;
        return 'done' as Outcome;
      },
      opts(),
    );
    const all = [
      sut.deliver(cmd('first')),
      sut.deliver(cmd('low', -1)),
      sut.deliver(cmd('a', 5)),
      sut.deliver(cmd('b', 5)),
      sut.deliver(cmd('c', 0)),
    ];
    gate.resolve();
    await Promise.all(all);
    expect(order).toEqual(['first', 'a', 'b', 'c', 'low']);
  });

  it('rejects only the command that failed and goes on', async () => {
    const sut = new AgentActor(
      'a',
      async (c) => {
        if (c.jobId === 'bad') throw new Error('boom');
        return 'done' as Outcome;
      },
      opts(),
    );
    const bad = sut.deliver(cmd('bad'));
    const good = sut.deliver(cmd('good'));
    await expect(bad).rejects.toThrow('boom');
    await expect(good).resolves.toBe('handled');
  });

  it('holds a command while paused and runs it when woken', async () => {
    let paused = true;
    const tries: string[] = [];
    const sut = new AgentActor(
      'a',
      async (c) => {
        tries.push(c.jobId);
        return paused ? { hold: 'paused' as const } : 'done';
      },
      opts(60_000),
    );
    const done = sut.deliver(cmd('j1'));
    await new Promise((r) => setImmediate(r));
    expect(tries).toEqual(['j1']);
    paused = false;
    sut.wake();
    await done;
    expect(tries).toEqual(['j1', 'j1']);
  });

  it('runs the job that holds the agent before the one that was refused', async () => {
    const ran: string[] = [];
    let holder: string | null = 'interrupted';
    const sut = new AgentActor(
      'a',
      async (c) => {
        if (holder && c.jobId !== holder) return { hold: 'busy' as const, holder };
        ran.push(c.jobId);
        holder = null;
        return 'done' as Outcome;
      },
      opts(60_000),
    );
    const waiting = sut.deliver(cmd('next', 10));
    await new Promise((r) => setImmediate(r));
    const redelivered = sut.deliver(cmd('interrupted'));
    await Promise.all([waiting, redelivered]);
    expect(ran).toEqual(['interrupted', 'next']);
  });

  it('holds at most `prefetch` waiting commands, drops the worst, and fetches from the store when empty', async () => {
    const gate = deferred();
    const ran: string[] = [];
    const store = [cmd('stored-1', 1), cmd('stored-2')];
    const fetches: number[] = [];
    const sut = new AgentActor(
      'a',
      async (c: Cmd) => {
        ran.push(c.jobId);
        if (c.jobId === 'running') await gate.promise;
        return 'done' as Outcome;
      },
      { prefetch: 2, fetch: async (limit) => (fetches.push(limit), store.splice(0, limit)) },
    );
    const running = sut.deliver(cmd('running'));
    const kept = [sut.deliver(cmd('low')), sut.deliver(cmd('high', 5))];
    // A third waiting command: the worst of the three ('low') is acknowledged at once.
    const dropped = { low: false };
    void kept[0]!.then(() => (dropped.low = !ran.includes('low')));
    const better = sut.deliver(cmd('mid', 1));
    await kept[0];
    expect(dropped.low).toBe(true);
    expect(sut.queued).toBe(2);
    gate.resolve();
    await Promise.all([running, kept[1], better]);
    await new Promise((r) => setImmediate(r));
    // Then the store: a full page (2) first, an empty page ends the catch-up.
    expect(ran).toEqual(['running', 'high', 'mid', 'stored-1', 'stored-2']);
    expect(fetches).toEqual([2, 2]);
    expect(sut.busy).toBe(false);
  });

  it('fetches from the store after a command marked `backlog`, and not otherwise', async () => {
    const fetches: string[] = [];
    const sut = new AgentActor<Cmd>('a', async () => 'done' as Outcome, {
      prefetch: 4,
      fetch: async () => (fetches.push('fetch'), []),
    });
    await sut.deliver(cmd('plain'));
    expect(fetches).toEqual([]);
    await sut.deliver({ ...cmd('resent'), backlog: true });
    await new Promise((r) => setImmediate(r));
    expect(fetches).toEqual(['fetch']);
  });

  it('keeps one copy of a command delivered twice', async () => {
    const gate = deferred();
    const ran: string[] = [];
    const sut = new AgentActor(
      'a',
      async (c: Cmd) => {
        ran.push(c.jobId);
        if (c.jobId === 'first') await gate.promise;
        return 'done' as Outcome;
      },
      opts(),
    );
    const all = [sut.deliver(cmd('first')), sut.deliver(cmd('twice')), sut.deliver(cmd('twice'))];
    expect(sut.queued).toBe(1);
    gate.resolve();
    await Promise.all(all);
    expect(ran).toEqual(['first', 'twice']);
  });

  it('on stop, hands waiting commands back at once, lets the running one finish, and runs nothing more', async () => {
    const gate = deferred();
    const ran: string[] = [];
    const sut = new AgentActor(
      'a',
      async (c) => {
        ran.push(c.jobId);
        if (c.jobId === 'j1') await gate.promise;
        return 'done' as Outcome;
      },
      opts(),
    );
    const running = sut.deliver(cmd('j1'));
    const waiting = sut.deliver(cmd('j2'));
    await Promise.resolve();
    expect(sut.stop()).toBe(false);
    await expect(waiting).resolves.toBe('handed-back');
    gate.resolve();
    await expect(running).resolves.toBe('handled');
    expect(ran).toEqual(['j1']);
  });

  it('on stop, reports a backlog when it held jobs fetched from the store', async () => {
    const gate = deferred();
    const sut = new AgentActor(
      'a',
      async (c) => {
        if (c.jobId === 'j1') await gate.promise;
        return 'done' as Outcome;
      },
      { prefetch: 1, fetch: async (): Promise<Cmd[]> => [], recheckMs: 1_000 },
    );
    const running = sut.deliver(cmd('j1'));
    const kept = sut.deliver(cmd('j2', 5));
    await expect(sut.deliver(cmd('j3'))).resolves.toBe('handled'); // dropped: stays queued in the store
    expect(sut.stop()).toBe(true);
    await expect(kept).resolves.toBe('handed-back');
    gate.resolve();
    await expect(running).resolves.toBe('handled');
  });
});
