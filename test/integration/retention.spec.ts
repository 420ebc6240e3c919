import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import type { JobStatus } from '@wiz/contracts';
import { parseConfig } from '@wiz/config';
import { JobDependencyEntity, JobEntity, JobsRepository, openStore } from '@wiz/persistence';
import { RetentionWorker } from '@wiz/queue';
import { cleanup, isolation, TEST_PG_URL } from '../support/isolation';

const HOUR = 3_600_000;

describe.each([['postgres'], ['sqlite']])(`${RetentionWorker.name} on %s`, (store) => {
  const iso = isolation(`ret${store}`);
  const dir = mkdtempSync(join(tmpdir(), 'wiz-ret-'));
  let ds: DataSource;
  let jobs: JobsRepository;

  beforeAll(async () => {
    ds = await openStore({ databaseUrl: store === 'postgres' ? TEST_PG_URL : '', schema: iso.schema, dataDir: dir });
    jobs = new JobsRepository(ds);
  });
  afterAll(async () => {
    await ds.destroy();
    await cleanup(iso);
    rmSync(dir, { recursive: true, force: true });
  });

  const now = Date.now();
  const seed = async (status: JobStatus, ageHours: number) => {
    const id = crypto.randomUUID();
    const at = new Date(now - ageHours * HOUR);
    await jobs.insert(
      Object.assign(new JobEntity(), {
        id,
        ownerId: 'o',
        agentId: crypto.randomUUID(),
        status,
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
        progress: 0,
        result: null,
        failureReason: null,
        traceId: 't',
        conversationId: null,
        revision: 0,
        createdAt: at,
        updatedAt: at,
        startedAt: at,
        finishedAt: ['queued', 'active'].includes(status) ? null : at,
      } satisfies JobEntity),
    );
    return id;
  };

  it('keeps the newest finished jobs up to the count, drops those past the age, and never touches unfinished ones', async () => {
    // Completed: 4 recent (1–4 h old), 1 older than the 10 h limit. Keep 3.
    const completed = [
      await seed('completed', 1),
      await seed('completed', 2),
      await seed('completed', 3),
      await seed('completed', 4),
    ];
    const ancient = await seed('completed', 11);
    const failedRecent = await seed('failed', 1);
    const failedOld = await seed('failed', 30);
    const cancelledOld = await seed('cancelled', 30);
    const queued = await seed('queued', 100);
    const active = await seed('active', 100);
    await ds.getRepository(JobDependencyEntity).insert({ jobId: crypto.randomUUID(), dependsOnId: ancient });
    const config = parseConfig({
      WIZ_KEEP_COMPLETED: '3',
      WIZ_KEEP_COMPLETED_HOURS: '10',
      WIZ_KEEP_FAILED: '100',
      WIZ_KEEP_FAILED_HOURS: '24',
    });
    const sut = new RetentionWorker(config, jobs);

    expect(await sut.sweep(now)).toBe(4);
    const left = (await ds.getRepository(JobEntity).find({ select: { id: true } })).map((j) => j.id);
    expect(left.sort()).toEqual([...completed.slice(0, 3), failedRecent, queued, active].sort());
    expect(left).not.toContain(failedOld);
    expect(left).not.toContain(cancelledOld);
    expect(await ds.getRepository(JobDependencyEntity).countBy({ dependsOnId: ancient })).toBe(0);
    expect(await sut.sweep(now)).toBe(0);
  });
});
