import { MigrationInterface, QueryRunner, Table, TableColumn } from 'typeorm';

// Human in the loop: jobs park in the new status `waiting-input` (the status column is a
// varchar on both stores, so the status itself needs no DDL) on rows of `job_waits` (approvals,
// questions, signals); people steer jobs through `job_steers`; tool approval policies live on
// the agent (`approvals`) and as the owner's default (`owner_settings`). Same DDL on Postgres
// and SQLite.
export class HumanInput1764200000000 implements MigrationInterface {
  name = 'HumanInput1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('agents', new TableColumn({ name: 'approvals', type: 'text', isNullable: true }));
    await q.createTable(
      new Table({
        name: 'job_waits',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'ownerId', type: 'varchar', length: '100' },
          { name: 'jobId', type: 'varchar', length: '36' },
          { name: 'agentId', type: 'varchar', length: '36' },
          { name: 'conversationId', type: 'varchar', length: '36', isNullable: true },
          { name: 'kind', type: 'varchar', length: '16' },
          { name: 'status', type: 'varchar', length: '16' },
          { name: 'toolCallId', type: 'varchar', length: '200' },
          { name: 'tool', type: 'varchar', length: '200' },
          { name: 'arguments', type: 'text', isNullable: true },
          { name: 'inputSchema', type: 'text', isNullable: true },
          { name: 'reason', type: 'text' },
          { name: 'choices', type: 'text', isNullable: true },
          { name: 'signal', type: 'varchar', length: '100', isNullable: true },
          { name: 'deadline', type: 'bigint', isNullable: true },
          { name: 'onTimeout', type: 'varchar', length: '16', default: "'reject'" },
          { name: 'resolution', type: 'text', isNullable: true },
          { name: 'createdAt', type: 'bigint' },
          { name: 'resolvedAt', type: 'bigint', isNullable: true },
        ],
        indices: [
          { name: 'idx_job_waits_owner_status', columnNames: ['ownerId', 'status', 'createdAt'] },
          { name: 'idx_job_waits_job', columnNames: ['jobId', 'status'] },
          { name: 'idx_job_waits_conversation', columnNames: ['conversationId', 'status'] },
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'job_steers',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'ownerId', type: 'varchar', length: '100' },
          { name: 'jobId', type: 'varchar', length: '36' },
          { name: 'text', type: 'text' },
          { name: 'by', type: 'varchar', length: '200' },
          { name: 'createdAt', type: 'bigint' },
          { name: 'consumedAt', type: 'bigint', isNullable: true },
        ],
        indices: [{ name: 'idx_job_steers_job', columnNames: ['jobId', 'consumedAt'] }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'owner_settings',
        columns: [
          { name: 'ownerId', type: 'varchar', length: '100', isPrimary: true },
          { name: 'approvals', type: 'text' },
          { name: 'updatedAt', type: 'bigint' },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['owner_settings', 'job_steers', 'job_waits']) await q.dropTable(t);
    await q.dropColumn('agents', 'approvals');
  }
}
