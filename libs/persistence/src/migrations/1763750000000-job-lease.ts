import { MigrationInterface, QueryRunner, TableColumn, TableIndex } from 'typeorm';

// The job lease: a running job's runtime renews `leaseUntil`; an `active` job whose lease has
// lapsed lost its runtime and runs again (or fails past WIZ_JOB_MAX_DELIVER).
export class JobLease1763750000000 implements MigrationInterface {
  name = 'JobLease1763750000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('jobs', new TableColumn({ name: 'leaseUntil', type: 'bigint', isNullable: true }));
    await q.createIndex(
      'jobs',
      new TableIndex({ name: 'idx_jobs_status_lease', columnNames: ['status', 'leaseUntil'] }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex('jobs', 'idx_jobs_status_lease');
    await q.dropColumn('jobs', 'leaseUntil');
  }
}
