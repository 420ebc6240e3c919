import { WizError } from '@wiz/contracts';
import { JobsService, QueueLimits } from '@wiz/queue';
import { isolation } from '../support/isolation';
import { insertAgent, openQueueStack, QueueStack, Store } from '../support/queue-stack';

// A submit to an agent its process has seen take a job does not read the agent again: the insert's
// own statement checks that it still takes jobs. What changed since (in this process or another:
// here, straight in the store) is refused as the first submit would refuse it, and stores nothing.
describe.each<[Store]>([['postgres'], ['sqlite']])('a submit to a known agent on %s', (store) => {
  const iso = isolation(`ka${store}`);
  let stack: QueueStack;
  let jobs: JobsService;
  const CAP = 2;

  beforeAll(async () => {
    stack = await openQueueStack(iso, store);
    jobs = new JobsService(
      stack.agents,
      stack.jobRepo,
      stack.changes,
      stack.flow,
      stack.bus,
      stack.budgets,
      new QueueLimits({ WIZ_MAX_QUEUED_PER_AGENT: CAP, WIZ_MAX_QUEUED_PER_OWNER: 1_000 }, stack.jobRepo),
    );
  });

  afterAll(() => stack.close());

  /** An agent this process knows: one job submitted to it (delayed: it stays not started). */
  const knownAgent = async (owner: string) => {
    const agent = await insertAgent(stack.agents, owner);
    await jobs.submit(owner, { agentId: agent.id, input: 'first', delay: 3_600_000 });
    return agent;
  };
  const jobCount = async (owner: string, agentId: string) => (await stack.jobRepo.list(owner, listAll(agentId)))[1];
  const refusal = (p: Promise<unknown>) =>
    p.then(
      () => 'accepted',
      (e: unknown) => (e instanceof WizError ? `${e.code}: ${e.message}` : `not a WizError: ${String(e)}`),
    );

  it('does not read the agent again', async () => {
    const agent = await knownAgent('o1');
    const reads = jest.spyOn(stack.agents, 'findForSubmit');
    try {
      await jobs.submit('o1', { agentId: agent.id, input: 'second', delay: 3_600_000 });
      expect(reads).not.toHaveBeenCalled();
    } finally {
      reads.mockRestore();
    }
    expect(await jobCount('o1', agent.id)).toBe(2);
  });

  it('refuses an agent made inactive since, and takes jobs again once it is active', async () => {
    const agent = await knownAgent('o2');
    await stack.agents.update('o2', agent.id, { status: 'inactive' });
    expect(await refusal(jobs.submit('o2', { agentId: agent.id, input: 'x' }))).toMatch(/^conflict: .*inactive/);
    expect(await jobCount('o2', agent.id)).toBe(1);
    await stack.agents.update('o2', agent.id, { status: 'active' });
    await jobs.submit('o2', { agentId: agent.id, input: 'y', delay: 3_600_000 });
    expect(await jobCount('o2', agent.id)).toBe(2);
  });

  it('refuses an agent deleted since', async () => {
    const agent = await knownAgent('o3');
    await stack.agents.update('o3', agent.id, { deletedAt: new Date() });
    expect(await refusal(jobs.submit('o3', { agentId: agent.id, input: 'x' }))).toMatch(/^not_found: /);
    expect(await jobCount('o3', agent.id)).toBe(1);
  });

  it('refuses a job once a budget set since is spent', async () => {
    const agent = await knownAgent('o4');
    await stack.budgets.replace('o4', { budgets: [{ agentId: agent.id, period: 'day', maxTokens: 0 }] });
    expect(await refusal(jobs.submit('o4', { agentId: agent.id, input: 'x' }))).toMatch(
      /^rate_limited: budget exceeded/,
    );
    expect(await jobCount('o4', agent.id)).toBe(1);
  });

  it('refuses a job past its queue bound with the bound named', async () => {
    const agent = await knownAgent('o5');
    await jobs.submit('o5', { agentId: agent.id, input: 'second', delay: 3_600_000 });
    expect(await refusal(jobs.submit('o5', { agentId: agent.id, input: 'third' }))).toMatch(
      /^rate_limited: .*WIZ_MAX_QUEUED_PER_AGENT/,
    );
    expect(await jobCount('o5', agent.id)).toBe(CAP);
  });

  it('commits the others of a group in which one agent no longer takes jobs', async () => {
    const agents = await Promise.all([knownAgent('o6'), knownAgent('o6'), knownAgent('o6')]);
    await stack.agents.update('o6', agents[1]!.id, { status: 'inactive' });
    // Submitted in one turn of the event loop: one group (on Postgres, the failing insert fails it).
    const outcomes = await Promise.all(
      agents.map((a) => refusal(jobs.submit('o6', { agentId: a.id, input: 'x', delay: 3_600_000 }))),
    );
    expect(outcomes[0]).toBe('accepted');
    expect(outcomes[1]).toMatch(/^conflict: .*inactive/);
    expect(outcomes[2]).toBe('accepted');
    expect(await Promise.all(agents.map((a) => jobCount('o6', a.id)))).toEqual([2, 1, 2]);
  });
});

function listAll(agentId: string) {
  return { agentId, limit: 100, offset: 0 };
}
