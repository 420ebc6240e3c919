import { AgentActor, Outcome } from './agent-actor';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const cmd = (jobId: string, priority = 0) => ({ jobId, priority });

describe(AgentActor.name, () => {
  it('runs one command at a time', async () => {
    const gate = deferred();
    const log: string[] = [];
    const sut = new AgentActor('a', async (c) => {
      log.push(`start ${c.jobId}`);
      if (c.jobId === 'j1') await gate.promise;
      log.push(`end ${c.jobId}`);
      return 'done' as Outcome;
    });
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
    const sut = new AgentActor('a', async (c) => {
      order.push(c.jobId);
      if (c.jobId === 'first') await gate.promise;
      return 'done' as Outcome;
    });
    const all = [sut.deliver(cmd('first')), sut.deliver(cmd('low', -1)), sut.deliver(cmd('a', 5)), sut.deliver(cmd('b', 5)), sut.deliver(cmd('c', 0))];
    gate.resolve();
    await Promise.all(all);
    expect(order).toEqual(['first', 'a', 'b', 'c', 'low']);
  });

  it('rejects only the command that failed and goes on', async () => {
    const sut = new AgentActor('a', async (c) => {
      if (c.jobId === 'bad') throw new Error('boom');
      return 'done' as Outcome;
    });
    const bad = sut.deliver(cmd('bad'));
    const good = sut.deliver(cmd('good'));
    await expect(bad).rejects.toThrow('boom');
    await expect(good).resolves.toBeUndefined();
  });

  it('holds a command while paused and runs it when woken', async () => {
    let paused = true;
    const tries: string[] = [];
    const sut = new AgentActor('a', async (c) => {
      tries.push(c.jobId);
      return paused ? { hold: 'paused' as const } : 'done';
    }, 60_000);
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
    const sut = new AgentActor('a', async (c) => {
      if (holder && c.jobId !== holder) return { hold: 'busy' as const, holder };
      ran.push(c.jobId);
      holder = null;
      return 'done' as Outcome;
    }, 60_000);
    const waiting = sut.deliver(cmd('next', 10));
    await new Promise((r) => setImmediate(r));
    const redelivered = sut.deliver(cmd('interrupted'));
    await Promise.all([waiting, redelivered]);
    expect(ran).toEqual(['interrupted', 'next']);
  });
});
