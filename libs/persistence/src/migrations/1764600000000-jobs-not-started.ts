import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';

// The bounds on jobs not started yet (per agent, per owner) read a partial index of those jobs
// only. idx_jobs_owner_status held every job of the owner, finished ones included: a planner
// without statistics (a table never analysed, e.g. with autovacuum off) scanned all of them on
// each submit, a cost that grew with the owner's history. The new index replaces it.
export class JobsNotStarted1764600000000 implements MigrationInterface {
  name = 'JobsNotStarted1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createIndex(
      'jobs',
      new TableIndex({
        name: 'idx_jobs_not_started',
        columnNames: ['ownerId', 'agentId'],
        where: `"status" IN ('queued', 'delayed', 'waiting')`,
      }),
    );
    await q.dropIndex('jobs', 'idx_jobs_owner_status');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.createIndex('jobs', new TableIndex({ name: 'idx_jobs_owner_status', columnNames: ['ownerId', 'status'] }));
    await q.dropIndex('jobs', 'idx_jobs_not_started');
  }
}
