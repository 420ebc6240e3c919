import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

// Outbox dead letters: a row the bus refuses for good (larger than its message limit) is kept,
// marked with the reason, and skipped, so that it never blocks the rows after it.
export class OutboxDeadLetter1764250000000 implements MigrationInterface {
  name = 'OutboxDeadLetter1764250000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('outbox', new TableColumn({ name: 'deadReason', type: 'text', isNullable: true }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('outbox', 'deadReason');
  }
}
