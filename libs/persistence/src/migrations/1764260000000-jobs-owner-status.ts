import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';

// The per-owner bound on jobs not started yet reads this index, not all of the owner's jobs.
export class JobsOwnerStatus1764260000000 implements MigrationInterface {
  name = 'JobsOwnerStatus1764260000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createIndex('jobs', new TableIndex({ name: 'idx_jobs_owner_status', columnNames: ['ownerId', 'status'] }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex('jobs', 'idx_jobs_owner_status');
  }
}
