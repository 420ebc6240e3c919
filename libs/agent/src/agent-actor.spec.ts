import { AgentActor } from './agent-actor';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe(AgentActor.name, () => {
  it('runs one command at a time, in arrival order', async () => {
    const gates = [deferred(), deferred()];
    const log: string[] = [];
    const sut = new AgentActor<number>('a', async (n) => {
      log.push(`start ${n}`);
      await gates[n]!.promise;
      log.push(`end ${n}`);
    });
    const first = sut.deliver(0);
    const second = sut.deliver(1);
    await Promise.resolve();
    expect(log).toEqual(['start 0']);
    expect(sut.queued).toBe(1);
    gates[0]!.resolve();
    await first;
    gates[1]!.resolve();
    await second;
    expect(log).toEqual(['start 0', 'end 0', 'start 1', 'end 1']);
    expect(sut.busy).toBe(false);
  });

  it('rejects only the command that failed and goes on', async () => {
    const sut = new AgentActor<string>('a', async (c) => {
      if (c === 'bad') throw new Error('boom');
    });
    const bad = sut.deliver('bad');
    const good = sut.deliver('good');
    await expect(bad).rejects.toThrow('boom');
    await expect(good).resolves.toBeUndefined();
  });
});
