import { ActivityContextsRepository, JobEntity, UsageRepository } from '@wiz/persistence';
import { ContextStore } from '../../libs/agent/src/loop/context.store';
import { RunJournalService } from '../../libs/agent/src/loop/run/run-journal.service';
import { isolation } from '../support/isolation';
import { openQueueStack, QueueStack, Store } from '../support/queue-stack';

// A step's save sends the context's append with its commit (one round trip). If another writer
// changed the stored context meanwhile (a runtime that took the job over), that transaction fails
// and writes nothing, and the save runs again writing the context whole: the step is saved once.
describe.each<[Store]>([['postgres'], ['sqlite']])('a step save on %s', (store) => {
  const iso = isolation(`ssr${store}`);
  let stack: QueueStack;
  let contexts: ContextStore;
  let journal: RunJournalService;

  beforeAll(async () => {
    stack = await openQueueStack(iso, store);
    contexts = new ContextStore(new ActivityContextsRepository(stack.ds));
    // Only the context, the usage ledger and the commit are used here.
    journal = new RunJournalService(
      contexts,
      null as never,
      stack.changes,
      new UsageRepository(stack.ds),
      stack.budgets,
    );
  });

  afterAll(() => stack.close());

  it('saves the step once when another writer changed the context since the last save', async () => {
    const job = Object.assign(new JobEntity(), {
      id: crypto.randomUUID(),
      ownerId: 'o',
      agentId: crypto.randomUUID(),
      input: 'x',
      attemptLog: [{ attempt: 1 }, { attempt: 2 }],
    } as unknown as JobEntity);
    const ctx = contexts.fresh(job);
    const attempts: boolean[] = [];
    const save = () =>
      journal.commitSave(ctx, (withCommit) => async (m) => {
        attempts.push(withCommit);
        await journal.saveContext(ctx, m, { withCommit });
      });
    ctx.state.messages = [{ role: 'user', content: 'first' }];
    await save();
    const other = await contexts.load(job);
    other.state.errors.push('written by another runtime');
    other.stored = { ...other.stored, lists: null };
    await stack.ds.transaction((m) => contexts.save(other, m));
    const theirs = (await contexts.load(job)).entity.generation;

    attempts.length = 0;
    ctx.state.messages = [...ctx.state.messages, { role: 'assistant', content: 'second' }];
    await save();
    // Postgres: the append went with the commit and failed it; SQLite: waited for, it rewrote at once.
    expect(attempts).toEqual(store === 'postgres' ? [true, false] : [true]);
    const saved = await contexts.load(job);
    expect(saved.state).toEqual(ctx.state);
    expect(saved.entity.generation).toBe(theirs + 1);
  });
});
