import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { ContextRetentionWorker, ContextStore } from '@wiz/agent';
import {
  ActivityContextEntity,
  ActivityContextEntryEntity,
  ActivityContextsRepository,
  JobEntity,
  JobsRepository,
  openStore,
} from '@wiz/persistence';
import { cleanup, isolation, TEST_PG_URL } from '../support/isolation';

// A job's ActivityContext is deleted once its job is (by the queue's retention), on both stores.
describe.each([['postgres'], ['sqlite']])(`${ContextRetentionWorker.name} on %s`, (store) => {
  const iso = isolation(`ctxret${store}`);
  const dir = mkdtempSync(join(tmpdir(), 'wiz-ctxret-'));
  let ds: DataSource;

  beforeAll(async () => {
    ds = await openStore({ databaseUrl: store === 'postgres' ? TEST_PG_URL : '', schema: iso.schema, dataDir: dir });
  });
  afterAll(async () => {
    await ds.destroy();
    await cleanup(iso);
    rmSync(dir, { recursive: true, force: true });
  });

  const job = (): JobEntity => {
    const at = new Date();
    return Object.assign(new JobEntity(), {
      id: crypto.randomUUID(),
      ownerId: 'o',
      agentId: crypto.randomUUID(),
      status: 'completed',
      partition: 0,
      input: 'x',
      data: null,
      parentJobId: null,
      dependsOn: [],
      priority: 0,
      attempts: 1,
      maxAttempts: 1,
      backoff: null,
      timeoutMs: null,
      ignoreDependencyFailures: false,
      idempotencyKey: null,
      attemptLog: [],
      runAt: null,
      leaseUntil: null,
      conversationId: null,
      progress: 100,
      result: null,
      failureReason: null,
      traceId: 't',
      revision: 0,
      createdAt: at,
      updatedAt: at,
      startedAt: at,
      finishedAt: at,
    } satisfies JobEntity);
  };

  it('deletes the contexts of deleted jobs and keeps the others', async () => {
    const repo = new ActivityContextsRepository(ds);
    const contexts = new ContextStore(repo);
    const [kept, gone] = [job(), job()];
    await new JobsRepository(ds).insert(kept);
    for (const j of [kept, gone]) {
      const ctx = contexts.fresh(j);
      ctx.state.messages.push({ role: 'user', content: j.input });
      await contexts.save(ctx, ds.manager);
    }
    const sut = new ContextRetentionWorker(repo);

    expect(await sut.sweep()).toBe(1);
    const left = await ds.getRepository(ActivityContextEntity).find();
    expect(left.map((c) => c.jobId)).toEqual([kept.id]);
    expect(left[0]!.state).toMatchObject({ phase: 'plan', input: 'x', runs: 0 });
    const entries = await ds.getRepository(ActivityContextEntryEntity).find();
    expect(entries.map((e) => e.jobId)).toEqual([kept.id]);
    expect(await sut.sweep()).toBe(0);
  });
});
