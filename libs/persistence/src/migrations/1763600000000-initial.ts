import { MigrationInterface, QueryRunner, Table, TableColumnOptions } from 'typeorm';

// Written with TypeORM's Table API so that one migration serves Postgres and SQLite alike;
// `test/integration/persistence.spec.ts` checks that it matches the entities on both.
const id = (name = 'id'): TableColumnOptions => ({ name, type: 'varchar', length: '36', isPrimary: name === 'id' });
const ms = (name: string, isNullable = false): TableColumnOptions => ({ name, type: 'bigint', isNullable });
const text = (name: string, isNullable = false): TableColumnOptions => ({ name, type: 'text', isNullable });
const varchar = (name: string, length: number, isNullable = false): TableColumnOptions => ({
  name,
  type: 'varchar',
  length: String(length),
  isNullable,
});
const int = (name: string, def: number): TableColumnOptions => ({ name, type: 'integer', default: def });

export class Initial1763600000000 implements MigrationInterface {
  name = 'Initial1763600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'agents',
        columns: [
          id(),
          varchar('ownerId', 100),
          varchar('name', 200),
          text('role'),
          text('backstory', true),
          text('goal', true),
          text('systemPrompt', true),
          text('model'),
          varchar('status', 16),
          { name: 'partition', type: 'integer' },
          ms('createdAt'),
          ms('updatedAt'),
          ms('deletedAt', true),
        ],
        indices: [{ name: 'idx_agents_owner', columnNames: ['ownerId', 'createdAt'] }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'jobs',
        columns: [
          id(),
          varchar('ownerId', 100),
          varchar('agentId', 36),
          varchar('status', 20),
          text('input'),
          text('data', true),
          varchar('parentJobId', 36, true),
          text('dependsOn'),
          int('priority', 0),
          int('attempts', 0),
          int('maxAttempts', 1),
          int('progress', 0),
          text('result', true),
          text('failureReason', true),
          varchar('traceId', 64),
          int('revision', 0),
          ms('createdAt'),
          ms('updatedAt'),
          ms('startedAt', true),
          ms('finishedAt', true),
        ],
        indices: [
          { name: 'idx_jobs_agent_status', columnNames: ['agentId', 'status'] },
          { name: 'idx_jobs_owner_created', columnNames: ['ownerId', 'createdAt'] },
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'outbox',
        columns: [
          { name: 'id', type: 'varchar', length: '100', isPrimary: true },
          { name: 'seq', type: 'bigint' },
          varchar('kind', 16),
          varchar('subject', 300),
          text('payload'),
          ms('createdAt'),
          ms('claimedUntil'),
        ],
        indices: [{ name: 'idx_outbox_claim', columnNames: ['claimedUntil'] }],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('outbox');
    await q.dropTable('jobs');
    await q.dropTable('agents');
  }
}
