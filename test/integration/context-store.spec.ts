import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource, EntityManager } from 'typeorm';
import { ContextStore, LiveContext } from '@wiz/agent';
import { beginJournal } from '../../libs/queue/src/journal';
import { rewriteNext } from '../../libs/agent/src/loop/context.store';
import {
  ActivityContextEntity,
  ActivityContextEntryEntity,
  ActivityContextsRepository,
  isStaleContext,
  JobEntity,
  openStore,
  writeTransaction,
} from '@wiz/persistence';
import { patchToolResults } from '../../libs/agent/src/loop/delegations.service';
import { setTrace } from '../../libs/agent/src/loop/step-record';
import { cleanup, isolation, TEST_PG_URL } from '../support/isolation';

// A job's context is appended step by step (its lists one entry per element) and rewritten as a
// new generation when its saved elements change; what a resumed run loads is what was saved.
describe.each([['postgres'], ['sqlite']])(`${ContextStore.name} on %s`, (store) => {
  const iso = isolation(`ctxstore${store}`);
  const dir = mkdtempSync(join(tmpdir(), 'wiz-ctxstore-'));
  let ds: DataSource;
  let sut: ContextStore;

  beforeAll(async () => {
    ds = await openStore({ databaseUrl: store === 'postgres' ? TEST_PG_URL : '', schema: iso.schema, dataDir: dir });
    sut = new ContextStore(new ActivityContextsRepository(ds));
  });
  afterAll(async () => {
    await ds.destroy();
    await cleanup(iso);
    rmSync(dir, { recursive: true, force: true });
  });

  // A job on its second attempt (the first was lost): `load` reads the stored context.
  const job = (): JobEntity =>
    Object.assign(new JobEntity(), {
      id: crypto.randomUUID(),
      ownerId: 'o',
      agentId: crypto.randomUUID(),
      input: 'x',
      attemptLog: [{ attempt: 1 }, { attempt: 2 }],
    } as unknown as JobEntity);

  const save = (ctx: LiveContext) => ds.transaction((m: EntityManager) => sut.save(ctx, m));
  // A step's save sends its append with the commit (one round trip): on Postgres in a pipelined
  // write transaction; elsewhere it is waited for as before.
  const saveWithCommit = (ctx: LiveContext) =>
    writeTransaction(ds, async (m) => {
      const journal = beginJournal(m);
      try {
        await sut.save(ctx, m, { withCommit: true });
      } catch (e) {
        journal.undo();
        throw e;
      }
    });
  const loaded = async (j: JobEntity) => (await sut.load(j)).state;
  const entries = (j: JobEntity) => ds.getRepository(ActivityContextEntryEntity).findBy({ jobId: j.id });
  const row = async (j: JobEntity) => (await ds.getRepository(ActivityContextEntity).findOneByOrFail({ jobId: j.id }))!;
  /**
   * Saves `ctx` with the commit while the store holds another context of its job. On Postgres the
   * transaction fails (isStaleContext) and writes nothing, and the next save writes `ctx` whole;
   * on SQLite the append is waited for, finds the other context and rewrites at once.
   */
  const saveOverAnother = async (j: JobEntity, ctx: LiveContext) => {
    const theirs = await row(j);
    const failed = await saveWithCommit(ctx).then(
      () => 'saved',
      (e: unknown) => e,
    );
    if (store === 'postgres') {
      expect(isStaleContext(failed)).toBe(true);
      expect(await row(j)).toEqual(theirs);
      rewriteNext(ctx);
      await saveWithCommit(ctx);
    } else expect(failed).toBe('saved');
    expect(await loaded(j)).toEqual(ctx.state);
    expect((await row(j)).generation).toBe(theirs.generation + 1);
  };
  const toolStep = (ctx: LiveContext, n: number) => {
    const s = ctx.state;
    const id = `call-${n}`;
    s.messages = [
      ...s.messages,
      { role: 'assistant', content: [{ type: 'tool-call', toolCallId: id, toolName: 'remember', input: { n } }] },
      {
        role: 'tool',
        content: [{ type: 'tool-result', toolCallId: id, toolName: 'remember', output: { type: 'json', value: n } }],
      },
    ];
    s.toolCalls.push({ step: n, toolCallId: id, tool: 'remember', args: { n } });
    setTrace(s, id, { result: { ok: true } });
    s.learnings.push(`note ${n}`);
    s.steps = n;
  };

  it.each([
    ['waited for', (ctx: LiveContext) => save(ctx)],
    ['sent with the commit', (ctx: LiveContext) => saveWithCommit(ctx)],
  ])('appends only the new elements of each step (%s), and loads the context as it was saved', async (_, saved) => {
    const j = job();
    const ctx = sut.fresh(j);
    ctx.state.messages.push({ role: 'user', content: 'x' });
    await saved(ctx);
    for (let n = 1; n <= 5; n++) {
      toolStep(ctx, n);
      await saved(ctx);
    }

    expect(await loaded(j)).toEqual(ctx.state);
    const r = await row(j);
    expect(r.state).not.toHaveProperty('messages');
    expect(r.entries).toBe(1 + 5 * 4);
    const rows = await entries(j);
    expect(rows).toHaveLength(1 + 5 * 4);
    expect(new Set(rows.map((e) => e.generation))).toEqual(new Set([r.generation]));
  });

  it('writes a new generation when saved elements change: a summary, a patched tool result, a restart', async () => {
    const j = job();
    const ctx = sut.fresh(j);
    for (let n = 1; n <= 3; n++) toolStep(ctx, n);
    await save(ctx);
    const first = (await row(j)).generation;

    patchToolResults(ctx.state.messages, [{ toolCallId: 'call-2', value: { answer: 'from a child' } }]);
    setTrace(ctx.state, 'call-2', { result: { answer: 'from a child' } });
    await save(ctx);
    expect(await loaded(j)).toEqual(ctx.state);
    expect(JSON.stringify((await loaded(j)).messages)).toContain('from a child');
    expect((await row(j)).generation).toBe(first + 1);

    ctx.state.messages = [{ role: 'user', content: 'a summary of it all' }];
    ctx.state.errors.push('summarised');
    await save(ctx);
    expect(await loaded(j)).toEqual(ctx.state);
    expect((await row(j)).generation).toBe(first + 2);
    expect(await entries(j)).toHaveLength(1 + 3 + 3 + 1); // message, tool calls, learnings, error

    sut.restart(ctx, j);
    await save(ctx);
    expect(await loaded(j)).toEqual(ctx.state);
  });

  it('freezes what it saved, so an element changed in place (not copied) fails loudly instead of going stale', async () => {
    const ctx = sut.fresh(job());
    ctx.state.messages.push({ role: 'user', content: [{ type: 'text', text: 'x' }] });
    await save(ctx);
    const [saved] = ctx.state.messages as Array<{ content: Array<{ text: string }> }>;
    expect(() => {
      saved!.content[0]!.text = 'changed';
    }).toThrow(TypeError);
    ctx.state.messages.push({ role: 'assistant', content: 'y' }); // the lists themselves still grow
    await save(ctx);
  });

  it('keeps appending correctly after a transaction that saved the context rolled back', async () => {
    const j = job();
    const ctx = sut.fresh(j);
    toolStep(ctx, 1);
    await save(ctx);
    toolStep(ctx, 2);
    // No journal here: the store's row count and generation catch it all the same.
    await expect(
      ds.transaction(async (m) => {
        await sut.save(ctx, m);
        throw new Error('the commit failed');
      }),
    ).rejects.toThrow('the commit failed');
    toolStep(ctx, 3);
    await save(ctx);

    expect(await loaded(j)).toEqual(ctx.state);
    expect(ctx.state.steps).toBe(3);
  });

  it('fails an append sent with the commit to a context the store does not hold, writing nothing; the next save rewrites it', async () => {
    const j = job();
    const ctx = sut.fresh(j);
    toolStep(ctx, 1);
    await saveWithCommit(ctx);
    // Another writer (a runtime that took the job over) wrote a new generation meanwhile.
    const other = await sut.load(j);
    other.state.errors.push('written by another runtime');
    other.stored = { ...other.stored, lists: null };
    await save(other);
    toolStep(ctx, 2);
    await saveOverAnother(j, ctx);
  });

  it('fails the first save of a context sent with the commit when the store holds one already, writing nothing', async () => {
    const j = job();
    const theirs = sut.fresh(j);
    toolStep(theirs, 1);
    await save(theirs);
    const ctx = sut.fresh(j);
    toolStep(ctx, 2);
    await saveOverAnother(j, ctx);
  });

  it('reads a context saved whole before the entries existed, and writes it in the new form at its next save', async () => {
    const j = job();
    const ctx = sut.fresh(j);
    toolStep(ctx, 1);
    const at = new Date();
    const legacy = {
      jobId: j.id,
      ownerId: j.ownerId,
      agentId: j.agentId,
      state: ctx.state,
      createdAt: at,
      updatedAt: at,
    };
    await ds.getRepository(ActivityContextEntity).save(Object.assign(new ActivityContextEntity(), legacy));
    const old = await sut.load(j);
    expect(old.state).toEqual(ctx.state);

    toolStep(old, 2);
    await save(old);
    expect(await loaded(j)).toEqual(old.state);
    expect((await row(j)).state).not.toHaveProperty('messages');
  });

  it('is read by its owner only', async () => {
    const j = job();
    await save(sut.fresh(j));
    const repo = new ActivityContextsRepository(ds);
    await expect(repo.findByJob('someone else', j.id)).resolves.toBeNull();
    await expect(repo.findByJob(j.ownerId, j.id)).resolves.toMatchObject({ jobId: j.id });
  });
});
