import { MigrationInterface, QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';

// The job queue: retry/delay/timeout/idempotency columns, the agent fence and
// pause flag, job dependencies and cron schedules. Table API: one migration for both stores.
export class JobQueue1763700000000 implements MigrationInterface {
  name = 'JobQueue1763700000000';

  async up(q: QueryRunner): Promise<void> {
    // TypeORM reads boolean defaults back as `false` on Postgres and `0` on SQLite.
    const no = q.connection.driver.options.type === 'postgres' ? 'false' : '0';
    const yes = q.connection.driver.options.type === 'postgres' ? 'true' : '1';
    await q.addColumns('jobs', [
      new TableColumn({ name: 'backoff', type: 'text', isNullable: true }),
      new TableColumn({ name: 'timeoutMs', type: 'integer', isNullable: true }),
      new TableColumn({ name: 'ignoreDependencyFailures', type: 'boolean', default: no }),
      new TableColumn({ name: 'idempotencyKey', type: 'varchar', length: '200', isNullable: true }),
      new TableColumn({ name: 'attemptLog', type: 'text', default: "'[]'" }),
      new TableColumn({ name: 'runAt', type: 'bigint', isNullable: true }),
      new TableColumn({ name: 'partition', type: 'integer', default: 0 }),
    ]);
    await q.createIndices('jobs', [
      new TableIndex({ name: 'idx_jobs_status_run_at', columnNames: ['status', 'runAt'] }),
      new TableIndex({ name: 'idx_jobs_parent', columnNames: ['parentJobId'] }),
      new TableIndex({ name: 'idx_jobs_idempotency', columnNames: ['ownerId', 'idempotencyKey'], isUnique: true }),
    ]);
    await q.addColumns('agents', [
      new TableColumn({ name: 'paused', type: 'boolean', default: no }),
      new TableColumn({ name: 'runningJobId', type: 'varchar', length: '36', isNullable: true }),
    ]);
    await q.createTable(
      new Table({
        name: 'job_dependencies',
        columns: [
          { name: 'jobId', type: 'varchar', length: '36', isPrimary: true },
          { name: 'dependsOnId', type: 'varchar', length: '36', isPrimary: true },
        ],
        indices: [{ name: 'idx_job_dependencies_on', columnNames: ['dependsOnId'] }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'schedules',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'ownerId', type: 'varchar', length: '100' },
          { name: 'name', type: 'varchar', length: '200', isNullable: true },
          { name: 'cron', type: 'varchar', length: '200' },
          { name: 'timezone', type: 'varchar', length: '100' },
          { name: 'template', type: 'text' },
          { name: 'missedRunPolicy', type: 'varchar', length: '16' },
          { name: 'enabled', type: 'boolean', default: yes },
          { name: 'nextRunAt', type: 'bigint', isNullable: true },
          { name: 'lastRunAt', type: 'bigint', isNullable: true },
          { name: 'revision', type: 'integer', default: 0 },
          { name: 'createdAt', type: 'bigint' },
          { name: 'updatedAt', type: 'bigint' },
        ],
        indices: [
          { name: 'idx_schedules_due', columnNames: ['enabled', 'nextRunAt'] },
          { name: 'idx_schedules_owner', columnNames: ['ownerId', 'createdAt'] },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('schedules');
    await q.dropTable('job_dependencies');
    await q.dropColumn('agents', 'runningJobId');
    await q.dropColumn('agents', 'paused');
    await q.dropIndex('jobs', 'idx_jobs_idempotency');
    await q.dropIndex('jobs', 'idx_jobs_parent');
    await q.dropIndex('jobs', 'idx_jobs_status_run_at');
    for (const c of [
      'partition',
      'runAt',
      'attemptLog',
      'idempotencyKey',
      'ignoreDependencyFailures',
      'timeoutMs',
      'backoff',
    ]) {
      await q.dropColumn('jobs', c);
    }
  }
}
