import { MigrationInterface, QueryRunner, Table, TableColumn } from 'typeorm';

// Observability: the trace context a job was created in and that its outbox messages carry in
// their headers; the usage ledger (one row per model call) and the owners' budgets.
export class Observability1764500000000 implements MigrationInterface {
  name = 'Observability1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn(
      'jobs',
      new TableColumn({ name: 'traceParent', type: 'varchar', length: '64', isNullable: true }),
    );
    await q.addColumn('outbox', new TableColumn({ name: 'headers', type: 'text', isNullable: true }));
    await q.createTable(
      new Table({
        name: 'usage_records',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'ownerId', type: 'varchar', length: '100' },
          { name: 'agentId', type: 'varchar', length: '36' },
          { name: 'jobId', type: 'varchar', length: '36' },
          { name: 'provider', type: 'varchar', length: '100' },
          { name: 'model', type: 'varchar', length: '200' },
          { name: 'inputTokens', type: 'bigint' },
          { name: 'outputTokens', type: 'bigint' },
          { name: 'costNanoUsd', type: 'bigint' },
          { name: 'createdAt', type: 'bigint' },
        ],
        indices: [
          { name: 'idx_usage_owner_time', columnNames: ['ownerId', 'createdAt'] },
          { name: 'idx_usage_job', columnNames: ['jobId'] },
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'budgets',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'ownerId', type: 'varchar', length: '100' },
          { name: 'agentId', type: 'varchar', length: '36' },
          { name: 'period', type: 'varchar', length: '8' },
          { name: 'maxTokens', type: 'bigint', isNullable: true },
          { name: 'maxCostNanoUsd', type: 'bigint', isNullable: true },
          { name: 'updatedAt', type: 'bigint' },
        ],
        indices: [{ name: 'idx_budgets_scope', columnNames: ['ownerId', 'agentId', 'period'], isUnique: true }],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('budgets');
    await q.dropTable('usage_records');
    await q.dropColumn('outbox', 'headers');
    await q.dropColumn('jobs', 'traceParent');
  }
}
